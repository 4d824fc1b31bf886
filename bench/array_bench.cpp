// aie4-array-bench: host speed of the array model (docs/performance.md "Array model").
// Each workload runs for about one host second and prints its figures with their unit and,
// where the project has one (docs/array-model.md "Time"), the target next to it. Cycle
// counts come from the cost model; only the host time varies between machines. Results are
// checked (a wrong matrix or vector is reported, never a figure for work not done).
//  dma:       one column streams memory tile -> memory tile (256 KB BDs, repeated); the other
//             11 columns are idle.                      Target: >= 2e8 simulated cycles/s.
//  dma-all:   every column copies host -> memory tile through its shim at once.
//                                                       Target: >= 2e8 simulated cycles/s.
//  gemm:      the int8 GEMM pipeline (shim -> memory tile -> core -> memory tile -> shim, DMA
//             and lock handshakes per invocation) in every column.
//                                                       Target: >= 2e7 busy core tile-cycles/s.
//  gemm-bf16: the same pipeline with the bf16 GEMM.     No target (informative).
//  vector:    relu (compute rows 2-3) and add (rows 4-5) on all 48 cores, data already in
//             data memory (no DMA: a 64 B/cycle vector kernel fed by a 4 B/cycle stream would
//             be stream-bound).                         Target: >= 2e7 busy core tile-cycles/s.
//  gemm-core: the int8 GEMM alone on all 48 cores, no DMA: the kernel-only ceiling of "gemm".
//                                                       No target (informative).
// Exit status 0 unless a workload computed a wrong result or the usage is wrong.
#include "cli/cli.hpp"
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/gemm_pipeline.hpp"
#include "hw/aie/kernels.hpp"
#include "hw/aie/program.hpp"

using namespace aie4emu::aie;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kSimCyclesTarget = 2e8;     // simulated cycles / host s, DMA-bound, idle tiles
constexpr double kBusyCyclesTarget = 2e7;    // busy core tile-cycles / host s, compute-bound
constexpr double kRunSeconds = 1.0;

double seconds_since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void heading(const char* name, const char* what)
{
    std::printf("%s: %s\n", name, what);
}

// One figure: value, unit, and the target (0: none).
void figure(const char* unit, double value, double target = 0)
{
    if (target > 0)
        std::printf("  %-34s %10.3g   target >= %.0e: %s\n", unit, value, target, value >= target ? "met" : "NOT MET");
    else
        std::printf("  %-34s %10.3g   (no target)\n", unit, value);
}

bool check(const char* what, bool ok)
{
    if (!ok)
        std::printf("  RESULT WRONG: %s\n", what);
    return ok;
}

bool dma_one_column()
{
    heading("dma", "1 busy column of 12, memory tile -> memory tile, 256 KB BDs");
    Array array;
    ArrayProgrammer p(array);
    p.route_vertical(0, 1, 0, 1, 0, 0);
    const uint32_t words = 64 * 1024;   // 256 KB per BD
    std::vector<uint32_t> pattern(words);
    for (uint32_t i = 0; i < words; ++i)
        pattern[i] = i * 2654435761u;
    array.write_tile_memory(0, 1, 0, pattern.data(), words * 4);
    p.write_bd(0, 1, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = words});
    p.write_bd(0, 1, Direction::s2mm, 0, 1, BdFields{.address = 0x100000, .length = words});
    const auto t0 = Clock::now();
    while (seconds_since(t0) < kRunSeconds) {
        p.push_task(0, 1, Direction::mm2s, 0, 0, 255, false);
        p.push_task(0, 1, Direction::s2mm, 0, 1, 255, true);
        array.wait_tcts({0, 1, Direction::s2mm, 0}, 1, ~0ull >> 2);
    }
    const double s = seconds_since(t0);
    std::vector<uint32_t> got(words);
    array.read_tile_memory(0, 1, 0x100000, got.data(), words * 4);
    figure("simulated cycles / host s", static_cast<double>(array.now()) / s, kSimCyclesTarget);
    figure("bytes copied / host s", static_cast<double>(array.counters().value("dma.bytes")) / s);
    return check("memory tile copy", got == pattern && array.errors().empty());
}

