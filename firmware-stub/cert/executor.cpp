#include "firmware-stub/cert/executor.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "firmware-stub/cert/control_code.hpp"
#include "firmware-stub/cert/queue_facts.hpp"
#include "hw/aie/array.hpp"
#include "hw/aie/geometry.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/pcie/function.hpp"
#include "hw/sim/internal_error.hpp"

namespace aie4emu::fw::cert {
namespace {

constexpr uint64_t kColumnOffsetMask = (uint64_t{1} << aie::Geometry::kColumnShift) - 1;
// APPLY_OFFSET_57 walks `num_entries` shim BDs laid out back to back in the page data
// (9 words each, register_map.hpp kShimBdWords) [inferred: the ISA names no stride].
constexpr uint32_t kApplyOffsetBdStride = aie::regs::kShimBdWords * 4;
// patch57_aie4: BD word 0[24:0] = address bits 56:32, word 1 = bits 31:0 (docs/spec/queue-and-cert.md §8.3).
constexpr uint32_t kBdAddrHighMask = 0x01FFFFFF;
constexpr uint32_t kMaxUcDmaChain = kPageSize / kUcDmaBdSize;

uint32_t load32(const std::vector<uint8_t>& b, size_t off)
{
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
}
void store32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }

sim::Cycle div_up(uint64_t a, uint64_t b) { return b == 0 ? a : (a + b - 1) / b; }

enum class Step : uint8_t { executed, blocked, yielded, ended };

struct UcDma {
    sim::Cycle done = 0;
    size_t held_bytes = 0;       // data bytes in `transfers`
    std::vector<std::pair<uint64_t, std::vector<uint32_t>>> transfers;   // absolute address, words
    bool applied = false;
};

struct Job {
    uint16_t id = 0;
    size_t end = 0;           // index of END_JOB in the page's ops
    size_t pc = 0;            // index of the next op
    bool deferred = false;
    bool launched = false;
    bool done = false;
    std::array<uint32_t, kLocalRegisters> regs{};
    uint32_t sync_handle = 0; // UC_DMA_WRITE_DES_SYNC issued, not yet complete
    bool arrived = false;     // registered at the barrier it waits on
    uint64_t barrier_generation = 0;
};

struct LocalBarrier {
    unsigned arrived = 0;
    uint64_t generation = 0;
};

struct RemoteBarrier {
    uint64_t arrived = 0;     // bit per uC index
    uint64_t generation = 0;
};

struct Uc {
    UcProgram program;
    uint16_t page_index = 0;
    uint16_t announced_length = 0;   // previous page's "next page length"
    bool page_loaded = false;
    bool finished = false;
    std::vector<uint8_t> page;       // this page's used bytes (APPLY_OFFSET_57 patches them)
    DecodedPage decoded;
    std::vector<Job> jobs;
    size_t current = 0;
    std::array<uint32_t, kRegisters - kLocalRegisters> globals{};
    sim::Cycle time = 0;
    sim::Cycle dma_free = 0;
    std::vector<UcDma> dmas;         // handle h is dmas[h - 1]
    size_t held_page_bytes = 0;      // host bytes counted for the loaded page
    size_t dma_applied = 0;          // dmas[0..dma_applied) are done
    std::array<LocalBarrier, kLocalBarriers> barriers{};
};

} // namespace

class Runner {
public:
    Runner(const ExecEnv& env, std::span<const UcProgram> programs) : env_(env), array_(env_.array)
    {
        for (const UcProgram& p : programs) {
            Uc u;
            u.program = p;
            ucs_.push_back(std::move(u));
        }
        result_.start_cycle = now();
        deadline_ = env_.limits.max_cycles > sim::kNever - result_.start_cycle ? sim::kNever
                                                                                : result_.start_cycle + env_.limits.max_cycles;
        errors_seen_ = array_.errors().size();
        const auto& geo = array_.geometry();
        if (ucs_.empty()) {
            fail_command(umq::kErrBadAccess, "no control code to run");
        } else if (env_.columns.count == 0 || unsigned{env_.columns.start} + env_.columns.count > geo.columns) {
            fail_command(umq::kErrBadAccess, fmt::format("partition columns [{}, +{}) are outside the array's {}",
                                                         env_.columns.start, env_.columns.count, geo.columns));
        }
        for (Uc& u : ucs_)
            u.time = now();
        if (failed())
            finish();
    }

    // What is due at now(): UC-DMA completions, ready operations (repeatedly, while any makes
    // progress at this cycle), new array errors.
    void step()
    {
        if (done_)
            return;
        try {
            step_now();
        } catch (...) {
            // A bug or resource exhaustion in the array model or here, while this command's
            // operation ran: the command fails and its partition is reset (touched_array).
            const std::string what(sim::exception_message(std::current_exception()));
            sim::report_internal_error(fmt::format("CERT executing a command of {}", env_.log_name), what);
            result_.touched_array = true;
            fail_internal(what);
        }
    }

