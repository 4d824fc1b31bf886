// CERT time slicing: a long command runs in bounded turns, another function's commands start
// and finish while it runs, and nobody's simulated cycle count changes (cert.hpp).
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <thread>

#include "cert_rig.hpp"
#include "hw/sim/internal_error.hpp"

using namespace certtest;
using aie4emu::fw::cert::CertConfig;

namespace {

std::vector<uint8_t> gemm_result(Rig& rig, Context& ctx)
{
    return rig.mem(ctx.hw.fn).get(ctx.region.arg(2), 64 * 64 * 4);
}

const fw::cert::CommandRecord* find_record(Rig& rig, unsigned fn, uint64_t seq)
{
    for (const auto& r : rig.cert.history())
        if (r.fn == fn && r.seq == seq)
            return &r;
    return nullptr;
}

} // namespace

TEST_CASE("cert slicing: another VF's empty commands complete while a GEMM runs, cycles unchanged", "[cert]")
{
    // Each alone first.
    aie4emu::sim::Cycle gemm_alone = 0, empty_alone = 0;
    {
        Rig rig;
        auto a = rig.make_context(1, 1, 0);
        submit_gemm(rig, a, 0);
        rig.ring(a);
        rig.dev.drain();
        REQUIRE(rig.completion(a, 0) == umq::kStateCompleted);
        gemm_alone = rig.cert.history().back().cycles();
        auto b = rig.make_context(2, 1, 0);
        const uint64_t code = rig.install(b, load_file("ctrlcode/empty.uc0.bin"));
        rig.submit(b, code, 0);
        rig.ring(b);
        rig.dev.drain();
        REQUIRE(rig.completion(b, 0) == umq::kStateCompleted);
        empty_alone = rig.cert.history().back().cycles();
    }
    // The slice must be shorter than the GEMM for this test to mean anything.
    REQUIRE(gemm_alone > CertConfig{}.slice_cycles);

    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    const uint64_t empty = rig.install(b, load_file("ctrlcode/empty.uc0.bin"));
    submit_gemm(rig, a, 0);
    rig.ring(a);
    REQUIRE(rig.dev.run_one());   // one turn: the GEMM started but is not done
    CHECK(rig.completion(a, 0) == kStartDpuHeader);
    CHECK(rig.read_index(a) == 0);
    CHECK(rig.dev.deferred.size() == 1);   // CERT queued its next turn behind other work
    // VF 1 submits three empty commands while VF 0's GEMM is in progress.
    for (unsigned i = 0; i < 3; ++i)
        rig.submit(b, empty, i);
    rig.ring(b);
    size_t turns = 1;
    while (rig.dev.run_one() && rig.completion(b, 2) != umq::kStateCompleted)
        ++turns;
    CHECK(rig.completion(b, 2) == umq::kStateCompleted);
    CHECK(rig.completion(a, 0) == kStartDpuHeader);   // still running
    rig.dev.drain();
    REQUIRE(rig.completion(a, 0) == umq::kStateCompleted);
    CHECK(gemm_result(rig, a) == load_file("ctrlcode/gemm.expected.bin"));

    const auto* g = find_record(rig, 1, 0);
    REQUIRE(g != nullptr);
    CHECK(g->cycles() == gemm_alone);
    for (unsigned i = 0; i < 3; ++i) {
        const auto* e = find_record(rig, 2, i);
        REQUIRE(e != nullptr);
        CHECK(e->cycles() == empty_alone);
        CHECK(e->end_cycle < g->end_cycle);   // ran inside the GEMM's simulated time
        CHECK(e->start_cycle > g->start_cycle);
    }
    CHECK(rig.cert.counters().value("cert.slices") > 2);
}

