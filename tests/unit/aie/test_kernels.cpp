// The int8 GEMM kernel has a vectorised path (AVX2, chosen at run time for shapes with n a
// multiple of 8 and even k) and a portable one. Both must give exactly the reference integers,
// for every shape class, including the extremes of int8.
#include "hw/aie/kernels.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstring>
#include <random>
#include <vector>

using namespace aie4emu::aie;

namespace {

std::vector<int32_t> reference(const std::vector<int8_t>& a, const std::vector<int8_t>& b, uint32_t m, uint32_t n,
                               uint32_t k)
{
    std::vector<int32_t> c(size_t{m} * n, 0);
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < n; ++j) {
            int64_t s = 0;
            for (uint32_t kk = 0; kk < k; ++kk)
                s += int64_t{a[size_t{i} * k + kk]} * b[size_t{kk} * n + j];
            c[size_t{i} * n + j] = static_cast<int32_t>(s);
        }
    return c;
}

} // namespace

TEST_CASE("int8 GEMM kernel matches the reference for every shape class")
{
    // (m, n, k): vector path with 32-column blocks, with an 8-column tail, odd k (portable),
    // n not a multiple of 8 (portable), and a 1x1x1 corner.
    auto [m, n, k] = GENERATE(std::tuple{32u, 32u, 64u}, std::tuple{16u, 40u, 30u}, std::tuple{8u, 64u, 17u},
                              std::tuple{5u, 12u, 10u}, std::tuple{1u, 1u, 1u}, std::tuple{64u, 64u, 64u});
    CAPTURE(m, n, k);
    std::mt19937 rng(m * 131 + n * 7 + k);
    std::vector<int8_t> a(size_t{m} * k), b(size_t{k} * n);
    for (auto& v : a)
        v = static_cast<int8_t>(rng());
    for (auto& v : b)
        v = static_cast<int8_t>(rng());
    a[0] = -128;   // the extremes: -128 * -128 summed over k must not overflow the int16 pair path
    b[0] = -128;
    ProgramDescriptor d;
    d.kernel = KernelId::gemm_i8;
    d.m = m;
    d.n = n;
    d.k = k;
    d.in0 = 0;
    d.in1 = static_cast<uint32_t>(a.size());
    d.out = static_cast<uint32_t>(a.size() + b.size() + 64);
    std::vector<uint8_t> dm(d.out + size_t{m} * n * 4, 0xEE);
    std::memcpy(dm.data() + d.in0, a.data(), a.size());
    std::memcpy(dm.data() + d.in1, b.data(), b.size());
    run_kernel(d, dm);
    std::vector<int32_t> got(size_t{m} * n);
    std::memcpy(got.data(), dm.data() + d.out, got.size() * 4);
    REQUIRE(got == reference(a, b, m, n, k));
}
