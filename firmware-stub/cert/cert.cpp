#include "firmware-stub/cert/cert.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "firmware-stub/cert/queue_facts.hpp"
#include "hw/aie/array.hpp"
#include "hw/aie/host_memory.hpp"
#include "hw/npu3/firmware_port.hpp"
#include "hw/pcie/function.hpp"
#include "hw/sim/internal_error.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::fw::cert {

namespace {

template <typename T>
T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T>
bool read_value(pcie::DmaSpace& dma, uint64_t addr, T& out)
{
    return dma.read(addr, &out, sizeof out);
}

template <typename T>
bool write_value(pcie::DmaSpace& dma, uint64_t addr, T value)
{
    // One write per value: a u64 read_index goes out as a single 8-byte store
    // (docs/spec/queue-and-cert.md §5.3).
    return dma.write(addr, &value, sizeof value);
}

const char* state_name(uint32_t state)
{
    switch (state & umq::kStateMask) {
    case umq::kStateCompleted: return "COMPLETED";
    case umq::kStateError: return "ERROR";
    case umq::kStateAbort: return "ABORT";
    case umq::kStateTimeout: return "TIMEOUT";
    default: return "?";
    }
}

struct HeaderView {
    const umq::HeaderLayout* layout = nullptr;
    uint16_t major = 0, minor = 0;
    uint32_t capacity = 0;
    uint64_t read_index = 0;
    uint64_t write_index = 0;
    uint64_t data_address = 0;
};

std::optional<HeaderView> read_header(pcie::DmaSpace& dma, uint64_t hsa, bool bridge, std::string& why)
{
    std::array<uint8_t, umq::kCommonHeaderBytes> common{};
    if (!dma.read(hsa, common.data(), common.size())) {
        why = fmt::format("DMA fault reading the queue header at {:#x}", hsa);
        return std::nullopt;
    }
    HeaderView h;
    h.read_index = load<uint64_t>(common.data() + umq::kReadIndexOffset);
    h.major = load<uint16_t>(common.data() + umq::kVersionMajorOffset);
    h.minor = load<uint16_t>(common.data() + umq::kVersionMinorOffset);
    h.capacity = load<uint32_t>(common.data() + umq::kCapacityOffset);
    if (!bridge) {
        h.layout = &umq::kKernelLayout;   // what a CERT paired with the 7.3.4 kernel reads
    } else if (h.major == umq::kXrtV1Layout.major) {
        h.layout = &umq::kXrtV1Layout;
    } else if (h.major == umq::kKernelLayout.major) {
        h.layout = &umq::kKernelLayout;
    } else {
        why = fmt::format("unknown queue version {}.{}", h.major, h.minor);
        return std::nullopt;
    }
    if (h.capacity == 0 || (h.capacity & (h.capacity - 1)) != 0 || h.capacity > umq::kMaxCapacity) {
        why = h.capacity > umq::kMaxCapacity
                  ? fmt::format("cap queue_capacity: queue capacity {} exceeds {} slots", h.capacity, umq::kMaxCapacity)
                  : fmt::format("queue capacity {} is not a power of two in 1..{}", h.capacity, umq::kMaxCapacity);
        return std::nullopt;
    }
    if (!read_value(dma, hsa + h.layout->write_index_offset, h.write_index) ||
        !read_value(dma, hsa + h.layout->data_address_offset, h.data_address)) {
        why = fmt::format("DMA fault reading the {}-byte queue header at {:#x}", h.layout->size, hsa);
        return std::nullopt;
    }
    return h;
}

struct Packet {
    uint8_t type = 0, opcode = 0, chain = 0, distribute = 0, indirect = 0;
    uint16_t count = 0;
    uint64_t completion = 0;
    std::array<uint8_t, umq::kSlotDataBytes> data{};
};

Packet parse_slot(const std::array<uint8_t, umq::kSlotBytes>& s)
{
    Packet p;
    p.type = s[umq::kSlotTypeOffset];
    p.opcode = s[umq::kSlotOpcodeOffset];
    p.chain = s[umq::kSlotChainFlagOffset];
    p.count = load<uint16_t>(s.data() + umq::kSlotCountOffset);
    p.distribute = s[umq::kSlotDistributeOffset];
    p.indirect = s[umq::kSlotIndirectOffset];
    p.completion = load<uint64_t>(s.data() + umq::kSlotCompletionOffset);
    std::memcpy(p.data.data(), s.data() + umq::kSlotDataOffset, p.data.size());
    return p;
}

struct ExecBuf {
    uint64_t code = 0;
    uint16_t args_len = 0;
};

ExecBuf parse_exec_buf(const uint8_t* b)
{
    ExecBuf e;
    e.code = uint64_t{load<uint32_t>(b + umq::kExecCodeHighOffset)} << 32 | load<uint32_t>(b + umq::kExecCodeLowOffset);
    e.args_len = load<uint16_t>(b + umq::kExecArgsLenOffset);
    return e;
}

} // namespace

