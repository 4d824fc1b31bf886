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

namespace {

// The GEMMs are the simulator's hottest loops: each simulated GEMM really computes its
// 512 int8 MACs (or 128 bf16 MACs) per device cycle. Each has a portable version and an
// AVX2 one chosen at run time (the default build targets plain x86-64), with identical
// results:
//  - int8: exact integer arithmetic (int32 accumulation), so any order gives the same bits.
//  - bf16: the documented rounding (kernels.hpp): each product and each partial sum rounded
//    to fp32 (nearest even), k ascending from +0.0f, no fused multiply-add. The AVX2 version
//    does the same operations lane-wise (VMULPS then VADDPS; "fma" is deliberately not in
//    its target, so the compiler cannot contract them).
// Both write C (they do not accumulate into it) and read their inputs completely before the
// first store, so C may alias A or B (a badly written program descriptor).

void gemm_i8_portable(const int8_t* A, const int8_t* B, uint8_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    thread_local std::vector<int8_t> a, b;
    thread_local std::vector<int32_t> c;
    a.assign(A, A + size_t{m} * k);
    b.assign(B, B + size_t{k} * n);
    c.assign(size_t{m} * n, 0);
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t kk = 0; kk < k; ++kk) {
            const int32_t av = a[size_t{i} * k + kk];
            const int8_t* brow = b.data() + size_t{kk} * n;
            int32_t* crow = c.data() + size_t{i} * n;
            for (uint32_t j = 0; j < n; ++j)
                crow[j] += av * brow[j];
        }
    std::memcpy(C, c.data(), c.size() * 4);
}

void gemm_bf16_portable(const uint8_t* A, const uint8_t* B, uint8_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    thread_local std::vector<float> a, b, c;
    a.resize(size_t{m} * k);
    b.resize(size_t{k} * n);
    c.assign(size_t{m} * n, 0.0f);
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = bf16_to_float(load<uint16_t>(A + 2 * i));
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = bf16_to_float(load<uint16_t>(B + 2 * i));
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t kk = 0; kk < k; ++kk) {
            const float av = a[size_t{i} * k + kk];
            for (uint32_t j = 0; j < n; ++j)
                c[size_t{i} * n + j] += av * b[size_t{kk} * n + j];
        }
    std::memcpy(C, c.data(), c.size() * 4);
}

#if defined(__x86_64__)
bool host_has_avx2()
{
    static const bool avx2 = __builtin_cpu_supports("avx2");
    return avx2;
}

// int8: A and B widened to int16; B stored as pairs P[kp][j] = {B[2kp][j], B[2kp+1][j]} so
// that VPMADDWD against the broadcast pair {A[i][2kp], A[i][2kp+1]} gives two MACs per int32
// lane (16 MACs per instruction; |sum| <= 2 * 128 * 128 fits). A block of R rows x V 8-lane
// column groups keeps R*V accumulators in registers, sharing each B load across R rows and
// each broadcast across V groups.
template <unsigned R, unsigned V>
[[gnu::target("avx2"), gnu::always_inline]] inline void i8_block(const int16_t* a, const int16_t* pairs, uint8_t* c,
                                                                 uint32_t n, uint32_t k, uint32_t jb)
{
    __m256i acc[R][V];
#pragma GCC unroll 8
    for (unsigned r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            acc[r][v] = _mm256_setzero_si256();
    const int16_t* bp = pairs + size_t{jb} * 2;
    for (uint32_t kp = 0; kp < k / 2; ++kp, bp += size_t{n} * 2) {
        __m256i b[V];
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            b[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 16 * v));
#pragma GCC unroll 8
        for (unsigned r = 0; r < R; ++r) {
            const __m256i av = _mm256_set1_epi32(load<int32_t>(reinterpret_cast<const uint8_t*>(a + size_t{r} * k + 2 * kp)));
#pragma GCC unroll 8
            for (unsigned v = 0; v < V; ++v)
                acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(b[v], av));
        }
    }
#pragma GCC unroll 8
    for (unsigned r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 4 * (size_t{r} * n + jb + 8 * v)), acc[r][v]);
}

template <unsigned R>
[[gnu::target("avx2"), gnu::always_inline]] inline void i8_rows(const int16_t* a, const int16_t* pairs, uint8_t* c,
                                                                uint32_t n, uint32_t k)
{
    uint32_t jb = 0;
    for (; jb + 16 <= n; jb += 16)
        i8_block<R, 2>(a, pairs, c, n, k, jb);
    if (jb < n)
        i8_block<R, 1>(a, pairs, c, n, k, jb);
}

