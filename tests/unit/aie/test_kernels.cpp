// The GEMM kernels have a vectorised path (AVX2, chosen at run time: int8 for n a multiple of 8
// and even k, bf16 for n a multiple of 8) and a portable one; the element-wise kernels work in
// blocks with a scalar tail. Every implementation must give exactly the reference results, for
// every shape class, including the extremes of int8, and the bf16 rounding of kernels.hpp.
#include "hw/aie/kernels.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <algorithm>
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
    const auto ref = reference(a, b, m, n, k);
    for (KernelImpl impl : {KernelImpl::fastest, KernelImpl::portable}) {
        CAPTURE(static_cast<int>(impl));
        std::vector<uint8_t> mem = dm;
        run_kernel(d, mem, impl);
        std::vector<int32_t> got(size_t{m} * n);
        std::memcpy(got.data(), mem.data() + d.out, got.size() * 4);
        REQUIRE(got == ref);
        // The bytes around C are untouched.
        CHECK(std::all_of(mem.begin() + d.in1 + b.size(), mem.begin() + d.out, [](uint8_t v) { return v == 0xEE; }));
        // C written over A (out == in0: a program reusing its buffer) still gives the product.
        ProgramDescriptor da = d;
        da.out = 0;
        da.in1 = static_cast<uint32_t>(std::max(a.size(), size_t{m} * n * 4));
        std::vector<uint8_t> alias(da.in1 + b.size(), 0);
        std::memcpy(alias.data(), a.data(), a.size());
        std::memcpy(alias.data() + da.in1, b.data(), b.size());
        run_kernel(da, alias, impl);
        std::memcpy(got.data(), alias.data(), got.size() * 4);
        CHECK(got == ref);
    }
}

namespace {

// kernels.hpp's bf16 rounding, spelled out: fp32 products and sums, k ascending, from +0.
std::vector<float> bf16_reference(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b, uint32_t m,
                                  uint32_t n, uint32_t k)
{
    std::vector<float> c(size_t{m} * n);
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < n; ++j) {
            volatile float acc = 0.0f;   // volatile: one rounding per operation, never contracted
            for (uint32_t kk = 0; kk < k; ++kk) {
                volatile float p = bf16_to_float(a[size_t{i} * k + kk]) * bf16_to_float(b[size_t{kk} * n + j]);
                acc = acc + p;
            }
            c[size_t{i} * n + j] = acc;
        }
    return c;
}

} // namespace

TEST_CASE("bf16 GEMM kernel: every implementation rounds as documented, bit for bit")
{
    // 16-column blocks, an 8-column tail, n not a multiple of 8 (portable), rows not a multiple of 4.
    auto [m, n, k] = GENERATE(std::tuple{32u, 32u, 64u}, std::tuple{7u, 24u, 33u}, std::tuple{5u, 12u, 9u},
                              std::tuple{1u, 8u, 1u});
    CAPTURE(m, n, k);
    std::mt19937 rng(m * 31 + n * 17 + k);
    // Wide exponents, both signs: sums round (inexact), some products underflow to subnormals
    // or overflow to infinity, where a fused multiply-add would differ.
    auto random_bf16 = [&] {
        const uint32_t sign = rng() & 1, exponent = 1 + rng() % 254, mantissa = rng() & 0x7F;
        return static_cast<uint16_t>(sign << 15 | exponent << 7 | mantissa);
    };
    std::vector<uint16_t> a(size_t{m} * k), b(size_t{k} * n);
    for (auto& v : a)
        v = random_bf16();
    for (auto& v : b)
        v = random_bf16();
    // Mostly moderate values so that most sums stay finite and rounding is exercised.
    for (size_t i = 0; i < a.size(); i += 2)
        a[i] = float_to_bf16(static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 7.0f);
    for (size_t i = 0; i < b.size(); i += 2)
        b[i] = float_to_bf16(static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 3.0f);
    ProgramDescriptor d;
    d.kernel = KernelId::gemm_bf16;
    d.m = m;
    d.n = n;
    d.k = k;
    d.in0 = 0;
    d.in1 = static_cast<uint32_t>(a.size() * 2);
    d.out = static_cast<uint32_t>((a.size() + b.size()) * 2 + 2);   // C at a 2-byte-aligned address
    std::vector<uint8_t> dm(d.out + size_t{m} * n * 4, 0);
    std::memcpy(dm.data() + d.in0, a.data(), a.size() * 2);
    std::memcpy(dm.data() + d.in1, b.data(), b.size() * 2);
    const auto ref = bf16_reference(a, b, m, n, k);
    for (KernelImpl impl : {KernelImpl::fastest, KernelImpl::portable}) {
        CAPTURE(static_cast<int>(impl));
        std::vector<uint8_t> mem = dm;
        run_kernel(d, mem, impl);
        for (size_t i = 0; i < ref.size(); ++i) {
            uint32_t got, want;
            std::memcpy(&got, mem.data() + d.out + 4 * i, 4);
            std::memcpy(&want, &ref[i], 4);
            CAPTURE(i);
            REQUIRE(got == want);   // bit for bit (NaN payloads and signed zeros included)
        }
    }
}