    void step_now()
    {
        while (!failed()) {
            apply_due_dmas();
            bool progress = false;
            for (Uc& u : ucs_)
                while (!failed() && !u.finished && u.time <= now() && step(u))
                    progress = true;
            check_array_errors();
            if (failed() || all_finished() || !progress)
                break;
        }
        if (failed()) {
            finish();
        } else if (all_finished() && last_time() <= now()) {
            check_array_errors();   // the last operations' own time has passed
            if (!failed())
                result_.state = umq::kStateCompleted;
            finish();
        }
    }

    [[nodiscard]] bool done() const { return done_; }
    [[nodiscard]] sim::Cycle deadline() const { return deadline_; }

    [[nodiscard]] sim::Cycle wake() const
    {
        if (done_)
            return sim::kNever;
        if (all_finished())
            return last_time();
        sim::Cycle next = sim::kNever;
        for (const Uc& u : ucs_) {
            if (!u.finished && u.time > now())
                next = std::min(next, u.time);
            if (u.dma_applied < u.dmas.size())
                next = std::min(next, u.dmas[u.dma_applied].done);
        }
        return next;
    }

    void fail_deadlock()
    {
        fail_command(umq::kErrPacketTimeout, absent_cores() + "deadlock, nothing left that could wake: " + describe_waits());
        finish();
    }
    void fail_timeout()
    {
        fail_command(umq::kErrPacketTimeout,
                     absent_cores() + fmt::format("cap max_cycles: not done after {} cycles: {}", env_.limits.max_cycles,
                                 describe_waits()));
        finish();
    }
    void fail_internal(const std::string& why)
    {
        result_.touched_array = true;   // the partition's state is suspect: reset it
        fail_command(umq::kErrArrayFault, "internal error: " + why);
        finish();
    }

    ExecResult take_result() { return std::move(result_); }

private:
    [[nodiscard]] sim::Cycle now() const { return array_.now(); }
    [[nodiscard]] bool failed() const { return !result_.error.empty(); }
    [[nodiscard]] bool all_finished() const
    {
        return std::all_of(ucs_.begin(), ucs_.end(), [](const Uc& u) { return u.finished; });
    }
    // When the last operation's own time ends.
    [[nodiscard]] sim::Cycle last_time() const
    {
        sim::Cycle last = now();
        for (const Uc& u : ucs_)
            last = std::max(last, u.time);
        return last;
    }
    void finish()
    {
        if (done_)
            return;
        done_ = true;
        // Polls that were still waiting when execution stopped (the corpus runner reports them).
        for (const Uc& u : ucs_)
            for (const Job& j : u.jobs)
                if (u.page_loaded && !u.finished && j.launched && !j.done && j.pc < u.decoded.ops.size() &&
                    (u.decoded.ops[j.pc].code == Opcode::MaskPoll32 || u.decoded.ops[j.pc].code == Opcode::Poll32))
                    ++result_.polls_pending;
        result_.end_cycle = now();
    }

    // Host memory the execution holds, against env_.limits.max_host_bytes (cap host_memory).
    bool hold(unsigned uc, size_t bytes, const std::string& what)
    {
        if (bytes > env_.limits.max_host_bytes || held_bytes_ > env_.limits.max_host_bytes - bytes) {
            fail(uc, umq::kErrBadAccess,
                 fmt::format("cap host_memory: uC {}: {} needs {} bytes with {} held; this function may hold {}",
                             uc, what, bytes, held_bytes_, env_.limits.max_host_bytes));
            return false;
        }
        held_bytes_ += bytes;
        result_.peak_host_bytes = std::max(result_.peak_host_bytes, held_bytes_);
        return true;
    }
    void release(size_t bytes) { held_bytes_ -= std::min(bytes, held_bytes_); }

    void fail(unsigned uc, uint32_t code, std::string message)
    {
        if (failed())
            return;
        result_.state = umq::uc_error(uc, code);
        result_.error = std::move(message);
    }
    void fail_command(uint32_t code, std::string message)
    {
        fail(ucs_.empty() ? 0 : ucs_.front().program.uc, code, std::move(message));
    }
    // "uC 0 page 1 offset 0x40 WRITE_32: ..." for an operation's error.
    void fail_op(const Uc& u, const Op& op, uint32_t code, const std::string& what)
    {
        fail(u.program.uc, code,
             fmt::format("uC {} page {} offset {:#x} {}: {}", u.program.uc, u.page_index, op.offset,
                         opcode_name(op.code), what));
    }
    void not_implemented(const Uc& u, const Op& op, const std::string& detail = {})
    {
        fail(u.program.uc, umq::kErrInvalidOpcode,
             fmt::format("not implemented: {} at page {} offset {:#x}{}", opcode_name(op.code), u.page_index,
                         op.offset, detail.empty() ? "" : " (" + detail + ")"));
    }