// Needs n % 8 == 0 and k % 2 == 0. 4 rows x 16 columns measured fastest on the bench machine
// (Zen, 2-vCPU VM; docs/performance.md).
[[gnu::target("avx2")]]
void gemm_i8_avx2(const int8_t* A, const int8_t* B, uint8_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    thread_local std::vector<int16_t> a16, pairs;
    const size_t total = size_t{m} * k;
    a16.resize(total + 16);
    pairs.resize(size_t{k} * n + 16);
    size_t x = 0;
    for (; x + 16 <= total; x += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(&a16[x]),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(A + x))));
    for (; x < total; ++x)
        a16[x] = A[x];
    for (uint32_t kp = 0; kp < k / 2; ++kp) {
        const int8_t* r0 = B + size_t{2 * kp} * n;
        const int8_t* r1 = r0 + n;
        int16_t* dst = &pairs[size_t{kp} * n * 2];
        uint32_t j = 0;
        for (; j + 16 <= n; j += 16) {
            const __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + j)));
            const __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + j)));
            // unpack works per 128-bit lane: lo = columns 0-3 | 8-11, hi = 4-7 | 12-15.
            const __m256i lo = _mm256_unpacklo_epi16(x0, x1), hi = _mm256_unpackhi_epi16(x0, x1);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * j), _mm256_permute2x128_si256(lo, hi, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * j + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
        }
        if (j < n) {   // 8 columns left
            const __m128i y0 = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r0 + j)));
            const __m128i y1 = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r1 + j)));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * j), _mm_unpacklo_epi16(y0, y1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * j + 8), _mm_unpackhi_epi16(y0, y1));
        }
    }
    uint32_t i = 0;
    for (; i + 4 <= m; i += 4)
        i8_rows<4>(&a16[size_t{i} * k], pairs.data(), C + 4 * size_t{i} * n, n, k);
    for (; i < m; ++i)
        i8_rows<1>(&a16[size_t{i} * k], pairs.data(), C + 4 * size_t{i} * n, n, k);
}