TEST_CASE("element-wise kernels wrap like int32 hardware, with a scalar tail")
{
    for (uint32_t count : {1u, 4u, 7u, 37u}) {
        CAPTURE(count);
        std::mt19937 rng(count);
        std::vector<int32_t> x(count), y(count);
        for (uint32_t i = 0; i < count; ++i) {
            x[i] = static_cast<int32_t>(rng());
            y[i] = static_cast<int32_t>(rng());
        }
        x[0] = INT32_MAX;   // wraps on add and scale
        y[0] = 1;
        for (KernelId id : {KernelId::passthrough, KernelId::add, KernelId::scale, KernelId::relu}) {
            CAPTURE(kernel_name(id));
            ProgramDescriptor d;
            d.kernel = id;
            d.m = count;
            d.in0 = 0;
            d.in1 = 4 * count;
            d.out = 8 * count + 4;
            d.param0 = -3;
            std::vector<uint8_t> dm(d.out + 4 * size_t{count} + 4, 0x5A);
            std::memcpy(dm.data(), x.data(), 4 * count);
            std::memcpy(dm.data() + d.in1, y.data(), 4 * count);
            run_kernel(d, dm);
            for (uint32_t i = 0; i < count; ++i) {
                const uint32_t ux = static_cast<uint32_t>(x[i]), uy = static_cast<uint32_t>(y[i]);
                uint32_t want = ux;
                if (id == KernelId::add)
                    want = ux + uy;
                else if (id == KernelId::scale)
                    want = ux * static_cast<uint32_t>(-3);
                else if (id == KernelId::relu)
                    want = x[i] < 0 ? 0 : ux;
                uint32_t got;
                std::memcpy(&got, dm.data() + d.out + 4 * i, 4);
                CAPTURE(i);
                REQUIRE(got == want);
            }
            // Nothing written past the last element.
            CHECK(dm[d.out + 4 * count] == 0x5A);
        }
    }
}

TEST_CASE("GEMM kernels with no output element (m or n zero) write nothing")
{
    // A program descriptor may say m = 0 or n = 0 (found by the cert fuzzer: the portable
    // paths then copied from an empty buffer's null data(), undefined behaviour that UBSan
    // reports). Every implementation must leave memory as it was.
    auto [kernel, m, n, k] = GENERATE(std::tuple{KernelId::gemm_i8, 0u, 3u, 2u}, std::tuple{KernelId::gemm_i8, 4u, 0u, 3u},
                                      std::tuple{KernelId::gemm_bf16, 0u, 5u, 2u},
                                      std::tuple{KernelId::gemm_bf16, 2u, 0u, 4u});
    CAPTURE(kernel_name(kernel), m, n, k);
    ProgramDescriptor d;
    d.kernel = kernel;
    d.m = m;
    d.n = n;
    d.k = k;
    d.in0 = 0;
    d.in1 = 64;
    d.out = 128;
    for (KernelImpl impl : {KernelImpl::fastest, KernelImpl::portable}) {
        std::vector<uint8_t> mem(256, 0xEE);
        run_kernel(d, mem, impl);
        CHECK(std::all_of(mem.begin(), mem.end(), [](uint8_t v) { return v == 0xEE; }));
    }
}
