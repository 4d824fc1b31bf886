// CERT running real aiebu-asm control code on the tile array: the guest workloads (copy with a
// transpose, GEMM), job features (registers, deferred jobs, barriers, two uCs), and the
// executor's errors (not implemented, outside the partition, deadlock, array faults).
#include <catch2/catch_test_macros.hpp>

#include "hw/aie/program.hpp"
#include "tests/unit/cert/cert_rig.hpp"

using namespace certtest;
using aie4emu::fw::ContextState;
using aie4emu::fw::cert::CertConfig;

namespace {

constexpr unsigned kN = 32;   // copy.asm: 32 x 32 words

// "" if equal, else where they first differ (keeps Catch from printing kilobytes).
std::string diff(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want)
{
    if (got.size() != want.size())
        return "size " + std::to_string(got.size()) + " != " + std::to_string(want.size());
    const auto m = std::mismatch(got.begin(), got.end(), want.begin());
    if (m.first == got.end())
        return {};
    return "byte " + std::to_string(m.first - got.begin()) + ": got " + std::to_string(*m.first) + ", want " +
           std::to_string(*m.second);
}

std::vector<uint8_t> copy_input()
{
    std::vector<uint8_t> in(kN * kN * 4);
    for (size_t i = 0; i < in.size(); ++i)
        in[i] = static_cast<uint8_t>((i * 131 + 7) ^ (i >> 8));
    return in;
}

std::vector<uint8_t> transpose(const std::vector<uint8_t>& in)
{
    std::vector<uint8_t> out(in.size());
    for (unsigned i = 0; i < kN; ++i)
        for (unsigned j = 0; j < kN; ++j)
            std::memcpy(&out[(i * kN + j) * 4], &in[(j * kN + i) * 4], 4);
    return out;
}

// Puts the copy control code and its buffers in context `c` and submits it once.
void submit_copy(Rig& rig, Context& c, unsigned cmd, const std::vector<uint8_t>& input, uint64_t out_addr = 0)
{
    const uint64_t in = c.region.arg(0), out = out_addr != 0 ? out_addr : c.region.arg(1);
    rig.mem(c.hw.fn).put(in, input);
    const uint64_t code = rig.install(c, load_program("ctrlcode/copy", {in, out}));
    rig.submit(c, code, cmd);
}

struct GemmRun {
    uint32_t state;
    std::vector<uint8_t> c;
    aie4emu::sim::Cycle cycles;
};

GemmRun run_gemm(Rig& rig, Context& ctx, unsigned cmd)
{
    const auto a = load_file("ctrlcode/gemm.in0.bin"), b = load_file("ctrlcode/gemm.in1.bin");
    const uint64_t pa = ctx.region.arg(0), pb = ctx.region.arg(1), pc = ctx.region.arg(2);
    rig.mem(ctx.hw.fn).put(pa, a);
    rig.mem(ctx.hw.fn).put(pb, b);
    rig.mem(ctx.hw.fn).put(pc, std::vector<uint8_t>(64 * 64 * 4, 0xEE));
    const uint64_t code = rig.install(ctx, load_program("ctrlcode/gemm", {pa, pb, pc}));
    rig.submit(ctx, code, cmd);
    rig.ring(ctx);
    rig.dev.drain();
    return GemmRun{rig.completion(ctx, cmd), rig.mem(ctx.hw.fn).get(pc, 64 * 64 * 4),
                   rig.cert.history().back().cycles()};
}

} // namespace

TEST_CASE("cert: copy.asm moves 4 KiB host -> shim -> memory tile -> shim -> host, transposed", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const auto input = copy_input();
    submit_copy(rig, c, 0, input);
    rig.ring(c);
    rig.dev.drain();

    CHECK(rig.completion(c, 0) == umq::kStateCompleted);
    const auto out = rig.mem(1).get(c.region.arg(1), input.size());
    CHECK(diff(out, transpose(input)).empty());
    CHECK_FALSE(diff(out, input).empty());
    CHECK(diff(rig.mem(1).get(c.region.arg(0), input.size()), input).empty());
    const auto& rec = rig.cert.history().back();
    INFO(rec.error);
    CHECK(rec.error.empty());
    // Each byte crosses a 4-byte/cycle stream twice (in and out); the memory tile's drain may
    // only start when the fill released its lock.
    CHECK(rec.cycles() > 2 * input.size() / 4);
    CHECK(rec.uc_dma_words == 9 + 9 + 11 + 11);
    CHECK(rig.dev.arr.counters().value("dma.bytes") == 2 * input.size());

    // A second run on the same context (locks and routes reprogrammed) gives the same bytes
    // and the same cycle count.
    rig.mem(1).put(c.region.arg(1), std::vector<uint8_t>(input.size(), 0));
    rig.submit(c, c.region.code, 1);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 1) == umq::kStateCompleted);
    CHECK(diff(rig.mem(1).get(c.region.arg(1), input.size()), transpose(input)).empty());
    CHECK(rig.cert.history().back().cycles() == rec.cycles());
}

