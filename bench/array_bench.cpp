// aie4-array-bench: simulated cycles per host second for the array model.
//  dma:     one column streams memory tile -> memory tile (256 KB BDs, repeated);
//           the other 11 columns are idle. Figure: simulated cycles / host s.
//  dma-all: every column copies host -> memory tile through its shim at once.
//  gemm:    the GEMM pipeline in every column, repeated. Figures: simulated
//           cycles / host s and busy core tile-cycles / host s.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/gemm_pipeline.hpp"

#include <string>
#include <vector>
#include "hw/aie/program.hpp"

using namespace aie4emu::aie;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void dma_one_column()
{
    Array array;
    ArrayProgrammer p(array);
    p.route_vertical(0, 1, 0, 1, 0, 0);
    const uint32_t words = 64 * 1024;   // 256 KB per BD
    p.write_bd(0, 1, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = words});
    p.write_bd(0, 1, Direction::s2mm, 0, 1, BdFields{.address = 0x100000, .length = words});
    const auto t0 = Clock::now();
    uint64_t tasks = 0;
    while (seconds_since(t0) < 1.0) {
        p.push_task(0, 1, Direction::mm2s, 0, 0, 255, false);
        p.push_task(0, 1, Direction::s2mm, 0, 1, 255, true);
        array.wait_tcts({0, 1, Direction::s2mm, 0}, 1, ~0ull >> 2);
        ++tasks;
    }
    const double s = seconds_since(t0);
    std::printf("dma (1 busy column of 12, 256 KB BDs): %.3g simulated cycles/s, %.3g bytes/s host, %llu cycles\n",
                static_cast<double>(array.now()) / s, static_cast<double>(array.counters().value("dma.bytes")) / s,
                static_cast<unsigned long long>(array.now()));
}

void dma_all_columns()
{
    Array array;
    ArrayProgrammer p(array);
    const uint32_t words = 16 * 1024;   // 64 KB per BD
    BufferHostMemory host(0, 1 << 20);
    array.attach_host_memory(0, array.geometry().columns, &host);
    const uint64_t off = array.costs().shim_host_address_offset;
    for (uint16_t c = 0; c < array.geometry().columns; ++c) {
        p.route_vertical(c, 0, 0, 1, 0, 0);
        p.write_bd(c, 0, Direction::mm2s, 0, 0, BdFields{.address = off + c * 0x10000ull, .length = words});
        p.write_bd(c, 1, Direction::s2mm, 0, 0, BdFields{.address = 0, .length = words});
    }
    const auto t0 = Clock::now();
    while (seconds_since(t0) < 1.0) {
        for (uint16_t c = 0; c < array.geometry().columns; ++c) {
            p.push_task(c, 1, Direction::s2mm, 0, 0, 63, true);
            p.push_task(c, 0, Direction::mm2s, 0, 0, 63, false);
        }
        array.run_until_idle(~0ull >> 2);
    }
    const double s = seconds_since(t0);
    std::printf("dma-all (12 shim->memtile streams, 64 KB BDs): %.3g simulated cycles/s, %.3g bytes/s host\n",
                static_cast<double>(array.now()) / s, static_cast<double>(array.counters().value("dma.bytes")) / s);
}

void gemm_all_columns()
{
    Array array;
    BufferHostMemory host(0, 1 << 20);
    array.attach_host_memory(0, array.geometry().columns, &host);
    const auto t0 = Clock::now();
    uint64_t rounds = 0;
    while (seconds_since(t0) < 1.0) {
        for (uint16_t c = 0; c < array.geometry().columns; ++c) {
            GemmPipelineConfig cfg{.col = c, .m = 32, .n = 32, .k = 64, .host_a = 0, .host_b = 0x10000,
                                   .host_c = 0x20000 + c * 0x1000ull, .repeat = 16};
            // Disable the core first so the enable in program_gemm_pipeline is a rising edge.
            array.write32(array.tile_address(c, cfg.core_row, regs::kCoreMap.core_control), 0);
            program_gemm_pipeline(array, cfg);
        }
        array.run_until_idle(~0ull >> 2);
        ++rounds;
    }
    const double s = seconds_since(t0);
    std::printf("gemm (12 columns, int8 32x32x64 x16 per round, %llu rounds): %.3g simulated cycles/s, "
                "%.3g busy core tile-cycles/s, %zu errors\n",
                static_cast<unsigned long long>(rounds), static_cast<double>(array.now()) / s,
                static_cast<double>(array.counters().value("core.busy_cycles")) / s, array.errors().size());
}

} // namespace

// aie4-array-bench [dma|dma-all|gemm]...: the named workloads, all three by default.
int main(int argc, char** argv)
{
    const std::vector<std::string> all{"dma", "dma-all", "gemm"};
    std::vector<std::string> which(argv + 1, argv + argc);
    if (which.empty())
        which = all;
    for (const auto& w : which) {
        if (w == "dma")
            dma_one_column();
        else if (w == "dma-all")
            dma_all_columns();
        else if (w == "gemm")
            gemm_all_columns();
        else {
            std::fprintf(stderr, "usage: aie4-array-bench [dma|dma-all|gemm]...\n");
            return 2;
        }
    }
    return 0;
}
