#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/gemm_pipeline.hpp"
#include "hw/aie/kernels.hpp"
#include "hw/aie/program.hpp"

using namespace aie4emu::aie;
using aie4emu::sim::Cycle;

namespace {

constexpr uint64_t kHostBase = 0x2000'0000;

struct PipelineRun {
    std::vector<int32_t> c;
    Cycle done_at = 0;
    size_t errors = 0;
    std::string trace_json;
};

PipelineRun run_gemm(uint32_t m, uint32_t n, uint32_t k, const std::vector<int8_t>& A, const std::vector<int8_t>& B,
                     uint32_t repeat = 1)
{
    Array array;
    BufferHostMemory host(kHostBase, 1 << 20);
    array.attach_host_memory(0, 3, &host);
    array.trace().set_enabled(true);
    GemmPipelineConfig cfg{.m = m, .n = n, .k = k, .host_a = kHostBase, .host_b = kHostBase + 0x10000,
                           .host_c = kHostBase + 0x20000, .repeat = repeat};
    std::memcpy(host.at(cfg.host_a), A.data(), A.size());
    std::memcpy(host.at(cfg.host_b), B.data(), B.size());
    REQUIRE(program_gemm_pipeline(array, cfg));
    PipelineRun r;
    // One token per task: a repeated task issues it after its last repetition.
    REQUIRE(array.wait_tcts(gemm_output_channel(array, cfg), 1, 10'000'000));
    r.done_at = array.now();
    r.c.resize(size_t{m} * n);
    std::memcpy(r.c.data(), host.at(cfg.host_c), r.c.size() * 4);
    r.errors = array.errors().size();
    r.trace_json = array.trace().to_json();
    return r;
}

} // namespace

TEST_CASE("shim -> memtile -> core GEMM -> memtile -> shim gives the right matrix, deterministically")
{
    const uint32_t m = 16, n = 24, k = 32;
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> dist(-128, 127);
    std::vector<int8_t> A(m * k), B(k * n);
    for (auto& v : A)
        v = static_cast<int8_t>(dist(rng));
    for (auto& v : B)
        v = static_cast<int8_t>(dist(rng));
    std::vector<int32_t> ref(m * n, 0);
    for (uint32_t i = 0; i < m; ++i)
        for (uint32_t j = 0; j < n; ++j)
            for (uint32_t kk = 0; kk < k; ++kk)
                ref[i * n + j] += int32_t{A[i * k + kk]} * int32_t{B[kk * n + j]};

    const auto r1 = run_gemm(m, n, k, A, B);
    CHECK(r1.errors == 0);
    CHECK(r1.c == ref);
    const auto r2 = run_gemm(m, n, k, A, B);
    CHECK(r2.done_at == r1.done_at);
    CHECK(r2.trace_json == r1.trace_json);

    // Lower bound by hand: C alone (m*n*4 bytes) crosses three DMA legs at 4 B/cycle
    // after the kernel, which costs overhead + m*n*k/512 cycles.
    const CostParams c;
    const Cycle kernel = c.kernel_overhead_cycles + (m * n * k + c.int8_macs_per_cycle - 1) / c.int8_macs_per_cycle;
    CHECK(r1.done_at > kernel + 3 * (m * n * 4 / 4));
    CHECK(r1.trace_json.find("gemm_i8 #0") != std::string::npos);
}

TEST_CASE("the pipeline repeated 3 times keeps the lock handshake balanced")
{
    const uint32_t m = 8, n = 8, k = 8;
    std::vector<int8_t> A(m * k), B(k * n);
    for (size_t i = 0; i < A.size(); ++i)
        A[i] = static_cast<int8_t>(i % 7 - 3);
    for (size_t i = 0; i < B.size(); ++i)
        B[i] = static_cast<int8_t>(i % 5 - 2);
    const auto once = run_gemm(m, n, k, A, B, 1);
    const auto thrice = run_gemm(m, n, k, A, B, 3);
    CHECK(thrice.errors == 0);
    CHECK(thrice.c == once.c);
    CHECK(thrice.done_at > once.done_at);
    CHECK(thrice.done_at < 3 * once.done_at);   // stages overlap across repetitions
}

