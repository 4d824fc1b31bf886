#include "hw/aie/kernels.hpp"

#include <array>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
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

// C += A x B for int8 A (m x k) and B (k x n), int32 C, row-major: the simulator's hottest
// loop, since each simulated GEMM really computes its 512 MACs per cycle. Two versions with
// bit-identical results (exact integer arithmetic): a portable one, and an AVX2 one chosen
// at run time that multiplies pairs of k with VPMADDWD (two int8 x int8 products summed into
// int32 per lane, 16 MACs per instruction).
void gemm_i8_portable(const int8_t* A, const int8_t* B, int32_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t kk = 0; kk < k; ++kk) {
            const int32_t av = A[size_t{i} * k + kk];
            const int8_t* brow = B + size_t{kk} * n;
            int32_t* crow = C + size_t{i} * n;
            for (uint32_t j = 0; j < n; ++j)
                crow[j] += av * brow[j];
        }
}

#if defined(__x86_64__)
// A[i][2kp] and A[i][2kp+1] as the int16 pair VPMADDWD multiplies with B's pair.
inline uint32_t a_pair(const int8_t* arow, uint32_t kp)
{
    return static_cast<uint16_t>(int16_t{arow[2 * kp]}) |
           static_cast<uint32_t>(static_cast<uint16_t>(int16_t{arow[2 * kp + 1]})) << 16;
}

[[gnu::target("avx2")]]
void gemm_i8_avx2(const int8_t* A, const int8_t* B, int32_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    // B as int16 pairs: P[kp][j] = {B[2kp][j], B[2kp+1][j]}.
    thread_local std::vector<int16_t> pairs;
    pairs.resize(size_t{k} * n);
    for (uint32_t kp = 0; kp < k / 2; ++kp)
        for (uint32_t j = 0; j < n; ++j) {
            pairs[(size_t{kp} * n + j) * 2] = B[size_t{2 * kp} * n + j];
            pairs[(size_t{kp} * n + j) * 2 + 1] = B[size_t{2 * kp + 1} * n + j];
        }
    // Four 8-lane column blocks at a time share each broadcast of A's pair.
    for (uint32_t i = 0; i < m; ++i) {
        const int8_t* arow = A + size_t{i} * k;
        uint32_t jb = 0;
        for (; jb + 32 <= n; jb += 32) {
            __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (uint32_t kp = 0; kp < k / 2; ++kp) {
                const __m256i av = _mm256_set1_epi32(static_cast<int>(a_pair(arow, kp)));
                const auto* bp = reinterpret_cast<const __m256i*>(&pairs[(size_t{kp} * n + jb) * 2]);
                acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_loadu_si256(bp), av));
                acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_loadu_si256(bp + 1), av));
                acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_loadu_si256(bp + 2), av));
                acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_loadu_si256(bp + 3), av));
            }
            auto* c = reinterpret_cast<__m256i*>(C + size_t{i} * n + jb);
            _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), acc0));
            _mm256_storeu_si256(c + 1, _mm256_add_epi32(_mm256_loadu_si256(c + 1), acc1));
            _mm256_storeu_si256(c + 2, _mm256_add_epi32(_mm256_loadu_si256(c + 2), acc2));
            _mm256_storeu_si256(c + 3, _mm256_add_epi32(_mm256_loadu_si256(c + 3), acc3));
        }
        for (; jb < n; jb += 8) {
            __m256i acc = _mm256_setzero_si256();
            for (uint32_t kp = 0; kp < k / 2; ++kp) {
                const __m256i bv = _mm256_loadu_si256(
                    reinterpret_cast<const __m256i*>(&pairs[(size_t{kp} * n + jb) * 2]));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(bv, _mm256_set1_epi32(static_cast<int>(a_pair(arow, kp)))));
            }
            int32_t* c = C + size_t{i} * n + jb;
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(c),
                                _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c)), acc));
        }
    }
}
#endif

void gemm_i8_core(const int8_t* A, const int8_t* B, int32_t* C, uint32_t m, uint32_t n, uint32_t k)
{
#if defined(__x86_64__)
    static const bool avx2 = __builtin_cpu_supports("avx2");
    if (avx2 && n % 8 == 0 && k % 2 == 0) {
        gemm_i8_avx2(A, B, C, m, n, k);
        return;
    }
#endif
    gemm_i8_portable(A, B, C, m, n, k);
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
        // Copy inputs first: the output may alias them in a badly written program. The
        // buffers are reused across calls (this runs once per simulated kernel invocation).
        thread_local std::vector<int8_t> A, B;
        thread_local std::vector<int32_t> C;
        A.assign(reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(a) + size_t{m} * k);
        B.assign(reinterpret_cast<const int8_t*>(b), reinterpret_cast<const int8_t*>(b) + size_t{k} * n);
        C.assign(size_t{m} * n, 0);
        gemm_i8_core(A.data(), B.data(), C.data(), m, n, k);
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