bool dma_all_columns()
{
    heading("dma-all", "12 shim -> memory tile streams at once, 64 KB BDs");
    Array array;
    ArrayProgrammer p(array);
    const uint32_t words = 16 * 1024;   // 64 KB per BD
    BufferHostMemory host(0, 1 << 20);
    for (size_t i = 0; i < host.size(); ++i)
        host.at(i)[0] = static_cast<uint8_t>(i * 31 + 7);
    array.attach_host_memory(0, array.geometry().columns, &host);
    const uint64_t off = array.costs().shim_host_address_offset;
    for (uint16_t c = 0; c < array.geometry().columns; ++c) {
        p.route_vertical(c, 0, 0, 1, 0, 0);
        p.write_bd(c, 0, Direction::mm2s, 0, 0, BdFields{.address = off + c * 0x10000ull, .length = words});
        p.write_bd(c, 1, Direction::s2mm, 0, 0, BdFields{.address = 0, .length = words});
    }
    const auto t0 = Clock::now();
    while (seconds_since(t0) < kRunSeconds) {
        for (uint16_t c = 0; c < array.geometry().columns; ++c) {
            p.push_task(c, 1, Direction::s2mm, 0, 0, 63, true);
            p.push_task(c, 0, Direction::mm2s, 0, 0, 63, false);
        }
        array.run_until_idle(~0ull >> 2);
    }
    const double s = seconds_since(t0);
    bool ok = array.errors().empty();
    std::vector<uint8_t> got(words * 4);
    for (uint16_t c = 0; c < array.geometry().columns; ++c) {
        array.read_tile_memory(c, 1, 0, got.data(), got.size());
        ok = ok && std::memcmp(got.data(), host.at(c * 0x10000ull), got.size()) == 0;
    }
    figure("simulated cycles / host s", static_cast<double>(array.now()) / s, kSimCyclesTarget);
    figure("bytes copied / host s", static_cast<double>(array.counters().value("dma.bytes")) / s);
    return check("shim -> memory tile copies", ok);
}

bool gemm_pipeline(bool bf16)
{
    const uint32_t m = 32, n = 32, k = 64, repeat = 16;
    heading(bf16 ? "gemm-bf16" : "gemm",
            bf16 ? "bf16 GEMM pipeline 32x32x64, x16 per round, all 12 columns (shim -> memory tile -> core -> back)"
                 : "int8 GEMM pipeline 32x32x64, x16 per round, all 12 columns (shim -> memory tile -> core -> back)");
    Array array;
    BufferHostMemory host(0, 1 << 20);
    array.attach_host_memory(0, array.geometry().columns, &host);
    const uint64_t host_a = 0, host_b = 0x10000;
    std::mt19937 rng(7);
    std::vector<int8_t> a8(size_t{m} * k), b8(size_t{k} * n);
    std::vector<float> af(size_t{m} * k), bf(size_t{k} * n);
    if (bf16) {
        // Small integers and halves: every product and partial sum is exact in fp32.
        for (size_t i = 0; i < af.size(); ++i) {
            af[i] = static_cast<float>(static_cast<int>(rng() % 17) - 8) * 0.5f;
            const uint16_t h = float_to_bf16(af[i]);
            std::memcpy(host.at(host_a + 2 * i), &h, 2);
        }
        for (size_t i = 0; i < bf.size(); ++i) {
            bf[i] = static_cast<float>(static_cast<int>(rng() % 9) - 4);
            const uint16_t h = float_to_bf16(bf[i]);
            std::memcpy(host.at(host_b + 2 * i), &h, 2);
        }
    } else {
        for (auto& v : a8)
            v = static_cast<int8_t>(rng());
        for (auto& v : b8)
            v = static_cast<int8_t>(rng());
        std::memcpy(host.at(host_a), a8.data(), a8.size());
        std::memcpy(host.at(host_b), b8.data(), b8.size());
    }
    auto host_c = [](uint16_t c) { return 0x20000 + c * 0x1000ull; };
    const auto t0 = Clock::now();
    while (seconds_since(t0) < kRunSeconds) {
        for (uint16_t c = 0; c < array.geometry().columns; ++c) {
            GemmPipelineConfig cfg{.col = c, .m = m, .n = n, .k = k, .bf16 = bf16, .host_a = host_a,
                                   .host_b = host_b, .host_c = host_c(c), .repeat = repeat};
            // Disable the core first so the enable in program_gemm_pipeline is a rising edge.
            array.write32(array.tile_address(c, cfg.core_row, regs::kCoreMap.core_control), 0);
            program_gemm_pipeline(array, cfg);
        }
        array.run_until_idle(~0ull >> 2);
    }
    const double s = seconds_since(t0);
    bool ok = array.errors().empty();
    for (uint16_t c = 0; c < array.geometry().columns; ++c)
        for (uint32_t i = 0; i < m; ++i)
            for (uint32_t j = 0; j < n; ++j) {
                const uint8_t* got = host.at(host_c(c) + 4 * (size_t{i} * n + j));
                if (bf16) {
                    float ref = 0, v;
                    for (uint32_t kk = 0; kk < k; ++kk)
                        ref += af[size_t{i} * k + kk] * bf[size_t{kk} * n + j];
                    std::memcpy(&v, got, 4);
                    ok = ok && v == ref;
                } else {
                    int32_t ref = 0, v;
                    for (uint32_t kk = 0; kk < k; ++kk)
                        ref += int32_t{a8[size_t{i} * k + kk]} * b8[size_t{kk} * n + j];
                    std::memcpy(&v, got, 4);
                    ok = ok && v == ref;
                }
            }
    const double busy = static_cast<double>(array.counters().value("core.busy_cycles")) / s;
    figure("busy core tile-cycles / host s", busy, bf16 ? 0 : kBusyCyclesTarget);
    figure("simulated cycles / host s", static_cast<double>(array.now()) / s);
    figure("kernel invocations / host s", static_cast<double>(array.counters().value("core.invocations")) / s);
    figure(bf16 ? "bf16 MACs / host s" : "int8 MACs / host s",
           static_cast<double>(array.counters().value("core.invocations")) * m * n * k / s);
    figure("events / host s", static_cast<double>(array.events().fired()) / s);
    return check(bf16 ? "bf16 GEMM result" : "int8 GEMM result", ok);
}