    // ---- pages -------------------------------------------------------------------------
    bool load_page(Uc& u)
    {
        const unsigned uc = u.program.uc;
        if (u.page_index >= env_.limits.max_pages) {
            fail(uc, umq::kErrInvalidPage,
                 fmt::format("cap max_pages: uC {}: control code longer than {} pages", uc, env_.limits.max_pages));
            return false;
        }
        const uint64_t addr = u.program.code_address + uint64_t{u.page_index} * kPageSize;
        if (addr < u.program.code_address) {
            fail(uc, umq::kErrInvalidPage, fmt::format("uC {} page {}: address wraps", uc, u.page_index));
            return false;
        }
        std::array<uint8_t, kPageHeaderSize> header_bytes{};
        if (!env_.guest.read(addr, header_bytes.data(), header_bytes.size())) {
            fail(uc, umq::kErrInvalidPage,
                 fmt::format("uC {} page {}: DMA fault reading the page header at {:#x}", uc, u.page_index, addr));
            return false;
        }
        DecodeError error;
        const auto header = decode_header(header_bytes, error);
        if (!header) {
            fail(uc, umq::kErrInvalidPage, fmt::format("uC {} page {} at {:#x}: {}", uc, u.page_index, addr, error.message));
            return false;
        }
        if (u.page_index > 0 && header->used_length != u.announced_length) {
            fail(uc, umq::kErrInvalidPage,
                 fmt::format("uC {} page {}: used length {} but the previous page announced {}", uc, u.page_index,
                             header->used_length, u.announced_length));
            return false;
        }
        // The page (and its decoded operations, at most one per 4 bytes) replaces the last one.
        const size_t page_bytes = size_t{header->used_length} * (1 + sizeof(Op) / 4);
        release(u.held_page_bytes);
        u.held_page_bytes = 0;
        if (!hold(uc, page_bytes, fmt::format("page {}", u.page_index)))
            return false;
        u.held_page_bytes = page_bytes;
        u.page.assign(header->used_length, 0);
        if (!env_.guest.read(addr, u.page.data(), u.page.size())) {
            fail(uc, umq::kErrInvalidPage,
                 fmt::format("uC {} page {}: DMA fault reading {} bytes at {:#x}", uc, u.page_index, u.page.size(), addr));
            return false;
        }
        auto decoded = decode_page(u.page, u.page_index, error);
        if (!decoded) {
            const bool bad_opcode = error.offset >= kPageHeaderSize && error.offset < u.page.size() &&
                                    !encoded_size(u.page[error.offset]).has_value();
            fail(uc, bad_opcode ? umq::kErrInvalidOpcode : umq::kErrInvalidPage,
                 fmt::format("uC {} page {} offset {:#x}: {}", uc, u.page_index, error.offset, error.message));
            return false;
        }
        u.decoded = std::move(*decoded);
        if (!build_jobs(u))
            return false;
        u.time = std::max(u.time, now()) + env_.costs.page_fetch_latency +
                 div_up(u.page.size(), env_.costs.page_fetch_bytes_per_cycle);
        u.page_loaded = true;
        u.current = 0;
        ++result_.pages;
        return true;
    }

    // Split the page into jobs: (START_JOB | START_JOB_DEFERRED) ... END_JOB, then EOF.
    bool build_jobs(Uc& u)
    {
        const auto& ops = u.decoded.ops;
        u.jobs.clear();
        size_t i = 0;
        while (i < ops.size() && ops[i].code != Opcode::Eof) {
            const Op& start = ops[i];
            if (start.code != Opcode::StartJob && start.code != Opcode::StartJobDeferred) {
                fail_op(u, start, umq::kErrInvalidPage, "operation outside a job");
                return false;
            }
            size_t end = i + 1;
            while (end < ops.size() && ops[end].code != Opcode::EndJob) {
                const Opcode c = ops[end].code;
                if (c == Opcode::StartJob || c == Opcode::StartJobDeferred || c == Opcode::Eof) {
                    fail_op(u, start, umq::kErrInvalidPage, fmt::format("job {} has no END_JOB", start.imm16_a));
                    return false;
                }
                ++end;
            }
            if (end >= ops.size()) {
                fail_op(u, start, umq::kErrInvalidPage, fmt::format("job {} has no END_JOB", start.imm16_a));
                return false;
            }
            const uint32_t span = ops[end].offset + ops[end].size - start.offset;
            if (start.imm16_b != span) {
                fail_op(u, start, umq::kErrInvalidPage,
                        fmt::format("job {} size field {} but the job spans {} bytes", start.imm16_a, start.imm16_b, span));
                return false;
            }
            for (const Job& other : u.jobs)
                if (other.id == start.imm16_a) {
                    fail_op(u, start, umq::kErrInvalidPage, fmt::format("job id {} used twice in the page", start.imm16_a));
                    return false;
                }
            Job job;
            job.id = start.imm16_a;
            job.end = end;
            job.pc = i + 1;
            job.deferred = start.code == Opcode::StartJobDeferred;
            job.launched = !job.deferred;
            u.jobs.push_back(job);
            i = end + 1;
        }
        return true;
    }