// What a shim DMA of the partition sees of host memory: the function's bus-master DMA.
class Cert::FunctionMemory final : public aie::HostMemory {
public:
    FunctionMemory(npu3::DeviceServices& device, npu3::FunctionIndex fn) : device_(device), fn_(fn) {}
    bool read(uint64_t address, void* out, size_t bytes) override { return device_.dma(fn_).read(address, out, bytes); }
    bool write(uint64_t address, const void* in, size_t bytes) override
    {
        return device_.dma(fn_).write(address, in, bytes);
    }

private:
    npu3::DeviceServices& device_;
    npu3::FunctionIndex fn_;
};

// A packet whose control code is executing: what retiring it needs.
struct Cert::Running {
    Running(const ExecEnv& env, std::span<const UcProgram> programs) : exec(env, programs) {}
    Execution exec;
    CommandRecord rec;
    uint64_t completion = 0;   // completion-signal address
    bool chain = false;
    bool more = false;         // the queue held packets after this one when it started
    unsigned ucs = 0;
};

struct Cert::Queue {
    uint64_t serial = 0;
    HwContext* context = nullptr;   // valid until on_context_destroyed for it
    npu3::FunctionIndex fn = 0;
    uint32_t id = 0;
    uint64_t hsa = 0;
    unsigned msix = 0;
    ColumnRange columns;
    std::string name;               // "vf0"
    std::optional<uint64_t> consumer;
    bool pending = false;           // a doorbell or a retired packet: look at the queue again
    // Host time pending last became true (CommandRecord::host_waiting_since); empty otherwise.
    std::optional<std::chrono::steady_clock::time_point> waiting_since;
    std::unique_ptr<Running> running;   // the packet at `consumer`, executing
    bool failed = false;
    bool chain_failed = false;
    ContextStats stats;
};

Cert::Cert(CertConfig config) : config_(std::move(config))
{
    config_.slice_cycles = std::max<sim::Cycle>(1, config_.slice_cycles);
    config_.slice_events = std::max<uint64_t>(1, config_.slice_events);
}

size_t Cert::host_memory_limit(npu3::FunctionIndex fn) const
{
    return fn < config_.function_host_memory.size() && config_.function_host_memory[fn] != 0
               ? config_.function_host_memory[fn]
               : config_.limits.max_host_bytes;
}

unsigned Cert::share(npu3::FunctionIndex fn) const
{
    const unsigned s = fn < config_.function_shares.size() ? config_.function_shares[fn] : config_.default_share;
    return std::max(1u, s);
}

Cert::~Cert() = default;

void Cert::bind(npu3::DeviceServices& device) { device_ = &device; }

// Contexts of one VF share its partition's columns, and each command's control code
// configures the tiles it uses from scratch but does not undo what another context left
// (routes, locks, BDs, a running core). Before a command of another context than the last
// one on these columns, the columns are reset: a context switch [ours; AIE4's save/restore
// of a preempted context is not modelled]. Commands of the same context keep the state
// their predecessors left, as on hardware.
void Cert::switch_context(aie::Array& array, const Queue& q)
{
    auto [it, fresh] = column_owner_.try_emplace(q.columns.start, q.serial);
    if (fresh || it->second == q.serial)
        return;
    it->second = q.serial;
    array.reset_columns(q.columns.start, q.columns.count);
    counters_.add("cert.context_switches");
    AIE4_LOG(cert, q.name, array.now(), "context {}: context switch on columns [{}, +{})", q.id, q.columns.start,
             q.columns.count);
}

