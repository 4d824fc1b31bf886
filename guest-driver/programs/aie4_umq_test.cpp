// aie4-umq-test: drive an AIE4 VF's user-mode queues through the bare amdxdna uAPI (no XRT)
// exactly as XRT 2.25 does, and measure commands/s and doorbell->completion latency.
//
// See guest-driver/README.md for the options and the workloads.
//
// Exit status: 0 pass, 1 a command or result check failed, 2 usage/device error.

#include "cli/cli.hpp"
#include "guest-driver/include/xrt_umq_layout.hpp"
#include "guest-driver/lib/cli.hpp"
#include "guest-driver/lib/ctrlcode_elf.hpp"
#include "guest-driver/lib/embedded_files.hpp"
#include "guest-driver/lib/ert_command.hpp"
#include "guest-driver/lib/umq_writer.hpp"
#include "guest-driver/lib/vf_session.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <sched.h>
#include <string>
#include <vector>

using namespace aie4emu::guest;
namespace umq = aie4emu::guest::umq;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int exit_pass = 0, exit_fail = 1, exit_usage = 2;
constexpr std::uint64_t command_bo_size = 4096;

enum class WaitMode { ioctl, poll };
enum class Inject { none, bad_opcode, bad_count, bad_page, dma_fault };

struct Options {
    VfOpenOptions vf;
    std::uint32_t count = 100;
    std::uint32_t depth = 1;
    std::uint32_t contexts = 1;
    std::uint64_t size = 4096;
    QueueLayout layout = QueueLayout::xrt_v1;
    bool expect_error = false;
    std::string_view workload = "empty";
    std::string ctrlcode_path;
    WaitMode wait = WaitMode::ioctl;
    WaitIoctl wait_ioctl = WaitIoctl::kernel;
    std::uint32_t timeout_ms = 5000;
    Inject inject = Inject::none;
    std::uint32_t cols = 0; // 0: metadata cols
};

// What a workload gives the contexts: control code (uC 0), argument buffers and the
// expected content of the output arguments.
struct WorkloadData {
    ControlCodeElf elf;
    std::vector<std::vector<std::uint8_t>> inputs; // initial content per argument
    std::vector<std::optional<std::vector<std::uint8_t>>> expected; // per argument, if checked
};

struct InFlight {
    std::uint64_t seq = 0;
    std::uint32_t cmd_index = 0;
    Clock::time_point doorbell;
};

struct Context {
    Bo queue_bo;
    Bo code_bo;
    std::vector<Bo> cmd_bos;
    std::vector<Bo> arg_bos;
    HwContext hw;
    Doorbell doorbell;
    std::optional<UmqWriter> writer;
    std::uint32_t start_header = 0;
    std::deque<InFlight> inflight;
    std::vector<std::uint32_t> free_cmds;
};

// The tables the options accept; --help lists them.
constexpr aie4emu::cli::Choice<std::string_view> kWorkloads[] = {
    {"empty", "empty", "control code with no data movement (default)"},
    {"copy", "copy", "32 x 32 words through a memory tile, transposed, checked"},
    {"gemm", "gemm", "64 x 64 x 64 int8 GEMM on a compute tile, checked"},
    {"gemm-long", "gemm-long", "the GEMM 256 times in one command (a long job), checked"},
    {"gemm-xlong", "gemm-xlong", "the GEMM 1,024 times in one command (4 DMA tasks of 256), checked"},
};
constexpr aie4emu::cli::Choice<WaitMode> kWaitModes[] = {
    {"ioctl", WaitMode::ioctl, "DRM_IOCTL_AMDXDNA_WAIT_CMD (default)"},
    {"poll", WaitMode::poll, "poll the completion word"},
};
constexpr aie4emu::cli::Choice<WaitIoctl> kWaitIoctls[] = {
    {"kernel", WaitIoctl::kernel, "0x40106449, the 7.3.4 kernel's number (default)"},
    {"xrt", WaitIoctl::xrt, "0xC0106449, XRT 2.25's number"},
};
// The faults a run can inject; each makes every command complete with an error.
constexpr aie4emu::cli::Choice<Inject> kInjectKinds[] = {
    {"none", Inject::none, "(default)"},
    {"bad-opcode", Inject::bad_opcode, "slot opcode 0x7f"},
    {"bad-count", Inject::bad_count, "EXEC_BUF slot whose payload count is 0"},
    {"bad-page", Inject::bad_page, "page marker 0"},
    {"dma-fault", Inject::dma_fault, "last argument patched to an address outside guest RAM"},
};