// Every compute tile runs `kernel_of(row)` (its `iterations` per round) on buffers already in
// its data memory: no locks, no DMA. Prints the busy-cycle figure against `target`.
template <typename KernelOf, typename Fill, typename Verify>
bool cores_only(KernelOf kernel_of, Fill fill, Verify verify, double target, const char* macs_unit, double macs)
{
    Array array;
    const auto& g = array.geometry();
    for (uint16_t c = 0; c < g.columns; ++c)
        for (uint16_t r = g.core_row_start; r < g.rows(); ++r) {
            const ProgramDescriptor d = kernel_of(r);
            fill(array, c, r);
            array.block_write(array.tile_address(c, r, regs::kCoreMap.program_memory), d.encode());
        }
    const auto t0 = Clock::now();
    while (seconds_since(t0) < kRunSeconds) {
        for (uint16_t c = 0; c < g.columns; ++c)
            for (uint16_t r = g.core_row_start; r < g.rows(); ++r) {
                const uint64_t ctl = array.tile_address(c, r, regs::kCoreMap.core_control);
                array.write32(ctl, 0);
                array.write32(ctl, regs::core::kEnable);
            }
        array.run_until_idle(~0ull >> 2);
    }
    const double s = seconds_since(t0);
    bool ok = array.errors().empty();
    for (uint16_t c = 0; c < g.columns; ++c)
        for (uint16_t r = g.core_row_start; r < g.rows(); ++r)
            ok = ok && verify(array, c, r, kernel_of(r));
    const double invocations = static_cast<double>(array.counters().value("core.invocations"));
    figure("busy core tile-cycles / host s", static_cast<double>(array.counters().value("core.busy_cycles")) / s,
           target);
    figure("kernel invocations / host s", invocations / s);
    if (macs_unit)
        figure(macs_unit, invocations * macs / s);
    return ok;
}

bool vector_cores()
{
    heading("vector", "relu (rows 2-3) and add (rows 4-5), 2048 int32 per invocation, x64 per round, "
                      "all 48 cores, data in data memory (no DMA)");
    constexpr uint32_t kElems = 2048;
    constexpr uint32_t kIn0 = 0x0, kIn1 = 0x4000, kOut = 0x8000;
    auto kernel_of = [](uint16_t row) {
        ProgramDescriptor d;
        d.kernel = row < 4 ? KernelId::relu : KernelId::add;
        d.iterations = 64;
        d.in0 = kIn0;
        d.in1 = kIn1;
        d.out = kOut;
        d.m = kElems;
        return d;
    };
    auto input = [](uint16_t c, uint16_t r, uint32_t salt) {
        std::vector<int32_t> v(kElems);
        for (uint32_t i = 0; i < kElems; ++i)
            v[i] = static_cast<int32_t>(((i + 1u) * 2654435761u) ^ (c * 977u + r * 131u + salt * 7919u));
        return v;
    };
    auto fill = [&](Array& a, uint16_t c, uint16_t r) {
        const auto x = input(c, r, 0), y = input(c, r, 1);
        a.write_tile_memory(c, r, kIn0, x.data(), kElems * 4);
        a.write_tile_memory(c, r, kIn1, y.data(), kElems * 4);
    };
    auto verify = [&](Array& a, uint16_t c, uint16_t r, const ProgramDescriptor& d) {
        const auto x = input(c, r, 0), y = input(c, r, 1);
        std::vector<int32_t> got(kElems);
        a.read_tile_memory(c, r, kOut, got.data(), kElems * 4);
        for (uint32_t i = 0; i < kElems; ++i) {
            const int32_t ref = d.kernel == KernelId::relu
                                    ? (x[i] < 0 ? 0 : x[i])
                                    : static_cast<int32_t>(static_cast<uint32_t>(x[i]) + static_cast<uint32_t>(y[i]));
            if (got[i] != ref)
                return false;
        }
        return true;
    };
    return check("relu/add results", cores_only(kernel_of, fill, verify, kBusyCyclesTarget, nullptr, 0));
}