ColumnRange Cert::columns_of(const HwContext& c) const
{
    if (config_.partition_columns)
        if (auto r = config_.partition_columns(c))
            return *r;
    const unsigned vf = c.fn == npu3::kPf ? 0 : c.fn - 1;
    return ColumnRange{static_cast<uint16_t>(vf * config_.columns_per_vf), static_cast<uint16_t>(config_.columns_per_vf)};
}

Cert::FunctionMemory& Cert::host_memory(npu3::FunctionIndex fn)
{
    auto& slot = host_[fn];
    if (!slot)
        slot = std::make_unique<FunctionMemory>(*device_, fn);
    return *slot;
}

Cert::Queue* Cert::find(npu3::FunctionIndex fn, uint32_t id)
{
    for (auto& [serial, q] : queues_)
        if (q.fn == fn && q.id == id)
            return &q;
    return nullptr;
}

unsigned Cert::executing_commands(npu3::FunctionIndex fn) const
{
    unsigned n = 0;
    for (const auto& [serial, q] : queues_)
        if (q.fn == fn && q.running)
            ++n;
    return n;
}

void Cert::on_doorbell(HwContext& context, uint32_t offset, uint32_t value)
{
    counters_.add("cert.doorbells");
    const std::string name = npu3::function_name(context.fn);
    if (device_ == nullptr) {
        AIE4_LOG(cert, name, 0, "doorbell of context {} before bind: ignored", context.id);
        return;
    }
    Queue* q = find(context.fn, context.id);
    if (q == nullptr) {
        const uint64_t serial = next_serial_++;
        Queue& nq = queues_[serial];
        nq.serial = serial;
        nq.fn = context.fn;
        nq.id = context.id;
        nq.hsa = context.hsa_addr;
        nq.msix = context.msix_vector;
        nq.columns = columns_of(context);
        nq.name = name;
        nq.stats.fn = context.fn;
        nq.stats.context_id = context.id;
        q = &nq;
        AIE4_LOG(cert, name, 0, "context {}: queue at {:#x}, columns [{}, +{}), completion vector {}", context.id,
                 q->hsa, q->columns.start, q->columns.count, q->msix);
    }
    q->context = &context;
    if (q->failed) {
        context.state = ContextState::failed;
        AIE4_LOG(cert, name, 0, "doorbell of failed context {} (+{:#x} <- {:#x}): ignored", context.id, offset, value);
        return;
    }
    q->pending = true;
    if (!q->waiting_since)
        q->waiting_since = std::chrono::steady_clock::now();
    schedule();
}

void Cert::schedule()
{
    if (turn_scheduled_)
        return;
    turn_scheduled_ = true;
    std::weak_ptr<int> alive = alive_;
    device_->defer([this, alive] {
        if (alive.expired())
            return;
        turn();
    });
}

// One slice of CERT's time on the simulation thread: start waiting packets (functions in
// round-robin order, each up to its share of packets, its contexts in round-robin order),
// then move every executing command forward together by at most one slice, then give the
// thread back (the I/O loop serves MMIO, mailbox messages and doorbells of every function
// before the next turn).
void Cert::turn()
{
    turn_scheduled_ = false;
    admit_waiting();
    advance_running();
    const bool busy = std::any_of(queues_.begin(), queues_.end(), [](const auto& kv) {
        const Queue& q = kv.second;
        return !q.failed && (q.running || q.pending);
    });
    if (busy)
        schedule();
}