std::optional<int> parse_options(int argc, char** argv, Options& o)
{
    CLI::App app{"Drives an AIE4 VF's user-mode queues through the bare amdxdna uAPI (no XRT) as XRT 2.25\n"
                 "does, and measures commands/s and doorbell->completion latency.\n"
                 "Exit status: 0 pass, 1 a command or result check failed, 2 usage or device error.",
                 "aie4-umq-test"};
    aie4emu::cli::configure(app, "usage: aie4-umq-test [options]");
    add_vf_options(app, o.vf);
    namespace cli = aie4emu::cli;
    cli::add_choice<std::string_view>(app, "--workload", o.workload, kWorkloads, "what each command runs:");
    cli::add_number(app, "--count", o.count, 1u, 100000000u, "commands to submit in total (default 100)");
    cli::add_number(app, "--depth", o.depth, 1u, aie4emu::guest::uapi::ctx_max_cmds,
                    "outstanding commands per context (default 1)");
    cli::add_number(app, "--contexts", o.contexts, 1u, 255u, "hardware contexts in this process (default 1)");
    cli::add_number(app, "--size", o.size, std::uint64_t{1}, std::uint64_t{1} << 30,
                    "copy buffer size in bytes (default 4096)");
    cli::add_choice<QueueLayout>(app, "--layout", o.layout, kQueueLayouts, "queue layout:");
    cli::add_choice<WaitMode>(app, "--wait", o.wait, kWaitModes, "how completion is awaited:");
    cli::add_choice<WaitIoctl>(app, "--wait-ioctl", o.wait_ioctl, kWaitIoctls, "WAIT_CMD ioctl number:");
    cli::add_number(app, "--timeout-ms", o.timeout_ms, 0u, UINT32_MAX, "per-command timeout (default 5000)");
    app.add_flag("--expect-error", o.expect_error, "every command must complete with an ERROR state");
    cli::add_choice<Inject>(app, "--inject", o.inject, kInjectKinds, "fault to inject:");
    app.add_option("--ctrlcode", o.ctrlcode_path, "control-code ELF instead of the embedded fixture")
        ->type_name("FILE");
    cli::add_number(app, "--cols", o.cols, 1u, 64u,
                    "columns for num_tiles = cols x core_rows (default: metadata cols)");
    if (auto rc = cli::run(app, argc, argv))
        return rc;
    auto usage_error = [](const char* message) {
        std::fprintf(stderr, "aie4-umq-test: error: %s (see --help)\n", message);
        return exit_usage;
    };
    if (o.inject == Inject::dma_fault && o.workload == "empty")
        return usage_error("--inject dma-fault needs a workload with arguments (copy or gemm)");
    if (o.inject != Inject::none && !o.expect_error)
        return usage_error("--inject makes commands fail; combine it with --expect-error");
    return std::nullopt;
}

std::optional<ControlCodeElf> load_elf(const std::string& path, const char* embedded_name, std::string& error)
{
    std::vector<std::uint8_t> bytes;
    if (!path.empty()) {
        auto file = read_file_bytes(path);
        if (!file) {
            error = "cannot read " + path;
            return std::nullopt;
        }
        bytes = std::move(*file);
    } else {
        const auto e = embedded_file(embedded_name);
        bytes.assign(e.begin(), e.end());
    }
    auto parsed = parse_ctrlcode_elf(bytes);
    if (!parsed.elf) {
        error = parsed.error;
        return std::nullopt;
    }
    return std::move(parsed.elf);
}

// A device address no guest of ours has RAM at (1 TiB): the shim DMA must fault on it.
constexpr std::uint64_t kOutsideGuestRam = 1ull << 40;
constexpr std::uint32_t kCopyDim = 32;                        // copy.asm: 32 x 32 words
constexpr std::uint32_t kCopyBytes = kCopyDim * kCopyDim * 4;
constexpr std::uint32_t kGemmDim = 64;                        // gemm.asm: 64 x 64 x 64