bool gemm_cores()
{
    constexpr uint32_t m = 32, n = 32, k = 64;
    heading("gemm-core", "int8 GEMM 32x32x64, x16 per round, all 48 cores, data in data memory (no DMA): "
                         "the kernel-only ceiling of 'gemm'");
    constexpr uint32_t kA = 0x0, kB = 0x8000, kC = 0x10000;
    auto kernel_of = [](uint16_t) {
        ProgramDescriptor d;
        d.kernel = KernelId::gemm_i8;
        d.iterations = 16;
        d.in0 = kA;
        d.in1 = kB;
        d.out = kC;
        d.m = m;
        d.n = n;
        d.k = k;
        return d;
    };
    std::mt19937 rng(11);
    std::vector<int8_t> a(size_t{m} * k), b(size_t{k} * n);
    for (auto& v : a)
        v = static_cast<int8_t>(rng());
    for (auto& v : b)
        v = static_cast<int8_t>(rng());
    auto fill = [&](Array& arr, uint16_t c, uint16_t r) {
        arr.write_tile_memory(c, r, kA, a.data(), a.size());
        arr.write_tile_memory(c, r, kB, b.data(), b.size());
    };
    auto verify = [&](Array& arr, uint16_t c, uint16_t r, const ProgramDescriptor&) {
        std::vector<int32_t> got(size_t{m} * n);
        arr.read_tile_memory(c, r, kC, got.data(), got.size() * 4);
        for (uint32_t i = 0; i < m; ++i)
            for (uint32_t j = 0; j < n; ++j) {
                int32_t ref = 0;
                for (uint32_t kk = 0; kk < k; ++kk)
                    ref += int32_t{a[size_t{i} * k + kk]} * b[size_t{kk} * n + j];
                if (got[size_t{i} * n + j] != ref)
                    return false;
            }
        return true;
    };
    return check("int8 GEMM result", cores_only(kernel_of, fill, verify, 0, "int8 MACs / host s", double{m} * n * k));
}

} // namespace

// The workloads by name; all of them run when none is named.
enum class Workload { dma, dma_all, gemm, gemm_bf16, vector, gemm_core };
constexpr aie4emu::cli::Choice<Workload> kWorkloads[] = {
    {"dma", Workload::dma, "one column's shim and memory-tile DMA"},
    {"dma-all", Workload::dma_all, "every column's DMA at once"},
    {"gemm", Workload::gemm, "int8 GEMM pipeline"},
    {"gemm-bf16", Workload::gemm_bf16, "bf16 GEMM pipeline"},
    {"vector", Workload::vector, "element-wise kernels on compute tiles"},
    {"gemm-core", Workload::gemm_core, "GEMM kernels on compute tiles only"},
};

int main(int argc, char** argv)
{
    std::vector<std::string> names;
    CLI::App app{"Array model speed (docs/performance.md \"Array\"); runs the named workloads, all by default.",
                 "aie4-array-bench"};
    aie4emu::cli::configure(app, "usage: aie4-array-bench [WORKLOAD...]");
    std::string help = "workloads:";
    for (const auto& w : kWorkloads)
        help += "\n  " + std::string(w.name) + ": " + std::string(w.help);
    app.add_option("WORKLOAD", names, help)->check([](const std::string& name) {
        return aie4emu::cli::find_choice<Workload>(kWorkloads, name)
                   ? std::string()
                   : "must be one of " + aie4emu::cli::choice_names<Workload>(kWorkloads) + ", not '" + name + "'";
    });
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    std::vector<Workload> which;
    for (const auto& name : names)
        which.push_back(*aie4emu::cli::find_choice<Workload>(kWorkloads, name));
    if (which.empty())
        for (const auto& w : kWorkloads)
            which.push_back(w.value);
    bool ok = true;
    for (const Workload w : which) {
        switch (w) {
        case Workload::dma: ok = dma_one_column() && ok; break;
        case Workload::dma_all: ok = dma_all_columns() && ok; break;
        case Workload::gemm: ok = gemm_pipeline(false) && ok; break;
        case Workload::gemm_bf16: ok = gemm_pipeline(true) && ok; break;
        case Workload::vector: ok = vector_cores() && ok; break;
        case Workload::gemm_core: ok = gemm_cores() && ok; break;
        }
    }
    return ok ? 0 : 1;
}