void Cert::admit_waiting()
{
    std::map<npu3::FunctionIndex, std::vector<Queue*>> by_fn;
    for (auto& [serial, q] : queues_)
        if (!q.failed && q.pending && !q.running)
            by_fn[q.fn].push_back(&q);
    if (by_fn.empty())
        return;
    // Start with the function after the one that started first last turn.
    auto first = by_fn.upper_bound(last_first_fn_);
    if (first == by_fn.end())
        first = by_fn.begin();
    last_first_fn_ = first->first;
    auto it = first;
    do {
        const npu3::FunctionIndex fn = it->first;
        std::vector<Queue*>& qs = it->second;
        // Contexts of the function round robin: begin after the one served last.
        const uint64_t after = last_served_[fn];
        std::stable_partition(qs.begin(), qs.end(), [after](const Queue* q) { return q->serial > after; });
        unsigned budget = share(fn);
        bool progress = true;
        while (budget > 0 && progress) {
            progress = false;
            for (Queue* q : qs) {
                if (budget == 0)
                    break;
                if (q->failed || q->running || !q->pending || columns_busy(*q))
                    continue;
                bool took = false;
                try {
                    took = admit(*q);
                } catch (...) {
                    // Half-read queue state: the context fails (its other packets are not run).
                    const std::string what(sim::exception_message(std::current_exception()));
                    sim::report_internal_error(fmt::format("CERT reading a queue of {}", q->name), what);
                    q->running.reset();
                    fail_queue(*q, "internal error: " + what);
                    continue;
                }
                if (took) {
                    --budget;
                    progress = true;
                    last_served_[fn] = q->serial;
                }
            }
        }
        if (++it == by_fn.end())
            it = by_fn.begin();
    } while (it != first);
}

bool Cert::columns_busy(const Queue& q) const
{
    return std::any_of(queues_.begin(), queues_.end(), [&](const auto& kv) {
        const Queue& o = kv.second;
        return o.running && &o != &q && o.columns.start < q.columns.start + q.columns.count &&
               q.columns.start < o.columns.start + o.columns.count;
    });
}

void Cert::advance_running()
{
    std::vector<Queue*> qs;
    std::vector<Execution*> execs;
    for (auto& [serial, q] : queues_)
        if (q.running) {
            qs.push_back(&q);
            execs.push_back(&q.running->exec);
        }
    if (execs.empty())
        return;
    aie::Array& array = device_->array();
    const AdvanceBudget budget{config_.slice_cycles, config_.slice_events};
    counters_.add("cert.slices");
    try {
        advance(array, execs, budget);
    } catch (...) {
        // Thrown while the array's events ran: it cannot be told whose event it was, so every
        // command executing now fails and their partitions are reset.
        const std::string what(sim::exception_message(std::current_exception()));
        sim::report_internal_error("CERT advancing the array", what);
        for (Execution* e : execs)
            if (!e->done())
                e->fail_internal(what);
    }
    for (Queue* q : qs) {
        if (!q->running->exec.done())
            continue;
        try {
            finish_execution(*q);
        } catch (...) {
            const std::string what(sim::exception_message(std::current_exception()));
            sim::report_internal_error(fmt::format("CERT completing a command of {}", q->name), what);
            q->running.reset();
            fail_queue(*q, "internal error: " + what);
        }
    }
}

void Cert::fail_queue(Queue& q, std::string why)
{
    q.failed = true;
    q.stats.failed = true;
    q.stats.failure = why;
    if (q.context != nullptr)
        q.context->state = ContextState::failed;
    counters_.add("cert.queue_failures");
    AIE4_LOG(cert, q.name, 0, "context {} failed: {}", q.id, why);
    device_->trace(q.fn, fmt::format("cert: context {} failed: {}", q.id, why));
}

