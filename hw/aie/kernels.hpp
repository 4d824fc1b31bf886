// Native kernels a compute tile can run, and the program descriptor that
// selects one. There is no AIE4 ISA model: software writes this descriptor
// into the tile's program memory (offset 0) and enables the core; the core
// then runs the kernel `iterations` times, each time acquiring its buffers'
// locks, computing on its data memory, and releasing (objectFIFO-style
// producer/consumer handshake). The descriptor format is [ours].
//
// Program descriptor, 32-bit little-endian words at program memory offset 0:
//   w0  magic kProgramMagic
//   w1  kernel id (KernelId)
//   w2  iterations (0 = until the core is disabled or reset)
//   w3  in0 buffer (data-memory byte address)
//   w4  in1 buffer (unused by one-input kernels)
//   w5  out buffer
//   w6  M   (element count for element-wise kernels)
//   w7  N
//   w8  K
//   w9  in0 locks:  enable [31] | release lock id [15:8] | acquire lock id [7:0]
//   w10 in1 locks   (acquire = acquire_greater_equal(1); release = +1)
//   w11 out locks
//   w12 param0 (scale factor for kScale, an int32)
//   w13 param1 (reserved)
// Element-wise kernels work on int32 elements; GEMMs are row-major:
//   int8 GEMM: C[MxN] int32 = A[MxK] int8 x B[KxN] int8
//   bf16 GEMM: C[MxN] fp32  = A[MxK] bf16 x B[KxN] bf16 (fp32 accumulation)
// bf16 rounding [ours]: C[i][j] starts at +0.0f; for k ascending, the product A*B (exact in
// fp32 unless it overflows or underflows) is rounded to fp32, then added with fp32 rounding
// (IEEE round to nearest even, no fused multiply-add, subnormals kept); C is fp32, not
// rounded to bf16. int8 GEMM and the element-wise kernels are exact (int32, wrapping).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "hw/aie/params.hpp"

namespace aie4emu::aie {

inline constexpr uint32_t kProgramMagic = 0xA1E4C0DE;
inline constexpr unsigned kProgramWords = 14;

enum class KernelId : uint32_t {
    passthrough = 0,   // out = in0 (M int32 elements)
    add = 1,           // out = in0 + in1
    scale = 2,         // out = in0 * param0
    relu = 3,          // out = max(in0, 0)
    gemm_i8 = 4,
    gemm_bf16 = 5,
};

struct LockPair {
    bool enabled = false;
    uint8_t acquire = 0;
    uint8_t release = 0;
    [[nodiscard]] uint32_t encode() const
    {
        return enabled ? (1u << 31) | (uint32_t{release} << 8) | acquire : 0u;
    }
    static LockPair decode(uint32_t w)
    {
        return LockPair{(w >> 31) != 0, static_cast<uint8_t>(w & 0xFF), static_cast<uint8_t>((w >> 8) & 0xFF)};
    }
};

struct ProgramDescriptor {
    KernelId kernel = KernelId::passthrough;
    uint32_t iterations = 1;
    uint32_t in0 = 0, in1 = 0, out = 0;
    uint32_t m = 0, n = 0, k = 0;
    LockPair in0_locks, in1_locks, out_locks;
    int32_t param0 = 0;
    uint32_t param1 = 0;

    [[nodiscard]] std::array<uint32_t, kProgramWords> encode() const;
    // nullopt and *error set if the magic or kernel id is wrong.
    static std::optional<ProgramDescriptor> decode(std::span<const uint32_t> words, std::string* error);
};

struct KernelShape {
    uint64_t in0_bytes, in1_bytes, out_bytes;   // 0 = buffer not used
};

// Bytes each buffer spans, or nullopt if the shape overflows.
std::optional<KernelShape> kernel_shape(const ProgramDescriptor& d);
// Device cycles one invocation costs (without lock handshakes).
sim::Cycle kernel_cycles(const ProgramDescriptor& d, const CostParams& c);
// Which host implementation runs a kernel: the fastest one for this host (AVX2 when the CPU
// has it) or the portable C++ one. Both give bit-identical results; tests compare them.
enum class KernelImpl : uint8_t { fastest, portable };
// Run one invocation on `dm` (buffers already bounds-checked). The output may alias the
// inputs: GEMMs read their inputs completely before writing.
void run_kernel(const ProgramDescriptor& d, std::span<uint8_t> dm, KernelImpl impl = KernelImpl::fastest);
const char* kernel_name(KernelId k);

// bf16 helpers (round to nearest even) for tests and tools.
uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t b);

} // namespace aie4emu::aie