TEST_CASE("core kernels: passthrough/add/scale/relu with DMA and lock handshakes on the compute tile")
{
    Array array;
    ArrayProgrammer p(array);
    const uint16_t core = 3;
    const std::vector<int32_t> x = {5, -3, 7, -100, 0, 42, -1, 9};
    const std::vector<int32_t> y = {1, 1, 1, 1, 2, 2, 2, 2};
    REQUIRE(array.write_tile_memory(1, core, 0x100, x.data(), 32));
    REQUIRE(array.write_tile_memory(1, core, 0x200, y.data(), 32));

    auto run = [&](KernelId id, int32_t param) {
        ProgramDescriptor d;
        d.kernel = id;
        d.in0 = 0x100;
        d.in1 = 0x200;
        d.out = 0x300;
        d.m = 8;
        d.param0 = param;
        array.block_write(array.tile_address(1, core, regs::kCoreMap.program_memory), d.encode());
        const uint64_t ctl = array.tile_address(1, core, regs::kCoreMap.core_control);
        array.write32(ctl, 0);
        array.write32(ctl, regs::core::kEnable);
        REQUIRE(array.run_until_idle(100000));
        CHECK((array.read32(array.tile_address(1, core, regs::kCoreMap.core_status)) & regs::core::kStatusDone) != 0);
        std::vector<int32_t> out(8);
        REQUIRE(array.read_tile_memory(1, core, 0x300, out.data(), 32));
        return out;
    };
    CHECK(run(KernelId::passthrough, 0) == x);
    CHECK(run(KernelId::add, 0) == std::vector<int32_t>{6, -2, 8, -99, 2, 44, 1, 11});
    CHECK(run(KernelId::scale, -2) == std::vector<int32_t>{-10, 6, -14, 200, 0, -84, 2, -18});
    CHECK(run(KernelId::relu, 0) == std::vector<int32_t>{5, 0, 7, 0, 0, 42, 0, 9});
    const Cycle t0 = array.now();
    run(KernelId::relu, 0);
    const CostParams c;
    CHECK(array.now() - t0 == c.kernel_overhead_cycles + (8 * 4 + c.vector_bytes_per_cycle - 1) / c.vector_bytes_per_cycle);
    CHECK(array.errors().empty());

    // A descriptor with buffers beyond data memory is a core error, not a crash.
    ProgramDescriptor bad;
    bad.kernel = KernelId::gemm_i8;
    bad.in0 = 0x1F800;   // 4 KB of A from here runs past the 128 KB data memory
    bad.m = bad.n = bad.k = 64;
    array.block_write(array.tile_address(1, core, regs::kCoreMap.program_memory), bad.encode());
    array.write32(array.tile_address(1, core, regs::kCoreMap.core_control), 0);
    array.write32(array.tile_address(1, core, regs::kCoreMap.core_control), 1);
    REQUIRE(array.errors().size() == 1);
    CHECK(array.errors()[0].kind == ErrorKind::core_error);
    CHECK((array.read32(array.tile_address(1, core, regs::kCoreMap.core_status)) & regs::core::kStatusErrorHalt) != 0);
}

TEST_CASE("bf16 GEMM kernel accumulates in fp32")
{
    Array array;
    const uint16_t core = 2;
    const uint32_t m = 2, n = 2, k = 3;
    const float a[] = {1.5f, -2.0f, 0.25f, 3.0f, 1.0f, -1.0f};
    const float b[] = {2.0f, 1.0f, 0.5f, -4.0f, 8.0f, 0.125f};
    std::vector<uint16_t> A, B;
    for (float v : a)
        A.push_back(float_to_bf16(v));
    for (float v : b)
        B.push_back(float_to_bf16(v));
    REQUIRE(array.write_tile_memory(0, core, 0, A.data(), A.size() * 2));
    REQUIRE(array.write_tile_memory(0, core, 0x40, B.data(), B.size() * 2));
    ProgramDescriptor d;
    d.kernel = KernelId::gemm_bf16;
    d.in1 = 0x40;
    d.out = 0x80;
    d.m = m;
    d.n = n;
    d.k = k;
    array.block_write(array.tile_address(0, core, regs::kCoreMap.program_memory), d.encode());
    array.write32(array.tile_address(0, core, regs::kCoreMap.core_control), 1);
    REQUIRE(array.run_until_idle(10000));
    float c[4];
    REQUIRE(array.read_tile_memory(0, core, 0x80, c, sizeof c));
    CHECK(c[0] == 1.5f * 2 + -2.0f * 0.5f + 0.25f * 8);
    CHECK(c[1] == 1.5f * 1 + -2.0f * -4 + 0.25f * 0.125f);
    CHECK(c[2] == 3.0f * 2 + 1.0f * 0.5f + -1.0f * 8);
    CHECK(c[3] == 3.0f * 1 + 1.0f * -4 + -1.0f * 0.125f);
}