// Reads the header and takes the packet at the consumer index: a packet with control code
// starts executing (finish_execution retires it), any other completes at once. Returns false
// if there was no packet to take (or the queue failed).
bool Cert::admit(Queue& q)
{
    q.pending = false;
    const auto waiting_since = q.waiting_since.value_or(std::chrono::steady_clock::now());
    q.waiting_since.reset();
    pcie::DmaSpace& dma = device_->dma(q.fn);
    std::string why;
    const auto h = read_header(dma, q.hsa, config_.umq_mirror, why);
    if (!h) {
        fail_queue(q, why);
        return false;
    }
    if (!q.consumer)
        q.consumer = h->read_index;
    const uint64_t c = *q.consumer;
    const uint64_t wi = h->write_index;
    if (wi < c || wi - c > h->capacity) {
        fail_queue(q, fmt::format("invalid index: consumer {}, write_index {}, capacity {}", c, wi, h->capacity));
        return false;
    }
    // docs/spec/queue-and-cert.md §1.3: publish the snapshot the kernel will compare read_index against. It never exceeds
    // the real write_index and every read_index written below stays <= it.
    const bool mirror = config_.umq_mirror && h->layout == &umq::kXrtV1Layout;
    if (mirror && !write_value(dma, q.hsa + umq::kKernelWriteIndexOffset, wi)) {
        fail_queue(q, fmt::format("DMA fault mirroring write_index to {:#x}", q.hsa + umq::kKernelWriteIndexOffset));
        return false;
    }
    if (wi == c) {
        if (!config_.umq_mirror && h->major == umq::kXrtV1Layout.major)
            AIE4_LOG(cert, q.name, 0,
                     "context {}: queue says version {}.{} but umq_mirror is off: reading the kernel layout, "
                     "write_index @{:#x} = {} (docs/spec/queue-and-cert.md §1.2)",
                     q.id, h->major, h->minor, umq::kKernelLayout.write_index_offset, wi);
        return false;
    }

    const uint64_t slot_addr = h->data_address + uint64_t{umq::kSlotBytes} * (c & (h->capacity - 1));
    std::array<uint8_t, umq::kSlotBytes> slot{};
    if (slot_addr < h->data_address || !dma.read(slot_addr, slot.data(), slot.size())) {
        fail_queue(q, fmt::format("DMA fault reading slot {} at {:#x}", c & (h->capacity - 1), slot_addr));
        return false;
    }
    const Packet p = parse_slot(slot);

    CommandRecord rec;
    rec.fn = q.fn;
    rec.context_id = q.id;
    rec.host_waiting_since = waiting_since;
    rec.seq = c;
    rec.opcode = p.opcode;
    uint32_t state = 0;
    aie::Array* array = nullptr;
    try {
        array = &device_->array();
    } catch (const std::exception& e) {
        rec.error = fmt::format("no tile array: {}", e.what());
    }
    rec.start_cycle = rec.end_cycle = array ? array->now() : 0;

    auto invalid = [&](std::string msg) {
        rec.error = std::move(msg);
        return umq::kInvalidPacket;
    };
    std::vector<UcProgram> programs;
    uint16_t args_len = 0;
    if (array == nullptr) {
        state = umq::uc_error(0, umq::kErrArrayFault);
    } else if (q.chain_failed) {
        rec.error = "an earlier command of the chain failed";
        state = umq::kStateAbort;
    } else if (p.opcode == umq::kOpcodeTest) {
        state = umq::kStateCompleted;   // nothing to run [inferred]
    } else if (p.opcode == umq::kOpcodeExit) {
        state = umq::kExitPacket;
    } else if (p.opcode != umq::kOpcodeExecBuf) {
        rec.error = fmt::format("packet opcode {} is not EXEC_BUF/TEST/EXIT", p.opcode);
        state = umq::uc_error(0, umq::kErrInvalidOpcode);
    } else if (p.indirect == 0) {
        if (p.count < umq::kExecBufBytes || p.count > umq::kSlotDataBytes) {
            state = invalid(fmt::format("direct EXEC_BUF with count {} (want {})", p.count, umq::kExecBufBytes));
        } else {
            const ExecBuf e = parse_exec_buf(p.data.data());
            programs.push_back(UcProgram{0, e.code});
            args_len = e.args_len;
        }
    } else {
        const unsigned entries = p.count / umq::kIndirectEntryBytes;
        if (entries > umq::kMaxIndirectEntries) {
            state = invalid(fmt::format("cap indirect_entries: indirect EXEC_BUF with {} entries (at most {})", entries,
                                        umq::kMaxIndirectEntries));
        } else if (p.count == 0 || p.count % umq::kIndirectEntryBytes != 0) {
            state = invalid(fmt::format("indirect EXEC_BUF with count {}", p.count));
        } else {
            for (unsigned i = 0; i < entries && state == 0; ++i) {
                const uint8_t* ent = p.data.data() + i * umq::kIndirectEntryBytes;
                const uint32_t low = load<uint32_t>(ent), high = load<uint32_t>(ent + 4);
                if (low == umq::kInvalidIndirectAddr)
                    continue;
                const unsigned uc = high >> umq::kIndirectUcShift;
                const uint64_t addr = uint64_t{high & umq::kIndirectAddrHighMask} << 32 | low;
                std::array<uint8_t, umq::kIndirectDataBytes> ind{};
                if (uc > umq::kMaxUcIndex) {
                    state = invalid(fmt::format("indirect entry {} names uC {}", i, uc));
                } else if (std::any_of(programs.begin(), programs.end(), [&](const UcProgram& u) { return u.uc == uc; })) {
                    state = invalid(fmt::format("indirect entry {} names uC {} twice", i, uc));
                } else if (!dma.read(addr, ind.data(), ind.size())) {
                    state = invalid(fmt::format("DMA fault reading indirect entry {} at {:#x}", i, addr));
                } else if (ind[umq::kSlotOpcodeOffset] != umq::kOpcodeExecBuf) {
                    state = invalid(fmt::format("indirect entry {}: opcode {}", i, ind[umq::kSlotOpcodeOffset]));
                } else if (ind[umq::kSlotIndirectOffset] != 0) {
                    rec.error = fmt::format("not implemented: nested indirect packet (entry {})", i);
                    state = umq::uc_error(uc, umq::kErrInvalidOpcode);
                } else if (load<uint16_t>(ind.data() + umq::kSlotCountOffset) < umq::kExecBufBytes) {
                    state = invalid(fmt::format("indirect entry {}: count {}", i,
                                                load<uint16_t>(ind.data() + umq::kSlotCountOffset)));
                } else {
                    const ExecBuf e = parse_exec_buf(ind.data() + umq::kIndirectDataHeaderBytes);
                    programs.push_back(UcProgram{uc, e.code});
                    args_len = std::max(args_len, e.args_len);
                }
            }
            if (state == 0 && programs.empty())
                state = invalid("indirect EXEC_BUF without a valid entry");
        }
    }

    if (state == 0) {
        const auto& geo = array->geometry();
        if (q.columns.count != 0 && unsigned{q.columns.start} + q.columns.count <= geo.columns) {
            switch_context(*array, q);
            array->attach_host_memory(q.columns.start, q.columns.count, &host_memory(q.fn));
        }
        ExecLimits limits = config_.limits;
        limits.max_host_bytes = host_memory_limit(q.fn);
        const ExecEnv env{*array, dma, q.columns, config_.costs, limits, args_len, q.name};
        q.running = std::make_unique<Running>(env, programs);
        q.running->rec = std::move(rec);
        q.running->completion = p.completion;
        q.running->chain = p.chain != 0;
        q.running->more = c + 1 < wi;
        q.running->ucs = static_cast<unsigned>(programs.size());
        return true;
    }
    retire(q, std::move(rec), state, p.completion, p.chain != 0, c + 1 < wi);
    return true;
}