    // One unit of progress on `u`: load a page, move to the next page, or run one operation.
    bool step(Uc& u)
    {
        if (!u.page_loaded)
            return load_page(u);
        const bool page_done = std::none_of(u.jobs.begin(), u.jobs.end(),
                                            [](const Job& j) { return j.launched && !j.done; });
        if (page_done) {
            if (u.decoded.header.next_length == 0) {
                u.finished = true;
            } else {
                u.announced_length = u.decoded.header.next_length;
                ++u.page_index;
                u.page_loaded = false;
                u.jobs.clear();
            }
            return true;
        }
        const size_t n = u.jobs.size();
        for (size_t k = 0; k < n; ++k) {
            const size_t idx = (u.current + k) % n;
            Job& j = u.jobs[idx];
            if (!j.launched || j.done)
                continue;
            const Step s = exec(u, j);
            if (failed())
                return false;
            switch (s) {
            case Step::executed: u.current = idx; return true;
            case Step::ended:
            case Step::yielded: u.current = (idx + 1) % n; return true;
            case Step::blocked: break;
            }
        }
        return false;
    }

    // ---- operands --------------------------------------------------------------------------
    std::optional<uint64_t> to_array(const Uc& u, const Op& op, uint64_t addr, const char* what)
    {
        const uint64_t col = addr >> aie::Geometry::kColumnShift;
        if (col >= env_.columns.count) {
            fail_op(u, op, umq::kErrBadAccess,
                    fmt::format("{} address {:#x} is in partition column {}; the partition has {}", what, addr, col,
                                env_.columns.count));
            return std::nullopt;
        }
        result_.touched_array = true;
        return ((col + env_.columns.start) << aie::Geometry::kColumnShift) | (addr & kColumnOffsetMask);
    }

    uint32_t* reg(Uc& u, Job& j, uint32_t r, const Op& op)
    {
        if (r < kLocalRegisters)
            return &j.regs[r];
        if (r < kRegisters)
            return &u.globals[r - kLocalRegisters];
        fail_op(u, op, umq::kErrInvalidPage, fmt::format("register {} (only r0..r{})", r, kRegisters - 1));
        return nullptr;
    }

