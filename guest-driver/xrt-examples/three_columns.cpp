// xrt-three-columns: one job spread over the three columns of the partition, run from XRT.
// The kernel (three_columns.asm, derived from copy.asm by build.sh) has control code for uC 0, 1 and 2 (.attach_to_group); XRT puts
// three ert_dpu_data entries in the command and the queue slot becomes indirect. uC c transposes
// block c (32 x 32 words) of the input into block c of the output, so each uC's work shows.
//
//   xrt-three-columns [--elf three_columns.elf] [--runs N]
#include "example.hpp"

namespace {
constexpr unsigned kDim = 32, kBlocks = 3;
constexpr std::size_t kBlockWords = kDim * kDim, kBytes = kBlocks * kBlockWords * sizeof(std::uint32_t);
}

int main(int argc, char** argv)
{
    return example::guarded_main("xrt-three-columns", [&] {
        const std::string elf = example::option(argc, argv, "--elf", "/usr/local/share/aie4/xrt/three_columns.elf");
        const unsigned runs = example::option_count(argc, argv, "--runs", 3, 1000);
        example::ElfKernel k(elf);
        xrt::bo in = example::make_buffer(k.device, kBytes);
        xrt::bo out = example::make_buffer(k.device, kBytes);
        xrt::run run(k.kernel);
        run.set_arg(0, in);
        run.set_arg(1, out);
        for (unsigned r = 0; r < runs; ++r) {
            auto* pi = in.map<std::uint32_t*>();
            for (unsigned i = 0; i < kBlocks * kBlockWords; ++i)
                pi[i] = (r + 1) * 0x01000000u + i;
            std::memset(out.map<void*>(), 0, kBytes);
            in.sync(XCL_BO_SYNC_BO_TO_DEVICE);
            out.sync(XCL_BO_SYNC_BO_TO_DEVICE);
            example::run_and_wait(run);
            out.sync(XCL_BO_SYNC_BO_FROM_DEVICE);
            const auto* po = out.map<const std::uint32_t*>();
            for (unsigned c = 0; c < kBlocks; ++c) {
                unsigned wrong = 0;
                for (unsigned i = 0; i < kDim; ++i)
                    for (unsigned j = 0; j < kDim; ++j)
                        wrong += po[c * kBlockWords + i * kDim + j] != pi[c * kBlockWords + j * kDim + i];
                if (wrong != 0) {
                    std::fprintf(stderr, "xrt-three-columns: run %u: block %u (uC %u, column %u): %u of %zu words wrong\n",
                                 r, c, c, c, wrong, kBlockWords);
                    return 1;
                }
            }
            std::printf("xrt-three-columns: run %u: blocks 0, 1, 2 transposed by uCs 0, 1, 2 (columns 0..2) verified\n", r);
        }
        std::printf("xrt-three-columns: PASS\n");
        return 0;
    });
}