void Cert::finish_execution(Queue& q)
{
    std::unique_ptr<Running> run = std::move(q.running);
    aie::Array& array = device_->array();
    const auto& geo = array.geometry();
    CommandRecord rec = std::move(run->rec);
    ExecResult r = run->exec.take_result();
    {
        const uint32_t state = r.state;
        rec.start_cycle = r.start_cycle;
        rec.start_cycle = r.start_cycle;
        rec.end_cycle = r.end_cycle;
        rec.ucs = run->ucs;
        rec.ops = r.ops;
        rec.pages = r.pages;
        rec.uc_dma_words = r.uc_dma_words;
        rec.timestamps = std::move(r.timestamps);
        rec.error = std::move(r.error);
        if (!rec.error.empty() && config_.reset_partition_on_error && r.touched_array &&
            unsigned{q.columns.start} + q.columns.count <= geo.columns) {
            array.reset_columns(q.columns.start, q.columns.count);
            AIE4_LOG(cert, q.name, array.now(), "context {}: partition columns [{}, +{}) reset after the error",
                     q.id, q.columns.start, q.columns.count);
        }
        // Keep the array's error list from reaching its cap (executions only look at new
        // entries; none may be in progress when it is cleared).
        const bool others = std::any_of(queues_.begin(), queues_.end(), [](const auto& kv) { return kv.second.running != nullptr; });
        if (!others && array.errors().size() > 4096)
            array.clear_errors();
        retire(q, std::move(rec), state, run->completion, run->chain, run->more);
    }
}