TEST_CASE("cert slicing: slice size does not change cycle counts or results", "[cert]")
{
    std::vector<aie4emu::sim::Cycle> cycles;
    for (aie4emu::sim::Cycle slice : {aie4emu::sim::Cycle{1}, aie4emu::sim::Cycle{97}, aie4emu::sim::Cycle{1} << 40}) {
        CertConfig cfg;
        cfg.slice_cycles = slice;
        cfg.slice_events = slice == 1 ? 1 : 1'000'000;
        Rig rig(cfg);
        auto a = rig.make_context(1, 1, 0);
        auto b = rig.make_context(2, 1, 0);
        submit_gemm(rig, a, 0);
        submit_gemm(rig, b, 0);
        rig.ring(a);
        rig.ring(b);
        const size_t turns = rig.dev.drain();
        REQUIRE(rig.completion(a, 0) == umq::kStateCompleted);
        REQUIRE(rig.completion(b, 0) == umq::kStateCompleted);
        CHECK(gemm_result(rig, a) == load_file("ctrlcode/gemm.expected.bin"));
        CHECK(gemm_result(rig, b) == load_file("ctrlcode/gemm.expected.bin"));
        INFO("slice " << slice << " turns " << turns);
        if (slice == 1)
            CHECK(turns > 20);   // one array stop per turn
        else if (slice > 1'000'000)
            CHECK(turns <= 3);   // start, both run to the end, nothing left
        cycles.push_back(find_record(rig, 1, 0)->cycles());
        cycles.push_back(find_record(rig, 2, 0)->cycles());
    }
    for (auto c : cycles)
        CHECK(c == cycles.front());
}

TEST_CASE("cert slicing: a function's share is the packets it may start per turn", "[cert]")
{
    CertConfig cfg;
    cfg.function_shares = {1, 3, 1};   // PF 1, VF 0 three, VF 1 one
    Rig rig(cfg);
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    // TEST packets complete without array time: only the share limits them.
    for (unsigned i = 0; i < 6; ++i) {
        rig.submit(a, 0, i, 0, umq::kOpcodeTest);
        rig.submit(b, 0, i, 0, umq::kOpcodeTest);
    }
    rig.ring(a);
    rig.ring(b);
    REQUIRE(rig.dev.run_one());
    CHECK(rig.read_index(a) == 3);
    CHECK(rig.read_index(b) == 1);
    REQUIRE(rig.dev.run_one());
    CHECK(rig.read_index(a) == 6);
    CHECK(rig.read_index(b) == 2);
    rig.dev.drain();
    CHECK(rig.read_index(b) == 6);
    CHECK(rig.dev.msix_count(1) == 6);
    CHECK(rig.dev.msix_count(2) == 6);
}

TEST_CASE("cert slicing: destroying a context mid-command completes it ABORT and frees its columns", "[cert]")
{
    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    submit_gemm(rig, a, 0);
    submit_gemm(rig, b, 0);
    rig.ring(a);
    rig.ring(b);
    REQUIRE(rig.dev.run_one());
    REQUIRE(rig.completion(a, 0) == kStartDpuHeader);
    rig.cert.on_context_destroyed(a.hw);
    CHECK(rig.completion(a, 0) == umq::kStateAbort);
    CHECK(rig.read_index(a) == 1);
    CHECK(rig.cert.counters().value("cert.aborted_running") == 1);
    rig.dev.drain();
    // The other VF's command is untouched by the abort.
    CHECK(rig.completion(b, 0) == umq::kStateCompleted);
    CHECK(gemm_result(rig, b) == load_file("ctrlcode/gemm.expected.bin"));
}