// out word (i, j) = in word (j, i) of an n x n matrix of little-endian 32-bit words.
std::vector<std::uint8_t> transpose_words(const std::vector<std::uint8_t>& in, std::uint32_t n)
{
    std::vector<std::uint8_t> out(in.size());
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t j = 0; j < n; ++j)
            std::memcpy(&out[(i * n + j) * 4], &in[(j * n + i) * 4], 4);
    return out;
}

// C[i][j] = sum_k A[i][k] * B[k][j]; A and B signed 8-bit, C signed 32-bit little-endian.
std::vector<std::uint8_t> gemm_i8_reference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b,
                                            std::uint32_t n)
{
    std::vector<std::uint8_t> c(std::size_t{n} * n * 4);
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t j = 0; j < n; ++j) {
            std::int32_t sum = 0;
            for (std::uint32_t k = 0; k < n; ++k)
                sum += static_cast<std::int8_t>(a[i * n + k]) * static_cast<std::int8_t>(b[k * n + j]);
            std::memcpy(&c[(std::size_t{i} * n + j) * 4], &sum, 4);
        }
    return c;
}

// Returns an exit code on failure/skip.
std::optional<int> prepare_workload(const Options& o, WorkloadData& w)
{
    std::string error;
    if (o.workload == "empty") {
        auto elf = load_elf(o.ctrlcode_path, "empty.elf", error);
        if (!elf) {
            std::fprintf(stderr, "aie4-umq-test: control code: %s\n", error.c_str());
            return exit_usage;
        }
        w.elf = std::move(*elf);
        return std::nullopt;
    }
    if (o.workload == "copy") {
        // copy.asm moves a 32 x 32 matrix of 32-bit words host -> shim -> memory tile -> shim ->
        // host and transposes it on the way (memory-tile BD strides): 4096 bytes exactly.
        if (o.size != kCopyBytes) {
            std::fprintf(stderr, "aie4-umq-test: copy: copy.elf moves exactly %u bytes (a 32 x 32 word matrix)\n",
                         kCopyBytes);
            return exit_usage;
        }
        auto elf = load_elf(o.ctrlcode_path, "copy.elf", error);
        if (!elf) {
            std::fprintf(stderr, "aie4-umq-test: control code: %s\n", error.c_str());
            return exit_usage;
        }
        w.elf = std::move(*elf);
        std::vector<std::uint8_t> input(kCopyBytes);
        for (std::size_t i = 0; i < input.size(); ++i)
            input[i] = static_cast<std::uint8_t>((i * 131 + 7) ^ (i >> 8));
        w.inputs = {input, std::vector<std::uint8_t>(kCopyBytes, 0)};
        w.expected = {std::nullopt, transpose_words(input, kCopyDim)};
        return std::nullopt;
    }
    // gemm: C = A x B, 64 x 64 x 64, int8 inputs, int32 output, all row-major. The inputs are
    // pseudo-random and the expected C is computed here, independently of the device.
    // gemm-long, gemm-xlong: the same pipeline run 256 or 1,024 times on the same buffers, so
    // the same C.
    const std::string fixture = std::string(o.workload) + ".elf";
    auto elf = load_elf(o.ctrlcode_path, fixture.c_str(), error);
    if (!elf) {
        std::fprintf(stderr, "aie4-umq-test: control code: %s\n", error.c_str());
        return exit_usage;
    }
    w.elf = std::move(*elf);
    std::vector<std::uint8_t> a(kGemmDim * kGemmDim), b(kGemmDim * kGemmDim);
    std::uint32_t state = 0x2545F491u;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return static_cast<std::uint8_t>(state >> 24);
    };
    for (auto& v : a)
        v = next();
    for (auto& v : b)
        v = next();
    w.inputs = {a, b, std::vector<std::uint8_t>(kGemmDim * kGemmDim * 4, 0)};
    w.expected = {std::nullopt, std::nullopt, gemm_i8_reference(a, b, kGemmDim)};
    return std::nullopt;
}

