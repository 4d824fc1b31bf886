// xrt-gemm: an int8 matrix product on one compute tile, run from XRT.
// The kernel (guest-driver/ctrlcode/gemm.asm) streams A and B (64 x 64 int8) through the shim and
// a memory tile into the compute tile of row 2, whose core runs the emulator's native int8 GEMM
// (its "program" is the project's native-kernel descriptor, not AIE machine code: docs/xrt.md),
// and streams C (64 x 64 int32) back. C is checked against a product computed here.
//
//   xrt-gemm [--elf gemm.elf] [--runs N]
#include "example.hpp"

namespace {
constexpr unsigned kN = 64;
}

int main(int argc, char** argv)
{
    return example::guarded_main("xrt-gemm", [&] {
        const std::string elf = example::option(argc, argv, "--elf", "/usr/local/share/aie4/xrt/gemm.elf");
        const unsigned runs = example::option_count(argc, argv, "--runs", 3, 1000);
        example::ElfKernel k(elf);
        xrt::bo a = example::make_buffer(k.device, kN * kN);
        xrt::bo b = example::make_buffer(k.device, kN * kN);
        xrt::bo c = example::make_buffer(k.device, kN * kN * sizeof(std::int32_t));
        xrt::run run(k.kernel);
        run.set_arg(0, a);
        run.set_arg(1, b);
        run.set_arg(2, c);

        for (unsigned r = 0; r < runs; ++r) {
            auto* pa = a.map<std::int8_t*>();
            auto* pb = b.map<std::int8_t*>();
            std::uint32_t x = 12345u + r * 7919u;   // xorshift: signed values over the whole int8 range
            auto next = [&] { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return static_cast<std::int8_t>(x >> 24); };
            for (unsigned i = 0; i < kN * kN; ++i) pa[i] = next();
            for (unsigned i = 0; i < kN * kN; ++i) pb[i] = next();
            std::memset(c.map<void*>(), 0xCD, kN * kN * sizeof(std::int32_t));
            a.sync(XCL_BO_SYNC_BO_TO_DEVICE);
            b.sync(XCL_BO_SYNC_BO_TO_DEVICE);
            c.sync(XCL_BO_SYNC_BO_TO_DEVICE);
            const auto t0 = std::chrono::steady_clock::now();
            example::run_and_wait(run);
            const double us = example::microseconds_since(t0);
            c.sync(XCL_BO_SYNC_BO_FROM_DEVICE);
            const auto* pc = c.map<const std::int32_t*>();
            for (unsigned i = 0; i < kN; ++i)
                for (unsigned j = 0; j < kN; ++j) {
                    std::int32_t want = 0;
                    for (unsigned q = 0; q < kN; ++q)
                        want += std::int32_t{pa[i * kN + q]} * std::int32_t{pb[q * kN + j]};
                    if (pc[i * kN + j] != want) {
                        std::fprintf(stderr, "xrt-gemm: run %u: C[%u][%u] = %d, want %d\n", r, i, j, pc[i * kN + j], want);
                        return 1;
                    }
                }
            std::printf("xrt-gemm: run %u: C = A x B (64x64 int8 -> int32) verified, %.1f us, C[0][0] = %d\n", r, us, pc[0]);
        }
        std::printf("xrt-gemm: PASS\n");
        return 0;
    });
}