    // ---- UC-DMA ------------------------------------------------------------------------------
    // Queues the BD chain at `label`; returns its handle (>= 1), 0 on error.
    uint32_t issue_dma(Uc& u, const Op& op, uint16_t label)
    {
        UcDma dma;
        sim::Cycle cost = 0;
        size_t off = size_t{label} + kPageHeaderSize;
        for (uint32_t n = 0;; ++n) {
            if (n >= kMaxUcDmaChain || off + kUcDmaBdSize > u.page.size()) {
                fail_op(u, op, umq::kErrInvalidPage,
                        fmt::format("UC-DMA BD {} at page offset {:#x} runs past the page's {} bytes", n, off,
                                    u.page.size()));
                return 0;
            }
            const uint32_t w0 = load32(u.page, off), w1 = load32(u.page, off + 4);
            const uint32_t remote = load32(u.page, off + 8), remote_high = load32(u.page, off + 12);
            const uint32_t words = w0 & UcDmaBdLayout::kLenMask;
            const uint64_t local = uint64_t{off} + w1;
            if (local % 4 != 0 || local + uint64_t{words} * 4 > u.page.size()) {
                fail_op(u, op, umq::kErrInvalidPage,
                        fmt::format("UC-DMA BD {} data at page offset {:#x} (+{} words) is outside the page", n, local,
                                    words));
                return 0;
            }
            if (remote_high != 0) {
                fail_op(u, op, umq::kErrBadAccess,
                        fmt::format("UC-DMA BD {} remote address {:#x}{:08x} is not an array address", n, remote_high,
                                    remote));
                return 0;
            }
            if (words > 0) {
                const uint64_t last = uint64_t{remote} + uint64_t{words} * 4 - 1;
                if ((last >> aie::Geometry::kColumnShift) != (remote >> aie::Geometry::kColumnShift)) {
                    fail_op(u, op, umq::kErrBadAccess,
                            fmt::format("UC-DMA BD {} to {:#x} (+{} words) crosses a column", n, remote, words));
                    return 0;
                }
                const auto addr = to_array(u, op, remote, "UC-DMA");
                if (!addr)
                    return 0;
                if (!hold(u.program.uc, size_t{words} * 4, fmt::format("UC-DMA BD {} ({} words)", n, words)))
                    return 0;
                dma.held_bytes += size_t{words} * 4;
                std::vector<uint32_t> data(words);
                std::memcpy(data.data(), u.page.data() + local, size_t{words} * 4);
                dma.transfers.emplace_back(*addr, std::move(data));
                result_.uc_dma_words += words;
            }
            cost += env_.costs.uc_dma_bd_cycles + div_up(uint64_t{words} * 4, env_.costs.uc_dma_bytes_per_cycle);
            if ((w0 & UcDmaBdLayout::kChainBit) == 0)
                break;
            off += kUcDmaBdSize;
        }
        if (!hold(u.program.uc, sizeof(UcDma), "a UC-DMA handle"))
            return 0;
        const sim::Cycle start = std::max({u.time, now(), u.dma_free});
        dma.done = start + cost;
        u.dma_free = dma.done;
        u.dmas.push_back(std::move(dma));
        return static_cast<uint32_t>(u.dmas.size());
    }

    void apply_due_dmas()
    {
        for (Uc& u : ucs_) {
            while (u.dma_applied < u.dmas.size() && u.dmas[u.dma_applied].done <= now()) {
                UcDma& d = u.dmas[u.dma_applied++];
                for (const auto& [addr, words] : d.transfers)
                    array_.block_write(addr, words);
                d.transfers.clear();
                d.transfers.shrink_to_fit();
                release(d.held_bytes);
                d.held_bytes = 0;
                d.applied = true;
            }
        }
    }

    bool dma_done(const Uc& u, uint32_t handle) const { return u.dmas[handle - 1].applied; }

    // ---- barriers ------------------------------------------------------------------------------
    // Registers `j` once, then reports whether the barrier opened since.
    static bool local_barrier(Uc& u, Job& j, unsigned id, unsigned participants)
    {
        LocalBarrier& b = u.barriers[id];
        if (!j.arrived) {
            j.arrived = true;
            j.barrier_generation = b.generation;
            if (++b.arrived >= participants) {
                b.arrived = 0;
                ++b.generation;
            }
        }
        if (b.generation == j.barrier_generation)
            return false;
        j.arrived = false;
        return true;
    }

    bool remote_barrier(Uc& u, Job& j, unsigned id, uint64_t mask)
    {
        RemoteBarrier& b = remote_[id];
        if (!j.arrived) {
            j.arrived = true;
            j.barrier_generation = b.generation;
            b.arrived |= uint64_t{1} << u.program.uc;
            if ((b.arrived & mask) == mask) {
                b.arrived = 0;
                ++b.generation;
            }
        }
        if (b.generation == j.barrier_generation)
            return false;
        j.arrived = false;
        return true;
    }

    // ---- TCT actors ----------------------------------------------------------------------------
    std::optional<aie::ChannelId> tct_channel(const Uc& u, const Op& op)
    {
        const unsigned col = op.imm16_a >> kTctTileColumnShift;
        const auto row = static_cast<uint16_t>(op.imm16_a & kTctTileRowMask);
        if (col >= env_.columns.count) {
            fail_op(u, op, umq::kErrBadAccess,
                    fmt::format("tile ({}, {}) is outside the partition's {} columns", col, row, env_.columns.count));
            return std::nullopt;
        }
        const auto& g = array_.geometry();
        const bool shim = row == g.shim_row;
        const bool mem = row >= g.mem_row_start && row < g.mem_row_start + g.mem_rows;
        if (!shim && !mem) {
            fail_op(u, op, umq::kErrInvalidPage,
                    fmt::format("tile ({}, {}) has no task-completion-token actors (shim and memory tiles only)", col, row));
            return std::nullopt;
        }
        for (const TctActor& a : kTctActors) {
            if (a.id == op.actor && a.shim == shim) {
                return aie::ChannelId{static_cast<uint16_t>(col + env_.columns.start), row,
                                      a.direction == TctDirection::S2mm ? aie::Direction::s2mm : aie::Direction::mm2s,
                                      a.channel};
            }
        }
        fail_op(u, op, umq::kErrInvalidPage,
                fmt::format("actor {} does not exist on a {} tile", op.actor, shim ? "shim" : "memory"));
        return std::nullopt;
    }

