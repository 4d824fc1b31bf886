#include "hw/aie/kernels.hpp"

#include <array>
#include <cstring>
#include <fmt/format.h>
#include <vector>

namespace aie4emu::aie {

std::array<uint32_t, kProgramWords> ProgramDescriptor::encode() const
{
    return {kProgramMagic, static_cast<uint32_t>(kernel), iterations, in0, in1, out, m, n, k,
            in0_locks.encode(), in1_locks.encode(), out_locks.encode(), static_cast<uint32_t>(param0), param1};
}

std::optional<ProgramDescriptor> ProgramDescriptor::decode(std::span<const uint32_t> w, std::string* error)
{
    if (w.size() < kProgramWords || w[0] != kProgramMagic) {
        if (error)
            *error = fmt::format("program memory has no kernel descriptor (magic {:#x})", w.empty() ? 0 : w[0]);
        return std::nullopt;
    }
    if (w[1] > static_cast<uint32_t>(KernelId::gemm_bf16)) {
        if (error)
            *error = fmt::format("unknown kernel id {}", w[1]);
        return std::nullopt;
    }
    ProgramDescriptor d;
    d.kernel = static_cast<KernelId>(w[1]);
    d.iterations = w[2];
    d.in0 = w[3];
    d.in1 = w[4];
    d.out = w[5];
    d.m = w[6];
    d.n = w[7];
    d.k = w[8];
    d.in0_locks = LockPair::decode(w[9]);
    d.in1_locks = LockPair::decode(w[10]);
    d.out_locks = LockPair::decode(w[11]);
    d.param0 = static_cast<int32_t>(w[12]);
    d.param1 = w[13];
    return d;
}

std::optional<KernelShape> kernel_shape(const ProgramDescriptor& d)
{
    const uint64_t m = d.m, n = d.n, k = d.k;
    if (m > (1u << 20) || n > (1u << 20) || k > (1u << 20))
        return std::nullopt;
    switch (d.kernel) {
    case KernelId::passthrough:
    case KernelId::scale:
    case KernelId::relu: return KernelShape{4 * m, 0, 4 * m};
    case KernelId::add: return KernelShape{4 * m, 4 * m, 4 * m};
    case KernelId::gemm_i8: return KernelShape{m * k, k * n, 4 * m * n};
    case KernelId::gemm_bf16: return KernelShape{2 * m * k, 2 * k * n, 4 * m * n};
    }
    return std::nullopt;
}

sim::Cycle kernel_cycles(const ProgramDescriptor& d, const CostParams& c)
{
    auto div_up = [](uint64_t a, uint64_t b) { return b == 0 ? a : (a + b - 1) / b; };
    const uint64_t macs = uint64_t{d.m} * d.n * d.k;
    switch (d.kernel) {
    case KernelId::gemm_i8: return c.kernel_overhead_cycles + div_up(macs, c.int8_macs_per_cycle);
    case KernelId::gemm_bf16: return c.kernel_overhead_cycles + div_up(macs, c.bf16_macs_per_cycle);
    default: return c.kernel_overhead_cycles + div_up(uint64_t{4} * d.m, c.vector_bytes_per_cycle);
    }
}

namespace {

template <typename T>
T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename T>
void store(uint8_t* p, T v)
{
    std::memcpy(p, &v, sizeof v);
}

} // namespace

uint16_t float_to_bf16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFF) > 0x7F800000)
        return static_cast<uint16_t>((u >> 16) | 0x40);   // quiet NaN
    u += 0x7FFF + ((u >> 16) & 1);
    return static_cast<uint16_t>(u >> 16);
}

float bf16_to_float(uint16_t b)
{
    const uint32_t u = uint32_t{b} << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void run_kernel(const ProgramDescriptor& d, std::span<uint8_t> dm)
{
    uint8_t* a = dm.data() + d.in0;
    uint8_t* b = dm.data() + d.in1;
    uint8_t* o = dm.data() + d.out;
    const uint32_t m = d.m, n = d.n, k = d.k;
    switch (d.kernel) {
    case KernelId::passthrough: std::memmove(o, a, size_t{4} * m); break;
    case KernelId::add:
        for (uint32_t i = 0; i < m; ++i)
            store<int32_t>(o + 4 * i, static_cast<int32_t>(static_cast<uint32_t>(load<int32_t>(a + 4 * i)) +
                                                           static_cast<uint32_t>(load<int32_t>(b + 4 * i))));
        break;
    case KernelId::scale:
        for (uint32_t i = 0; i < m; ++i)
            store<int32_t>(o + 4 * i, static_cast<int32_t>(static_cast<uint32_t>(load<int32_t>(a + 4 * i)) *
                                                           static_cast<uint32_t>(d.param0)));
        break;
    case KernelId::relu:
        for (uint32_t i = 0; i < m; ++i) {
            const int32_t v = load<int32_t>(a + 4 * i);
            store<int32_t>(o + 4 * i, v < 0 ? 0 : v);
        }
        break;
    case KernelId::gemm_i8: {
        // Copy inputs first: the output may alias them in a badly written program.
        std::vector<int8_t> A(size_t{m} * k), B(size_t{k} * n);
        std::memcpy(A.data(), a, A.size());
        std::memcpy(B.data(), b, B.size());
        std::vector<int32_t> C(size_t{m} * n, 0);
        for (uint32_t i = 0; i < m; ++i)
            for (uint32_t kk = 0; kk < k; ++kk) {
                const int32_t av = A[size_t{i} * k + kk];
                const int8_t* brow = &B[size_t{kk} * n];
                int32_t* crow = &C[size_t{i} * n];
                for (uint32_t j = 0; j < n; ++j)
                    crow[j] += av * brow[j];
            }
        std::memcpy(o, C.data(), C.size() * 4);
        break;
    }
    case KernelId::gemm_bf16: {
        std::vector<float> A(size_t{m} * k), B(size_t{k} * n), C(size_t{m} * n, 0.0f);
        for (size_t i = 0; i < A.size(); ++i)
            A[i] = bf16_to_float(load<uint16_t>(a + 2 * i));
        for (size_t i = 0; i < B.size(); ++i)
            B[i] = bf16_to_float(load<uint16_t>(b + 2 * i));
        for (uint32_t i = 0; i < m; ++i)
            for (uint32_t kk = 0; kk < k; ++kk) {
                const float av = A[size_t{i} * k + kk];
                for (uint32_t j = 0; j < n; ++j)
                    C[size_t{i} * n + j] += av * B[size_t{kk} * n + j];
            }
        std::memcpy(o, C.data(), C.size() * 4);
        break;
    }
    }
}

const char* kernel_name(KernelId k)
{
    switch (k) {
    case KernelId::passthrough: return "passthrough";
    case KernelId::add: return "add";
    case KernelId::scale: return "scale";
    case KernelId::relu: return "relu";
    case KernelId::gemm_i8: return "gemm_i8";
    case KernelId::gemm_bf16: return "gemm_bf16";
    }
    return "?";
}

} // namespace aie4emu::aie