TEST_CASE("cert: gemm.asm computes C = A x B on a compute tile", "[cert]")
{
    Rig rig;
    auto ctx = rig.make_context(1, 1, 0);
    const GemmRun r = run_gemm(rig, ctx, 0);
    INFO(rig.cert.history().back().error);
    REQUIRE(r.state == umq::kStateCompleted);
    CHECK(diff(r.c, load_file("ctrlcode/gemm.expected.bin")).empty());
    // Independent reference from the inputs.
    const auto a = load_file("ctrlcode/gemm.in0.bin"), b = load_file("ctrlcode/gemm.in1.bin");
    std::vector<int32_t> c(64 * 64);
    std::memcpy(c.data(), r.c.data(), r.c.size());
    for (unsigned i = 0; i < 64; i += 9)
        for (unsigned j = 0; j < 64; j += 7) {
            int32_t sum = 0;
            for (unsigned k = 0; k < 64; ++k)
                sum += static_cast<int8_t>(a[i * 64 + k]) * static_cast<int8_t>(b[k * 64 + j]);
            CHECK(c[i * 64 + j] == sum);
        }
    CHECK(rig.dev.arr.counters().value("core.invocations") == 1);
    // The kernel alone is 64^3 MACs at 512 per cycle.
    CHECK(r.cycles > 64u * 64 * 64 / 512);
    // Run it again: the core restarts (control code stops it first) and the result repeats.
    const GemmRun again = run_gemm(rig, ctx, 1);
    CHECK(again.state == umq::kStateCompleted);
    CHECK(diff(again.c, r.c).empty());
    CHECK(again.cycles == r.cycles);
}

TEST_CASE("cert: the same submissions on a fresh device give the same cycles (determinism)", "[cert]")
{
    auto run = [] {
        Rig rig;
        auto a = rig.make_context(1, 1, 0);
        auto b = rig.make_context(2, 1, 0);
        submit_copy(rig, a, 0, copy_input());
        rig.ring(a);
        run_gemm(rig, b, 0);
        std::vector<std::pair<uint64_t, uint64_t>> cycles;
        for (const auto& rec : rig.cert.history())
            cycles.emplace_back(rec.start_cycle, rec.end_cycle);
        return std::make_pair(cycles, rig.dev.arr.now());
    };
    const auto first = run();
    const auto second = run();
    REQUIRE(first.first.size() == 2);
    CHECK(first == second);
}

TEST_CASE("cert: copies on two VFs land in their own memory and columns", "[cert]")
{
    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    auto in_a = copy_input();
    auto in_b = copy_input();
    std::reverse(in_b.begin(), in_b.end());
    submit_copy(rig, a, 0, in_a);
    submit_copy(rig, b, 0, in_b);
    rig.ring(a);
    rig.ring(b);
    rig.dev.drain();
    CHECK(rig.completion(a, 0) == umq::kStateCompleted);
    CHECK(rig.completion(b, 0) == umq::kStateCompleted);
    CHECK(diff(rig.mem(1).get(a.region.arg(1), in_a.size()), transpose(in_a)).empty());
    CHECK(diff(rig.mem(2).get(b.region.arg(1), in_b.size()), transpose(in_b)).empty());
    // VF1's partition is columns 3..5: its memory tile holds its input, VF0's column 0 VF0's.
    std::vector<uint8_t> mt(16);
    REQUIRE(rig.dev.arr.read_tile_memory(3, 1, 0, mt.data(), mt.size()));
    CHECK(std::equal(mt.begin(), mt.end(), in_b.begin()));
    REQUIRE(rig.dev.arr.read_tile_memory(0, 1, 0, mt.data(), mt.size()));
    CHECK(std::equal(mt.begin(), mt.end(), in_a.begin()));
}