    // ---- one operation ---------------------------------------------------------------------------
    Step exec(Uc& u, Job& j)
    {
        const Op& op = u.decoded.ops[j.pc];
        auto retire = [&](Step s = Step::executed) {
            u.time = std::max(u.time, now()) + env_.costs.op_cycles;
            ++result_.ops;
            ++result_.op_counts[static_cast<uint8_t>(op.code)];
            ++j.pc;
            return s;
        };
        switch (op.code) {
        case Opcode::EndJob:
            j.done = true;
            return retire(Step::ended);
        case Opcode::Nop:
            return retire();
        case Opcode::PreemptionCheckpoint:
            // Nothing ever asks this emulator to preempt, so the checkpoint is not taken.
            return retire();
        case Opcode::Yield:
            return retire(Step::yielded);
        case Opcode::Trace:
        case Opcode::SaveTimestamps:
            if (result_.timestamps.size() < ExecResult::kMaxTimestamps)
                result_.timestamps.push_back(Timestamp{u.program.uc,
                                                       op.code == Opcode::Trace ? uint32_t{op.imm16_a} : op.value,
                                                       op.code == Opcode::Trace, now()});
            return retire();
        case Opcode::Write32: {
            const auto a = to_array(u, op, op.address, "write");
            if (!a)
                return Step::blocked;
            array_.write32(*a, op.value);
            return retire();
        }
        case Opcode::MaskWrite32: {
            const auto a = to_array(u, op, op.address, "write");
            if (!a)
                return Step::blocked;
            array_.mask_write32(*a, op.mask, op.value);
            return retire();
        }
        case Opcode::Write32D: {
            uint32_t address = op.address, value = op.value;
            if ((op.flags & kWrite32DAddressImmediate) == 0) {
                const uint32_t* r = reg(u, j, op.address, op);
                if (!r)
                    return Step::blocked;
                address = *r;
            }
            if ((op.flags & kWrite32DValueImmediate) == 0) {
                const uint32_t* r = reg(u, j, op.value, op);
                if (!r)
                    return Step::blocked;
                value = *r;
            }
            const auto a = to_array(u, op, address, "write");
            if (!a)
                return Step::blocked;
            array_.write32(*a, value);
            return retire();
        }
        case Opcode::Read32:
        case Opcode::Read32D: {
            uint32_t address = op.address;
            uint8_t dest = op.reg_a;
            if (op.code == Opcode::Read32D) {
                const uint32_t* r = reg(u, j, op.reg_a, op);
                if (!r)
                    return Step::blocked;
                address = *r;
                dest = op.reg_b;
            }
            uint32_t* d = reg(u, j, dest, op);
            const auto a = d ? to_array(u, op, address, "read") : std::nullopt;
            if (!a)
                return Step::blocked;
            *d = array_.read32(*a);
            return retire();
        }
        case Opcode::Mov:
        case Opcode::Add: {
            uint32_t* d = reg(u, j, op.reg_a, op);
            if (!d)
                return Step::blocked;
            *d = op.code == Opcode::Mov ? op.value : *d + op.value;
            return retire();
        }
        case Opcode::Poll32:
        case Opcode::MaskPoll32: {
            const auto a = to_array(u, op, op.address, "poll");
            if (!a)
                return Step::blocked;
            const uint32_t mask = op.code == Opcode::Poll32 ? ~0u : op.mask;
            if ((array_.read32(*a) & mask) != op.value)
                return Step::blocked;
            ++result_.polls_met;
            return retire();
        }
        case Opcode::WaitTcts: {
            const auto ch = tct_channel(u, op);
            if (!ch)
                return Step::blocked;
            result_.touched_array = true;
            if (array_.tct_pending(*ch) < op.target || !array_.wait_tcts(*ch, op.target, 0))
                return Step::blocked;
            return retire();
        }
        case Opcode::UcDmaWriteDes: {
            uint32_t* d = reg(u, j, op.reg_a, op);
            const uint32_t handle = d ? issue_dma(u, op, op.imm16_a) : 0;
            if (handle == 0)
                return Step::blocked;
            *d = handle;
            return retire();
        }
        case Opcode::WaitUcDma: {
            const uint32_t* r = reg(u, j, op.reg_a, op);
            if (!r)
                return Step::blocked;
            if (*r == 0 || *r > u.dmas.size()) {
                fail_op(u, op, umq::kErrBadAccess, fmt::format("handle {} was never issued by this uC", *r));
                return Step::blocked;
            }
            return dma_done(u, *r) ? retire() : Step::blocked;
        }
        case Opcode::UcDmaWriteDesSync:
            if (j.sync_handle == 0) {
                j.sync_handle = issue_dma(u, op, op.imm16_a);
                if (j.sync_handle == 0)
                    return Step::blocked;
            }
            if (!dma_done(u, j.sync_handle))
                return Step::blocked;
            j.sync_handle = 0;
            return retire();
        case Opcode::LocalBarrier:
            return local_barrier(u, j, op.reg_a, op.reg_b) ? retire() : Step::blocked;
        case Opcode::RemoteBarrier: {
            uint64_t present = 0;
            for (const Uc& other : ucs_)
                present |= uint64_t{1} << other.program.uc;
            if ((op.mask & ~present) != 0 || op.mask == 0) {
                fail_op(u, op, umq::kErrBadAccess,
                        fmt::format("party mask {:#x} names uCs that run no control code in this command (present "
                                    "{:#x})",
                                    op.mask, present));
                return Step::blocked;
            }
            return remote_barrier(u, j, op.reg_a, op.mask) ? retire() : Step::blocked;
        }
        case Opcode::LaunchJob: {
            for (Job& other : u.jobs) {
                if (other.id == op.imm16_a && other.deferred && !other.launched) {
                    other.launched = true;
                    return retire();
                }
            }
            fail_op(u, op, umq::kErrInvalidPage,
                    fmt::format("job {} is not a deferred, not yet launched job of this page", op.imm16_a));
            return Step::blocked;
        }
        case Opcode::ApplyOffset57:
            return apply_offset(u, op) ? retire() : Step::blocked;
        case Opcode::LoadPdi:
        case Opcode::LoadLastPdi:
            not_implemented(u, op, "PDI pages are not modelled");
            return Step::blocked;
        case Opcode::StartJob:
        case Opcode::StartJobDeferred:
        case Opcode::Eof:
            break;
        }
        fail_op(u, op, umq::kErrInvalidPage, "unexpected inside a job");
        return Step::blocked;
    }