// §5.3: completion word, (mirror: already published, >= c + 1), read_index, MSI-X.
void Cert::retire(Queue& q, CommandRecord rec, uint32_t state, uint64_t completion, bool chain, bool more)
{
    pcie::DmaSpace& dma = device_->dma(q.fn);
    const uint64_t c = rec.seq;
    {
    rec.state = state;
    rec.host_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - rec.host_waiting_since)
                                            .count());
    if (!write_value(dma, completion, state)) {
        counters_.add("cert.completion_faults");
        AIE4_LOG(cert, q.name, rec.end_cycle, "context {} seq {}: DMA fault writing the completion word at {:#x}",
                 q.id, c, completion);
    }
    if (!write_value(dma, q.hsa + umq::kReadIndexOffset, c + 1)) {
        record(q, std::move(rec));
        fail_queue(q, fmt::format("DMA fault writing read_index at {:#x}", q.hsa + umq::kReadIndexOffset));
        return;
    }
    q.consumer = c + 1;
    device_->raise_msix(q.fn, q.msix);

    // Chains (§5.2): after a failure, the rest of the chain completes ABORT.
    const bool ok = (state & umq::kStateMask) == umq::kStateCompleted;
    q.chain_failed = chain && (q.chain_failed || !ok);
    const bool packet_error = (state & umq::kStateMask) == umq::kStateError && state != umq::kExitPacket;
    record(q, std::move(rec));
    if (packet_error && config_.fail_context_on_packet_error) {
        fail_queue(q, fmt::format("command seq {} failed with {:#x}", c, state));
        return;
    }
    q.pending = q.pending || more;   // (a doorbell meanwhile set it too)
    if (q.pending && !q.waiting_since)
        q.waiting_since = std::chrono::steady_clock::now();
    }
}

void Cert::record(Queue& q, CommandRecord rec)
{
    ContextStats& s = q.stats;
    FunctionTotals& t = totals_[q.fn];
    s.consumer = q.consumer.value_or(0);
    ++s.commands;
    ++t.commands;
    counters_.add("cert.commands");
    switch (rec.state & umq::kStateMask) {
    case umq::kStateCompleted:
        ++s.completed;
        ++t.completed;
        counters_.add("cert.completed");
        break;
    case umq::kStateAbort:
        ++s.aborted;
        ++t.aborted;
        counters_.add("cert.aborted");
        break;
    default:
        ++s.errors;
        ++t.errors;
        counters_.add("cert.errors");
        break;
    }
    s.last_cycles = rec.cycles();
    s.total_cycles += rec.cycles();
    t.cycles += rec.cycles();
    counters_.add("cert.cycles", rec.cycles());
    if (rec.error.empty())
        AIE4_LOG(cert, q.name, rec.end_cycle, "context {} seq {}: {} in {} cycles ({} ops, {} pages)", q.id, rec.seq,
                 state_name(rec.state), rec.cycles(), rec.ops, rec.pages);
    else
        AIE4_LOG(cert, q.name, rec.end_cycle, "context {} seq {}: {} {:#x}: {}", q.id, rec.seq, state_name(rec.state),
                 rec.state, rec.error);
    if (observer_)
        observer_(rec);
    if (config_.history_size == 0)
        return;
    if (history_.size() >= config_.history_size)
        history_.pop_front();
    history_.push_back(std::move(rec));
}