TEST_CASE("cert slicing: gemm-long (256 pipeline passes in one command) while another VF runs empties", "[cert]")
{
    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    const uint64_t pa = a.region.arg(0), pb = a.region.arg(1), pc = a.region.arg(2);
    rig.mem(1).put(pa, load_file("ctrlcode/gemm.in0.bin"));
    rig.mem(1).put(pb, load_file("ctrlcode/gemm.in1.bin"));
    rig.mem(1).put(pc, std::vector<uint8_t>(64 * 64 * 4, 0xEE));
    rig.submit(a, rig.install(a, load_program("ctrlcode/gemm-long", {pa, pb, pc})), 0);
    rig.ring(a);
    const uint64_t empty = rig.install(b, load_file("ctrlcode/empty.uc0.bin"));
    REQUIRE(rig.dev.run_one());
    unsigned done = 0;
    // B keeps one empty command in flight; each completes within a few turns while A runs.
    for (unsigned i = 0; i < 20; ++i) {
        rig.submit(b, empty, i);
        rig.ring(b);
        size_t turns = 0;
        while (rig.completion(b, i) != umq::kStateCompleted && rig.dev.run_one())
            ++turns;
        CHECK(turns <= 2);
        done += rig.completion(b, i) == umq::kStateCompleted;
    }
    CHECK(done == 20);
    CHECK(rig.completion(a, 0) == kStartDpuHeader);   // A still running
    rig.dev.drain();
    const auto* g = find_record(rig, 1, 0);
    REQUIRE(g != nullptr);
    INFO(g->error);
    CHECK(rig.completion(a, 0) == umq::kStateCompleted);
    CHECK(gemm_result(rig, a) == load_file("ctrlcode/gemm.expected.bin"));
    CHECK(g->cycles() > 100 * 11'000);
}

TEST_CASE("cert: an exception in the array while a command runs fails that command, not the emulator",
          "[cert]")
{
    const bool was = aie4emu::sim::abort_on_internal_error();
    aie4emu::sim::set_abort_on_internal_error(false);   // the failure is the point here
    const uint64_t reported = aie4emu::sim::internal_error_count();
    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    submit_gemm(rig, a, 0);
    rig.ring(a);
    // A bug stand-in: the task-completion-token observer throws (std::bad_alloc would too).
    rig.dev.arr.set_tct_callback([](const aie4emu::aie::ChannelId&) { throw std::runtime_error("observer bug"); });
    rig.dev.drain();
    CHECK((rig.completion(a, 0) & umq::kStateMask) == umq::kStateError);
    const auto* rec = find_record(rig, 1, 0);
    REQUIRE(rec != nullptr);
    CHECK(rec->error.find("internal error: observer bug") != std::string::npos);
    CHECK(aie4emu::sim::internal_error_count() == reported + 1);   // logged once
    CHECK(rig.read_index(a) == 1);                                  // retired, context serving

    // Without the bug, the same context and another VF run correctly (the partition was reset).
    rig.dev.arr.set_tct_callback(nullptr);
    submit_gemm(rig, a, 1);
    rig.ring(a);
    submit_gemm(rig, b, 0);
    rig.ring(b);
    rig.dev.drain();
    CHECK(rig.completion(a, 1) == umq::kStateCompleted);
    CHECK(rig.completion(b, 0) == umq::kStateCompleted);
    CHECK(gemm_result(rig, a) == load_file("ctrlcode/gemm.expected.bin"));
    CHECK(gemm_result(rig, b) == load_file("ctrlcode/gemm.expected.bin"));
    aie4emu::sim::set_abort_on_internal_error(was);
}

TEST_CASE("cert: a command's host service time runs from the doorbell to its completion", "[cert]")
{
    Rig rig;
    auto b = rig.make_context(2, 1, 0);
    const uint64_t empty = rig.install(b, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(b, empty, 0);
    rig.ring(b);
    // The doorbell is seen; CERT's turn waits behind other work (here: 30 ms of nothing).
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    rig.dev.drain();
    REQUIRE(rig.completion(b, 0) == umq::kStateCompleted);
    const auto* first = find_record(rig, 2, 0);
    REQUIRE(first != nullptr);
    CHECK(first->host_us >= 30000);
    CHECK(first->host_us < 10'000'000);

    // The next command's time starts at its own doorbell, not at the first one's.
    rig.submit(b, empty, 1);
    rig.ring(b);
    rig.dev.drain();
    const auto* second = find_record(rig, 2, 1);
    REQUIRE(second != nullptr);
    CHECK(second->host_us < first->host_us);
}