    // APPLY_OFFSET_57 table, n, k (docs/spec/queue-and-cert.md §8.3): add to the 57-bit base of n shim
    // BDs in the page data. k = 0xFFFF adds page 0's host address (as a shim address, i.e.
    // + the 0x80000000 offset [inferred from patch57_aie4]); otherwise k indexes the argument
    // table. XRT 2.25 sends no table (args_len 0) and patches the BDs itself through
    // .rela.dyn, so then there is nothing to add.
    bool apply_offset(Uc& u, const Op& op)
    {
        uint64_t add = 0;
        if (op.imm16_c == kPatchControlCodeFlag) {
            add = u.program.code_address + array_.costs().shim_host_address_offset;
        } else if (env_.args_len != 0) {
            not_implemented(u, op, fmt::format("argument table of {} bytes", env_.args_len));
            return false;
        } else {
            return true;
        }
        for (uint32_t e = 0; e < op.imm16_b; ++e) {
            const size_t bd = size_t{op.imm16_a} + kPageHeaderSize + size_t{e} * kApplyOffsetBdStride;
            if (bd + 8 > u.page.size()) {
                fail_op(u, op, umq::kErrInvalidPage, fmt::format("BD {} at page offset {:#x} is outside the page", e, bd));
                return false;
            }
            const uint32_t w0 = load32(u.page, bd);
            const uint64_t base = ((uint64_t{w0 & kBdAddrHighMask} << 32) | load32(u.page, bd + 4)) + add;
            store32(u.page, bd + 4, static_cast<uint32_t>(base));
            store32(u.page, bd, (w0 & ~kBdAddrHighMask) | (static_cast<uint32_t>(base >> 32) & kBdAddrHighMask));
        }
        return true;
    }

    // ---- errors and diagnostics -------------------------------------------------------------------
    void check_array_errors()
    {
        const auto& errors = array_.errors();
        if (errors.size() < errors_seen_)
            errors_seen_ = 0;   // someone cleared the list
        for (size_t i = errors_seen_; i < errors.size() && !failed(); ++i) {
            const aie::ArrayError& e = errors[i];
            if (e.col >= env_.columns.start && e.col < env_.columns.start + env_.columns.count)
                fail_command(umq::kErrArrayFault,
                             fmt::format("array {} at partition tile ({}, {}): {}", aie::error_kind_name(e.kind),
                                         e.col - env_.columns.start, e.row, e.message));
        }
        errors_seen_ = errors.size();
    }