void Cert::on_context_destroyed(const HwContext& context)
{
    Queue* q = find(context.fn, context.id);
    if (q == nullptr || device_ == nullptr)
        return;
    if (q->running) {
        // The executing packet is the one at the consumer index: it completes ABORT below.
        AIE4_LOG(cert, q->name, 0, "context {}: destroyed while seq {} was executing", q->id, q->running->rec.seq);
        device_->trace(q->fn, fmt::format("cert: context {} destroyed while seq {} was executing", q->id,
                                          q->running->rec.seq));
        q->running.reset();
        counters_.add("cert.aborted_running");
    }
    // Packets still queued complete ABORT while the queue BO still exists (the driver drops it
    // only after DESTROY_HW_CONTEXT returns).
    if (!q->failed && q->consumer) {
        pcie::DmaSpace& dma = device_->dma(q->fn);
        std::string why;
        const auto h = read_header(dma, q->hsa, config_.umq_mirror, why);
        const uint64_t c = *q->consumer;
        if (h && h->write_index > c && h->write_index - c <= h->capacity) {
            sim::Cycle t = 0;
            try {
                t = device_->array().now();
            } catch (const std::exception&) {
                // A device without an array (device.hpp: unit tests): the records carry cycle 0.
            }
            for (uint64_t n = c; n < h->write_index; ++n) {
                const uint64_t slot_addr = h->data_address + uint64_t{umq::kSlotBytes} * (n & (h->capacity - 1));
                uint64_t completion = 0;
                if (read_value(dma, slot_addr + umq::kSlotCompletionOffset, completion))
                    (void)write_value(dma, completion, umq::kStateAbort);
                CommandRecord rec;
                rec.fn = q->fn;
                rec.context_id = q->id;
                rec.seq = n;
                rec.state = umq::kStateAbort;
                rec.start_cycle = rec.end_cycle = t;
                rec.error = "context destroyed before the command ran";
                q->consumer = n + 1;
                record(*q, std::move(rec));
            }
            if (config_.umq_mirror && h->layout == &umq::kXrtV1Layout)
                (void)write_value(dma, q->hsa + umq::kKernelWriteIndexOffset, h->write_index);
            (void)write_value(dma, q->hsa + umq::kReadIndexOffset, h->write_index);
            device_->raise_msix(q->fn, q->msix);
        }
    }
    // Release the columns if no other context of this function uses them: no shim DMA may
    // reach this function's memory once we return.
    const ColumnRange cols = q->columns;
    const npu3::FunctionIndex fn = q->fn;
    const uint64_t serial = q->serial;
    queues_.erase(serial);
    const bool shared = std::any_of(queues_.begin(), queues_.end(), [&](const auto& kv) {
        const Queue& o = kv.second;
        return o.fn == fn && o.columns.start < cols.start + cols.count && cols.start < o.columns.start + o.columns.count;
    });
    if (!shared) {
        try {
            aie::Array& array = device_->array();
            if (cols.count != 0 && unsigned{cols.start} + cols.count <= array.geometry().columns) {
                array.attach_host_memory(cols.start, cols.count, nullptr);
                array.reset_columns(cols.start, cols.count);
            }
        } catch (const std::exception&) {
            // A device without an array (device.hpp: unit tests): no columns to release.
        }
    }
    AIE4_LOG(cert, npu3::function_name(fn), 0, "context {} destroyed", context.id);
}

std::optional<ContextStats> Cert::context_stats(npu3::FunctionIndex fn, uint32_t context_id) const
{
    for (const auto& [serial, q] : queues_)
        if (q.fn == fn && q.id == context_id)
            return q.stats;
    return std::nullopt;
}

std::vector<ContextStats> Cert::all_context_stats() const
{
    std::vector<ContextStats> out;
    for (const auto& [serial, q] : queues_)
        out.push_back(q.stats);
    return out;
}

} // namespace aie4emu::fw::cert