TEST_CASE("cert: registers, a deferred job, YIELD and a local barrier (jobs.asm)", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("cert/jobs.uc0.bin"));
    rig.submit(c, code, 0);
    rig.ring(c);
    rig.dev.drain();
    INFO(rig.cert.history().back().error);
    REQUIRE(rig.completion(c, 0) == umq::kStateCompleted);
    uint32_t dm[4];
    REQUIRE(rig.dev.arr.read_tile_memory(0, 2, 0, dm, sizeof dm));
    CHECK(dm[0] == 0x123u);
    CHECK(dm[1] == 0x1123u);
    CHECK(dm[2] == 0x1124u);   // job 0 read job 2's word only after the barrier
    CHECK(dm[3] == 0x77u);     // g0 is shared by the jobs of a uC
}

TEST_CASE("cert: an indirect packet runs two uCs; REMOTE_BARRIER orders them", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code_a = rig.install(c, load_file("cert/remote_a.uc0.bin"), 0);
    const uint64_t code_b = rig.install(c, load_file("cert/remote_b.uc0.bin"), 0x2000);
    std::vector<uint8_t> entries;
    add_indirect(rig, c, entries, 0, c.region.queue + 0x880, code_a);
    add_indirect(rig, c, entries, 1, c.region.queue + 0x880 + 32 * 32, code_b);
    rig.submit(c, 0, 0, 0, umq::kOpcodeExecBuf, &entries);
    rig.ring(c);
    rig.dev.drain();
    INFO(rig.cert.history().back().error);
    REQUIRE(rig.completion(c, 0) == umq::kStateCompleted);
    CHECK(rig.cert.history().back().ucs == 2);
    uint32_t col0[2], col1[1];
    REQUIRE(rig.dev.arr.read_tile_memory(0, 2, 0, col0, sizeof col0));
    REQUIRE(rig.dev.arr.read_tile_memory(1, 2, 0, col1, sizeof col1));
    CHECK(col0[0] == 0xAu);
    CHECK(col1[0] == 0xBu);
    CHECK(col0[1] == 0xBu);   // uC 0 read uC 1's late write: the barrier held it

    // A barrier naming a uC that runs nothing in the command fails at once.
    std::vector<uint8_t> only_a;
    add_indirect(rig, c, only_a, 0, c.region.queue + 0x880, code_a);
    rig.submit(c, 0, 1, 0, umq::kOpcodeExecBuf, &only_a);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 1) == umq::uc_error(0, umq::kErrBadAccess));
}

TEST_CASE("cert: executor errors complete ERROR with the code, others keep running", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    auto other = rig.make_context(2, 1, 0);
    const uint64_t other_code = rig.install(other, load_file("ctrlcode/empty.uc0.bin"));
    std::string want_error;
    uint32_t want_state = 0;

    SECTION("an operation CERT cannot execute")
    {
        auto image = load_file("cert/jobs.uc0.bin");
        REQUIRE(image[0x18] == 0x10);   // MOV $r1, 0x100 (8 bytes) ...
        image[0x18] = 0x1A;             // ... becomes LOAD_PDI (8 bytes)
        rig.submit(c, rig.install(c, image), 0);
        want_state = umq::uc_error(0, umq::kErrInvalidOpcode);
        want_error = "not implemented: LOAD_PDI at page 0 offset 0x18";
    }
    SECTION("a write outside the partition")
    {
        rig.submit(c, rig.install(c, load_file("cert/outside.uc0.bin")), 0);
        want_state = umq::uc_error(0, umq::kErrBadAccess);
        want_error = "partition column 5";
    }
    SECTION("a wait nothing will satisfy")
    {
        rig.submit(c, rig.install(c, load_file("cert/deadlock.uc0.bin")), 0);
        want_state = umq::uc_error(0, umq::kErrPacketTimeout);
        want_error = "deadlock";
    }
    SECTION("a compute tile waiting for a core program that is not loaded")
    {
        rig.submit(c, rig.install(c, load_file("cert/no_core.uc0.bin")), 0);
        want_state = umq::uc_error(0, umq::kErrPacketTimeout);
        want_error = "core program not loaded for tile (0,2)";
    }
    SECTION("a shim DMA to an address outside guest memory")
    {
        submit_copy(rig, c, 0, copy_input(), kGuestBase + kGuestSize);
        want_state = umq::uc_error(0, umq::kErrArrayFault);
        want_error = "dma_fault";
    }
    SECTION("shim BDs the host never patched")
    {
        rig.submit(c, rig.install(c, load_file("ctrlcode/copy.uc0.bin")), 0);
        want_state = umq::uc_error(0, umq::kErrArrayFault);
        want_error = "dma_fault";
    }
    rig.submit(other, other_code, 0);
    rig.ring(c);
    rig.ring(other);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == want_state);
    CHECK(rig.read_index(c) == 1);
    CHECK(rig.dev.msix_count(1) == 1);
    bool found = false;
    for (const auto& rec : rig.cert.history())
        if (rec.fn == 1) {
            INFO(rec.error);
            found = rec.error.find(want_error) != std::string::npos;
        }
    CHECK(found);
    CHECK(c.hw.state == ContextState::active);
    CHECK(rig.completion(other, 0) == umq::kStateCompleted);

    // After the error (partition reset) the same context runs a real copy correctly.
    const auto input = copy_input();
    submit_copy(rig, c, 1, input);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 1) == umq::kStateCompleted);
    CHECK(diff(rig.mem(1).get(c.region.arg(1), input.size()), transpose(input)).empty());
}