    // "core program not loaded for tile (c,r); " for each compute tile of the partition whose
    // DMA waits on a lock while its core has no program (partition-relative column).
    std::string absent_cores() const
    {
        std::string out;
        for (const auto& [col, row] : array_.cores_awaited())
            if (col >= env_.columns.start && col < env_.columns.start + env_.columns.count)
                out += fmt::format("core program not loaded for tile ({},{}); ", col - env_.columns.start, row);
        return out;
    }

    std::string describe_waits()
    {
        std::string out;
        for (Uc& u : ucs_) {
            if (u.finished)
                continue;
            if (!u.page_loaded) {
                out += fmt::format("[uC {} fetching page {}] ", u.program.uc, u.page_index);
                continue;
            }
            for (Job& j : u.jobs) {
                if (!j.launched || j.done)
                    continue;
                const Op& op = u.decoded.ops[j.pc];
                std::string detail;
                if (op.code == Opcode::WaitTcts)
                    detail = fmt::format(" tile {:#x} actor {} for {} token(s)", op.imm16_a, op.actor, op.target);
                else if (op.code == Opcode::MaskPoll32 || op.code == Opcode::Poll32)
                    detail = fmt::format(" {:#x} & {:#x} == {:#x}", op.address,
                                         op.code == Opcode::Poll32 ? ~0u : op.mask, op.value);
                else if (op.code == Opcode::LocalBarrier)
                    detail = fmt::format(" lb{} for {} jobs", op.reg_a, op.reg_b);
                else if (op.code == Opcode::RemoteBarrier)
                    detail = fmt::format(" rb id {} mask {:#x}", op.reg_a, op.mask);
                out += fmt::format("[uC {} job {} page {} offset {:#x} {}{}] ", u.program.uc, j.id, u.page_index,
                                   op.offset, opcode_name(op.code), detail);
            }
        }
        if (!out.empty())
            out.pop_back();
        return out;
    }

    ExecEnv env_;
    aie::Array& array_;
    std::vector<Uc> ucs_;
    std::map<unsigned, RemoteBarrier> remote_;
    ExecResult result_;
    size_t errors_seen_ = 0;
    sim::Cycle deadline_ = 0;
    bool done_ = false;
    size_t held_bytes_ = 0;
};

Execution::Execution(const ExecEnv& env, std::span<const UcProgram> programs)
    : runner_(std::make_unique<Runner>(env, programs))
{
}
Execution::~Execution() = default;
void Execution::step() { runner_->step(); }
bool Execution::done() const { return runner_->done(); }
sim::Cycle Execution::wake() const { return runner_->wake(); }
sim::Cycle Execution::deadline() const { return runner_->deadline(); }
void Execution::fail_deadlock() { runner_->fail_deadlock(); }
void Execution::fail_timeout() { runner_->fail_timeout(); }
void Execution::fail_internal(const std::string& why) { runner_->fail_internal(why); }
ExecResult Execution::take_result() { return runner_->take_result(); }

bool advance(aie::Array& array, std::span<Execution* const> running, const AdvanceBudget& budget)
{
    const sim::Cycle start = array.now();
    const uint64_t fired = array.events().fired();
    std::vector<sim::Cycle> own;
    for (;;) {
        bool any_done = false;
        for (Execution* e : running) {
            e->step();
            any_done = any_done || e->done();
        }
        if (any_done)
            return true;   // the caller retires it and may start the queue's next packet at this cycle
        if (array.now() - start >= budget.cycles || array.events().fired() - fired >= budget.events)
            return false;
        // Each execution's next cycle is what it would be alone: its own wake-up or the next
        // array event. One running past its deadline before then times out there, as alone.
        const sim::Cycle event = array.events().next_time();
        sim::Cycle target = sim::kNever;
        own.assign(running.size(), sim::kNever);
        for (size_t i = 0; i < running.size(); ++i) {
            Execution* e = running[i];
            if (e->done())
                continue;
            own[i] = std::min(event, e->wake());
            if (own[i] == sim::kNever) {
                e->fail_deadlock();
                continue;
            }
            target = std::min(target, own[i] > e->deadline() ? std::max(e->deadline(), array.now()) : own[i]);
        }
        if (target == sim::kNever)
            continue;   // every remaining one just failed
        if (target > array.now())
            array.run_for(target - array.now());
        for (size_t i = 0; i < running.size(); ++i)
            if (!running[i]->done() && own[i] > running[i]->deadline() && array.now() >= running[i]->deadline())
                running[i]->fail_timeout();
    }
}

ExecResult execute(const ExecEnv& env, std::span<const UcProgram> programs)
{
    Execution e(env, programs);
    Execution* one = &e;
    while (!advance(env.array, std::span<Execution* const>(&one, 1), AdvanceBudget{})) {
    }
    return e.take_result();
}

} // namespace aie4emu::fw::cert
