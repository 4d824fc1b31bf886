// A complete shim -> memory tile -> compute tile (GEMM) -> memory tile -> shim
// pipeline in one column, programmed only through registers. Used by the unit
// test, the aie4-array-demo tool and the benchmarks.
//
// Locks (value 1 = "empty" buffers available at start):
//   memory tile: 0 A_full, 1 B_full, 2 C_full, 3 A_empty=1, 4 B_empty=1, 5 C_empty=1
//   compute tile: 0 A_empty=1, 1 A_full, 2 B_empty=1, 3 B_full, 4 C_empty=1, 5 C_full
// Streams: shim MM2S0/1 -> mem S2MM0/1 (north lanes 0/1); mem MM2S0/1 -> core S2MM0/1;
// core MM2S0 -> mem S2MM2 (south lane 0); mem MM2S2 -> shim S2MM0.
#pragma once

#include <cstdint>

#include "hw/aie/array.hpp"

namespace aie4emu::aie {

struct GemmPipelineConfig {
    uint16_t col = 0;
    uint16_t core_row = 2;
    uint32_t m = 16, n = 16, k = 16;
    bool bf16 = false;          // false: int8 x int8 -> int32; true: bf16 x bf16 -> fp32
    uint64_t host_a = 0;        // host addresses (without the shim offset)
    uint64_t host_b = 0;
    uint64_t host_c = 0;
    uint32_t repeat = 1;        // the whole pipeline runs this many times (same buffers)
};

// Programs routes, BDs, locks and the kernel descriptor, then pushes every
// task and enables the core. Returns false if the shape does not fit the tiles.
bool program_gemm_pipeline(Array& array, const GemmPipelineConfig& cfg);
// The channel whose last token means "C is in host memory".
ChannelId gemm_output_channel(const Array& array, const GemmPipelineConfig& cfg);

} // namespace aie4emu::aie