// bf16 -> fp32 is exact: the bf16 bits are the top half of the float.
[[gnu::target("avx2")]] inline __m256 bf16x8_to_ps(const uint8_t* p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

template <unsigned R, unsigned V>
[[gnu::target("avx2"), gnu::always_inline]] inline void bf16_block(const float* a, const float* b, float* c, uint32_t n,
                                                                   uint32_t k, uint32_t jb)
{
    __m256 acc[R][V];
#pragma GCC unroll 8
    for (unsigned r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            acc[r][v] = _mm256_setzero_ps();
    for (uint32_t kk = 0; kk < k; ++kk) {
        __m256 bv[V];
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            bv[v] = _mm256_loadu_ps(b + size_t{kk} * n + jb + 8 * v);
#pragma GCC unroll 8
        for (unsigned r = 0; r < R; ++r) {
            const __m256 av = _mm256_broadcast_ss(a + size_t{r} * k + kk);
#pragma GCC unroll 8
            for (unsigned v = 0; v < V; ++v)
                acc[r][v] = _mm256_add_ps(acc[r][v], _mm256_mul_ps(av, bv[v]));
        }
    }
#pragma GCC unroll 8
    for (unsigned r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (unsigned v = 0; v < V; ++v)
            _mm256_storeu_ps(c + size_t{r} * n + jb + 8 * v, acc[r][v]);
}

template <unsigned R>
[[gnu::target("avx2"), gnu::always_inline]] inline void bf16_rows(const float* a, const float* b, float* c, uint32_t n,
                                                                  uint32_t k)
{
    uint32_t jb = 0;
    for (; jb + 16 <= n; jb += 16)
        bf16_block<R, 2>(a, b, c, n, k, jb);
    if (jb < n)
        bf16_block<R, 1>(a, b, c, n, k, jb);
}

// Needs n % 8 == 0. C is written through a float buffer, then copied (C's bytes may be unaligned).
[[gnu::target("avx2")]]
void gemm_bf16_avx2(const uint8_t* A, const uint8_t* B, uint8_t* C, uint32_t m, uint32_t n, uint32_t k)
{
    thread_local std::vector<float> a, b, c;
    const size_t na = size_t{m} * k, nb = size_t{k} * n;
    a.resize(na + 8);
    b.resize(nb + 8);
    c.resize(size_t{m} * n);
    size_t x = 0;
    for (; x + 8 <= na; x += 8)
        _mm256_storeu_ps(&a[x], bf16x8_to_ps(A + 2 * x));
    for (; x < na; ++x)
        a[x] = bf16_to_float(load<uint16_t>(A + 2 * x));
    for (x = 0; x + 8 <= nb; x += 8)
        _mm256_storeu_ps(&b[x], bf16x8_to_ps(B + 2 * x));
    for (; x < nb; ++x)
        b[x] = bf16_to_float(load<uint16_t>(B + 2 * x));
    uint32_t i = 0;
    for (; i + 4 <= m; i += 4)
        bf16_rows<4>(a.data() + size_t{i} * k, b.data(), c.data() + size_t{i} * n, n, k);
    for (; i < m; ++i)
        bf16_rows<1>(a.data() + size_t{i} * k, b.data(), c.data() + size_t{i} * n, n, k);
    std::memcpy(C, c.data(), c.size() * 4);
}
#endif

// Element-wise kernels on int32 words in blocks of 4 (GCC vector extensions: one SSE2
// register, the x86-64 baseline), wrapping arithmetic as unsigned. Each block is loaded before it is stored,
// so out == in works; other overlaps give a defined but unspecified mix (no crash).
using u32x4 = uint32_t __attribute__((vector_size(16)));
using i32x4 = int32_t __attribute__((vector_size(16)));

template <typename Op>
void elementwise(const uint8_t* a, const uint8_t* b, uint8_t* o, uint32_t m, Op op)
{
    uint32_t i = 0;
    for (; i + 4 <= m; i += 4) {
        u32x4 x, y{};
        std::memcpy(&x, a + 4 * size_t{i}, 16);
        if (b)
            std::memcpy(&y, b + 4 * size_t{i}, 16);
        const u32x4 r = op(x, y);
        std::memcpy(o + 4 * size_t{i}, &r, 16);
    }
    for (; i < m; ++i) {
        u32x4 x{}, y{};
        x[0] = load<uint32_t>(a + 4 * size_t{i});
        if (b)
            y[0] = load<uint32_t>(b + 4 * size_t{i});
        store<uint32_t>(o + 4 * size_t{i}, op(x, y)[0]);
    }
}

} // namespace

void run_kernel(const ProgramDescriptor& d, std::span<uint8_t> dm, [[maybe_unused]] KernelImpl impl)
{
    uint8_t* a = dm.data() + d.in0;
    uint8_t* b = dm.data() + d.in1;
    uint8_t* o = dm.data() + d.out;
    const uint32_t m = d.m, n = d.n, k = d.k;
    // A GEMM with no output element (m or n zero; a descriptor may say so) does nothing, in
    // every implementation. Checked here once: the implementations' scratch buffers would be
    // empty (a memcpy from a null data(), UBSan), and the AVX2 int8 path would still widen B,
    // k/2 steps per invocation that kernel_cycles charges only its overhead (both found by
    // the cert fuzzer).
    if ((d.kernel == KernelId::gemm_i8 || d.kernel == KernelId::gemm_bf16) && (m == 0 || n == 0))
        return;
#if defined(__x86_64__)
    const bool avx2 = impl == KernelImpl::fastest && host_has_avx2();
#endif
    switch (d.kernel) {
    case KernelId::passthrough: std::memmove(o, a, size_t{4} * m); break;
    case KernelId::add: elementwise(a, b, o, m, [](u32x4 x, u32x4 y) { return x + y; }); break;
    case KernelId::scale: {
        const uint32_t s = static_cast<uint32_t>(d.param0);
        elementwise(a, nullptr, o, m, [s](u32x4 x, u32x4) { return x * s; });
        break;
    }
    case KernelId::relu:
        // Lanes with the sign bit set become 0: x & ~(x >> 31) with an arithmetic shift.
        elementwise(a, nullptr, o, m, [](u32x4 x, u32x4) {
            return x & ~reinterpret_cast<u32x4>(reinterpret_cast<i32x4>(x) >> 31);
        });
        break;
    case KernelId::gemm_i8:
#if defined(__x86_64__)
        if (avx2 && n % 8 == 0 && k % 2 == 0) {
            gemm_i8_avx2(reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b),
                         o, m, n, k);
            break;
        }
#endif
        gemm_i8_portable(reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b),
                         o, m, n, k);
        break;
    case KernelId::gemm_bf16:
#if defined(__x86_64__)
        if (avx2 && n % 8 == 0) {
            gemm_bf16_avx2(a, b, o, m, n, k);
            break;
        }
#endif
        gemm_bf16_portable(a, b, o, m, n, k);
        break;
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