TEST_CASE("cert: a command that outlives max_cycles times out", "[cert]")
{
    CertConfig cfg;
    cfg.limits.max_cycles = 100;   // far less than a 4 KiB copy needs
    Rig rig(cfg);
    auto c = rig.make_context(1, 1, 0);
    submit_copy(rig, c, 0, copy_input());
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == umq::uc_error(0, umq::kErrPacketTimeout));
    CHECK(rig.cert.history().back().cycles() <= 100);
    CHECK(rig.cert.history().back().error.find("not done after 100 cycles") != std::string::npos);
}

TEST_CASE("cert: destroying the last context resets its columns and detaches host memory", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    submit_copy(rig, c, 0, copy_input());
    rig.ring(c);
    rig.dev.drain();
    REQUIRE(rig.completion(c, 0) == umq::kStateCompleted);
    uint32_t word = 0;
    REQUIRE(rig.dev.arr.read_tile_memory(0, 1, 0, &word, 4));
    CHECK(word != 0);   // the input sits in the memory tile
    rig.cert.on_context_destroyed(c.hw);
    REQUIRE(rig.dev.arr.read_tile_memory(0, 1, 0, &word, 4));
    CHECK(word == 0);
    // A shim DMA started on the column now faults instead of reaching the VF's memory.
    const size_t writes = rig.dev.log.size();
    aie4emu::aie::ArrayProgrammer p(rig.dev.arr);
    p.route_vertical(0, 1, 0, 0, 0, 0);
    p.write_bd(0, 0, aie4emu::aie::Direction::s2mm, 0, 0,
               aie4emu::aie::BdFields{.address = c.region.arg(1) + 0x80000000ull, .length = 4});
    p.write_bd(0, 1, aie4emu::aie::Direction::mm2s, 0, 1, aie4emu::aie::BdFields{.address = 0, .length = 4});
    p.push_task(0, 0, aie4emu::aie::Direction::s2mm, 0, 0);
    p.push_task(0, 1, aie4emu::aie::Direction::mm2s, 0, 1);
    rig.dev.arr.run_until_idle(100000);
    CHECK(rig.dev.log.size() == writes);
    CHECK_FALSE(rig.dev.arr.errors().empty());
}

TEST_CASE("cert: two contexts on one partition take turns; each command finds the array as its own", "[cert]")
{
    // Two processes of one VM share the VF's partition: a copy context and a GEMM context whose
    // control code route the same memory-tile ports differently. Interleaved, each command must
    // still complete with correct results (CERT switches contexts on the columns).
    Rig rig;
    auto copy_ctx = rig.make_context(1, 1, 0);
    auto gemm_ctx = rig.make_context(1, 2, 1);
    const auto input = copy_input();
    for (unsigned round = 0; round < 3; ++round) {
        rig.mem(1).put(copy_ctx.region.arg(1), std::vector<uint8_t>(input.size(), 0));
        submit_copy(rig, copy_ctx, round, input);
        rig.ring(copy_ctx);
        rig.dev.drain();
        INFO("round " << round << ": " << rig.cert.history().back().error);
        REQUIRE(rig.completion(copy_ctx, round) == umq::kStateCompleted);
        CHECK(diff(rig.mem(1).get(copy_ctx.region.arg(1), input.size()), transpose(input)).empty());
        const GemmRun g = run_gemm(rig, gemm_ctx, round);
        INFO(rig.cert.history().back().error);
        REQUIRE(g.state == umq::kStateCompleted);
        CHECK(diff(g.c, load_file("ctrlcode/gemm.expected.bin")).empty());
    }
    CHECK(rig.cert.counters().value("cert.context_switches") == 5);
}