void setup_context(const Options& o, const Device& dev, const aie4emu::guest::uapi::AieMetadata& md,
                   const WorkloadData& w, Context& ctx)
{
    const auto geometry = queue_geometry(o.layout);
    // XRT allocates the queue as a CMD BO (SHARE internally) and zero-fills it.
    ctx.queue_bo = dev.create_bo(geometry.bo_size, aie4emu::guest::uapi::BoType::cmd);
    ctx.writer.emplace(ctx.queue_bo.bytes(), ctx.queue_bo.xdna_addr(), o.layout);
    ctx.writer->initialise();

    for (const auto& input : w.inputs) {
        ctx.arg_bos.push_back(dev.create_bo(input.size(), aie4emu::guest::uapi::BoType::share));
        std::memcpy(ctx.arg_bos.back().bytes().data(), input.data(), input.size());
    }

    const UcControlCode* uc0 = w.elf.find_uc(0);
    if (uc0 == nullptr)
        throw std::runtime_error("control code has no uC 0");
    UcControlCode code = *uc0;
    for (std::uint32_t arg = 0; arg < ctx.arg_bos.size(); ++arg) {
        std::uint64_t addr = ctx.arg_bos[arg].xdna_addr();
        if (o.inject == Inject::dma_fault && arg + 1 == ctx.arg_bos.size())
            addr = kOutsideGuestRam;
        if (patch_argument(code, w.elf.relocs, arg, addr, umq::ctrlcode::ddr_aie_addr_offset) < 0)
            throw std::runtime_error("cannot patch argument " + std::to_string(arg) + " into the control code");
    }
    if (o.inject == Inject::bad_page)
        code.image[0] = code.image[1] = 0; // page marker 0xFFFF -> 0
    ctx.code_bo = dev.create_bo(code.image.size(), aie4emu::guest::uapi::BoType::cmd);
    std::memcpy(ctx.code_bo.bytes().data(), code.image.data(), code.image.size());

    for (std::uint32_t i = 0; i < o.depth; ++i) {
        ctx.cmd_bos.push_back(dev.create_bo(command_bo_size, aie4emu::guest::uapi::BoType::cmd));
        DpuData dpu;
        dpu.instruction_buffer = ctx.code_bo.xdna_addr();
        dpu.instruction_buffer_size = static_cast<std::uint32_t>(code.image.size());
        dpu.uc_index = 0;
        if (write_start_dpu(ctx.cmd_bos.back().bytes(), std::span<const DpuData>(&dpu, 1)) == 0)
            throw std::runtime_error("command BO too small");
        ctx.free_cmds.push_back(i);
    }
    ctx.start_header = start_dpu_header((umq::ert::dpu_data_offset + umq::ert::dpu_data_size - 4) / 4);

    HwContextRequest req;
    req.umq_bo = ctx.queue_bo.handle();
    const std::uint32_t cols = o.cols != 0 ? o.cols : md.cols;
    req.num_tiles = cols * md.core.row_count; // as XRT: columns x core rows
    ctx.hw = dev.create_hwctx(req);
    ctx.doorbell = dev.map_doorbell(ctx.hw);
}

std::uint32_t completion_word(const Bo& cmd)
{
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(cmd.bytes().data()))
        .load(std::memory_order_acquire);
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

void dump_queue(const Context& ctx, const InFlight& f, std::uint32_t index)
{
    std::fprintf(stderr, "  context %u (hwctx %u): seq %llu read_index %llu write_index %llu word 0x%08x\n", index,
                 ctx.hw.handle(), static_cast<unsigned long long>(f.seq),
                 static_cast<unsigned long long>(ctx.writer->read_index()),
                 static_cast<unsigned long long>(ctx.writer->write_index()), completion_word(ctx.cmd_bos[f.cmd_index]));
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    if (auto rc = parse_options(argc, argv, o))
        return *rc;

    WorkloadData work;
    if (auto rc = prepare_workload(o, work))
        return *rc;

    try {
        auto session = open_vf(o.vf);
        const Device& dev = *session.device;
        const auto md = dev.aie_metadata();
        if (md.core.row_count == 0)
            std::fprintf(stderr, "aie4-umq-test: warning: device reports 0 core rows; CREATE_HWCTX will fail\n");

        std::vector<Context> contexts(o.contexts);
        for (std::uint32_t k = 0; k < o.contexts; ++k)
            setup_context(o, dev, md, work, contexts[k]);

        std::printf("workload=%s layout=%s contexts=%u depth=%u count=%u wait=%s wait_ioctl=0x%08x\n",
                    std::string(o.workload).c_str(), queue_layout_name(o.layout), o.contexts, o.depth, o.count,
                    o.wait == WaitMode::ioctl ? "ioctl" : "poll",
                    o.wait_ioctl == WaitIoctl::kernel ? aie4emu::guest::uapi::ioctl_wait_cmd_kernel
                                                      : aie4emu::guest::uapi::ioctl_wait_cmd_xrt);

        std::vector<double> latencies_us;
        latencies_us.reserve(o.count);
        std::uint32_t submitted = 0, completed = 0, ok = 0, failed = 0, next_ctx = 0;
        int reported = 0;
        const auto t_start = Clock::now();

        auto submit_one = [&](Context& ctx) {
            const std::uint32_t ci = ctx.free_cmds.back();
            Bo& cmd = ctx.cmd_bos[ci];
            rearm_command(cmd.bytes(), ctx.start_header);
            auto try_submit = [&]() -> std::optional<std::uint64_t> {
                if (o.inject == Inject::bad_opcode)
                    return ctx.writer->submit_raw(0x7F, cmd.xdna_addr(), o.depth);
                if (o.inject == Inject::bad_count) // EXEC_BUF with no exec_buf behind it
                    return ctx.writer->submit_raw(umq::slot_opcode_exec_buf, cmd.xdna_addr(), o.depth);
                return ctx.writer->submit_exec_buf(ExecBuf{ctx.code_bo.xdna_addr(), 0}, cmd.xdna_addr(), false, o.depth);
            };
            std::optional<std::uint64_t> seq = try_submit();
            // The device writes a slot's completion word before read_index (docs/spec/queue-and-cert.md
            // §5.3), so a poller can see a command done while its slot still counts as taken: wait
            // (bounded) for read_index to catch up instead of calling the queue full.
            for (const auto give_up = Clock::now() + std::chrono::seconds(1); !seq && Clock::now() < give_up;) {
                sched_yield();
                seq = try_submit();
            }
            if (!seq)
                throw std::runtime_error("queue refused a packet: read_index " + std::to_string(ctx.writer->read_index()) +
                                         ", write_index " + std::to_string(ctx.writer->write_index()));
            ctx.free_cmds.pop_back();
            const auto t = Clock::now();
            ctx.doorbell.ring();
            ctx.inflight.push_back({*seq, ci, t});
            ++submitted;
        };

        auto finish_one = [&](Context& ctx, std::uint32_t index, Clock::time_point seen) {
            const InFlight f = ctx.inflight.front();
            ctx.inflight.pop_front();
            const std::uint32_t word = completion_word(ctx.cmd_bos[f.cmd_index]);
            latencies_us.push_back(std::chrono::duration<double, std::micro>(seen - f.doorbell).count());
            const bool good = o.expect_error ? completion_state(word) == umq::ert::state_error : completion_ok(word);
            if (good) {
                ++ok;
            } else {
                ++failed;
                if (reported++ < 5) {
                    std::fprintf(stderr, "aie4-umq-test: command seq %llu on context %u: %s (expected %s)\n",
                                 static_cast<unsigned long long>(f.seq), index, describe_completion(word).c_str(),
                                 o.expect_error ? "an error state" : "completed");
                }
            }
            ctx.free_cmds.push_back(f.cmd_index);
            ++completed;
        };

        while (completed < o.count) {
            // Fill every context up to the requested depth, round robin.
            for (std::uint32_t n = 0; n < o.contexts && submitted < o.count; ++n) {
                Context& ctx = contexts[next_ctx];
                next_ctx = (next_ctx + 1) % o.contexts;
                while (ctx.inflight.size() < o.depth && submitted < o.count)
                    submit_one(ctx);
            }

            if (o.wait == WaitMode::ioctl) {
                // Wait for the oldest outstanding command over all contexts.
                std::uint32_t best = o.contexts;
                for (std::uint32_t k = 0; k < o.contexts; ++k) {
                    if (contexts[k].inflight.empty())
                        continue;
                    if (best == o.contexts ||
                        contexts[k].inflight.front().doorbell < contexts[best].inflight.front().doorbell)
                        best = k;
                }
                if (best == o.contexts)
                    throw std::logic_error("nothing outstanding while commands remain");
                Context& ctx = contexts[best];
                const InFlight& f = ctx.inflight.front();
                const int rc = dev.wait_cmd(ctx.hw, f.seq, o.timeout_ms, o.wait_ioctl);
                const auto seen = Clock::now();
                if (rc != 0) {
                    std::fprintf(stderr, "aie4-umq-test: WAIT_CMD(seq %llu) failed: %s\n",
                                 static_cast<unsigned long long>(f.seq), std::strerror(-rc));
                    dump_queue(ctx, f, best);
                    if (rc == -ETIME && o.layout == QueueLayout::xrt_v1)
                        std::fprintf(stderr, "  (xrt layout: WAIT_CMD only works if the device mirrors write_index "
                                             "into +0x10, docs/spec/queue-and-cert.md §1.3)\n");
                    return exit_fail;
                }
                if (!completion_done(completion_word(ctx.cmd_bos[f.cmd_index]))) {
                    // XRT would turn this into ABORT: read_index moved before the completion word.
                    std::fprintf(stderr, "aie4-umq-test: WAIT_CMD returned but the completion word is not final\n");
                    dump_queue(ctx, f, best);
                }
                finish_one(ctx, best, seen);
            } else {
                bool progressed = false;
                for (std::uint32_t k = 0; k < o.contexts; ++k) {
                    Context& ctx = contexts[k];
                    while (!ctx.inflight.empty() &&
                           completion_done(completion_word(ctx.cmd_bos[ctx.inflight.front().cmd_index]))) {
                        finish_one(ctx, k, Clock::now());
                        progressed = true;
                    }
                }
                if (!progressed) {
                    const auto now = Clock::now();
                    for (std::uint32_t k = 0; k < o.contexts; ++k) {
                        const Context& ctx = contexts[k];
                        if (!ctx.inflight.empty() && o.timeout_ms != 0 &&
                            now - ctx.inflight.front().doorbell > std::chrono::milliseconds(o.timeout_ms)) {
                            std::fprintf(stderr, "aie4-umq-test: command timed out (poll)\n");
                            dump_queue(ctx, ctx.inflight.front(), k);
                            return exit_fail;
                        }
                    }
                    sched_yield();
                }
            }
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();

        // Result buffers (copy/gemm). Checked once per context after all commands, since
        // every command of a context writes the same output buffer.
        std::uint32_t data_mismatches = 0;
        if (!o.expect_error) {
            for (std::uint32_t k = 0; k < o.contexts; ++k) {
                for (std::size_t a = 0; a < work.expected.size(); ++a) {
                    if (!work.expected[a])
                        continue;
                    const auto& want = *work.expected[a];
                    const auto got = contexts[k].arg_bos[a].bytes();
                    std::size_t first_bad = want.size();
                    for (std::size_t i = 0; i < want.size(); ++i) {
                        if (got[i] != want[i]) {
                            first_bad = i;
                            break;
                        }
                    }
                    if (first_bad != want.size()) {
                        ++data_mismatches;
                        std::fprintf(stderr, "aie4-umq-test: context %u argument %zu differs at byte %zu "
                                             "(got 0x%02x, want 0x%02x)\n",
                                     k, a, first_bad, got[first_bad], want[first_bad]);
                    }
                }
            }
        }

        std::printf("completed=%u ok=%u failed=%u data_mismatches=%u\n", completed, ok, failed, data_mismatches);
        std::printf("elapsed_s=%.6f\ncommands_per_s=%.1f\n", elapsed, elapsed > 0 ? completed / elapsed : 0.0);
        std::printf("latency_us_min=%.1f latency_us_median=%.1f latency_us_p99=%.1f latency_us_max=%.1f\n",
                    percentile(latencies_us, 0.0), percentile(latencies_us, 0.5), percentile(latencies_us, 0.99),
                    percentile(latencies_us, 1.0));
        const bool pass = failed == 0 && data_mismatches == 0;
        std::printf("result=%s\n", pass ? "PASS" : "FAIL");
        return pass ? exit_pass : exit_fail;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aie4-umq-test: %s\n", e.what());
        return exit_usage;
    }
}
