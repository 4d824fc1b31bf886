// CERT queue protocol: header layouts and the bridge of
// docs/spec/queue-and-cert.md §1.3, slot walk, completion order,
// wrap-around, full queue, several contexts, destroy, queue-level errors.
#include <catch2/catch_test_macros.hpp>

#include "tests/unit/cert/cert_rig.hpp"

using namespace certtest;
using aie4emu::fw::ContextState;
using aie4emu::fw::cert::CertConfig;

namespace {

uint16_t used_length(const std::vector<uint8_t>& page)
{
    return static_cast<uint16_t>(page[8] | (page[9] << 8));
}

} // namespace

TEST_CASE("cert: an empty command completes with state 4 after exactly the modelled cycles", "[cert]")
{
    for (const aie4emu::sim::Cycle op_cycles : {4u, 10u}) {
        CertConfig cfg;
        cfg.costs.op_cycles = op_cycles;
        Rig rig(cfg);
        auto c = rig.make_context(1, 1, 0);
        const auto image = load_file("ctrlcode/empty.uc0.bin");
        const uint64_t code = rig.install(c, image);
        const uint64_t seq = rig.submit(c, code, 0);
        rig.ring(c);
        CHECK(rig.completion(c, 0) == kStartDpuHeader);   // nothing happens inside the doorbell write
        rig.dev.drain();

        CHECK(rig.completion(c, 0) == umq::kStateCompleted);
        CHECK(rig.read_index(c) == 1);
        CHECK(rig.dev.msix_count(1) == 1);
        CHECK(rig.kernel_sees_done(c, seq));
        // One page fetch (latency + used length at the fetch rate) and END_JOB, the one operation.
        const auto& costs = rig.cert.config().costs;
        const uint64_t used = used_length(image);
        const uint64_t expect = costs.page_fetch_latency +
                                (used + costs.page_fetch_bytes_per_cycle - 1) / costs.page_fetch_bytes_per_cycle +
                                op_cycles;
        REQUIRE(rig.cert.history().size() == 1);
        const auto& rec = rig.cert.history().back();
        CHECK(rec.cycles() == expect);
        CHECK(rec.ops == 1);
        CHECK(rec.pages == 1);
        CHECK(rec.error.empty());
        CHECK(rig.dev.arr.now() == rec.end_cycle);
        const auto stats = rig.cert.context_stats(1, 1);
        REQUIRE(stats);
        CHECK(stats->completed == 1);
        CHECK(stats->last_cycles == expect);
    }
}

TEST_CASE("cert: device writes go completion word, mirror, read_index, then MSI-X", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(2, 7, 1, Layout::xrt_v1, 3);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(c, code, 0);
    rig.submit(c, code, 1);
    rig.ring(c);
    rig.dev.drain();
    const uint64_t q = c.region.queue;
    // Collect the device's guest-visible actions in order.
    std::vector<std::string> seen;
    for (const Event& e : rig.dev.log) {
        if (e.kind == Event::msix)
            seen.push_back("msix" + std::to_string(e.vector));
        else if (e.addr == q + umq::kReadIndexOffset)
            seen.push_back("ri");
        else if (e.addr == q + umq::kKernelWriteIndexOffset)
            seen.push_back("mirror");
        else if (e.addr == c.region.cmd(0) || e.addr == c.region.cmd(1))
            seen.push_back("cw");
        else
            seen.push_back("other");
    }
    const std::vector<std::string> want{"mirror", "cw", "ri", "msix3", "mirror", "cw", "ri", "msix3"};
    CHECK(seen == want);
    CHECK(rig.mem(2).at<uint64_t>(q + umq::kKernelWriteIndexOffset) == 2);
    CHECK(rig.read_index(c) == 2);
    // The read_index store is one 8-byte write.
    for (const Event& e : rig.dev.log)
        if (e.kind == Event::write && e.addr == q)
            CHECK(e.len == 8);
}

TEST_CASE("cert: the slot index wraps around the 32-slot ring", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    unsigned cmd = 0;
    for (unsigned batch = 0; batch < 3; ++batch) {   // 3 x 20 = 60 packets, seq 32.. reuse slots 0..
        for (unsigned i = 0; i < 20; ++i, ++cmd)
            rig.submit(c, code, cmd);
        rig.ring(c);
        rig.dev.drain();
        CHECK(rig.read_index(c) == cmd);
    }
    for (unsigned i = 0; i < cmd; ++i)
        CHECK(rig.completion(c, i) == umq::kStateCompleted);
    CHECK(rig.dev.msix_count(1) == 60);
    CHECK(rig.cert.context_stats(1, 1)->completed == 60);
}

TEST_CASE("cert: a full queue (32 outstanding) drains on one doorbell, then takes more", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    for (unsigned i = 0; i < 32; ++i)
        rig.submit(c, code, i);
    rig.ring(c);
    // One packet per deferred run: the device keeps re-queueing itself until the ring is empty.
    CHECK(rig.dev.drain() == 32);
    CHECK(rig.read_index(c) == 32);
    for (unsigned i = 0; i < 32; ++i)
        CHECK(rig.completion(c, i) == umq::kStateCompleted);
    CHECK(rig.kernel_sees_done(c, 31));
    rig.submit(c, code, 32);   // slot 0 again
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 32) == umq::kStateCompleted);
    CHECK(rig.read_index(c) == 33);
}

TEST_CASE("cert: doorbells of two contexts on two functions interleave packet by packet", "[cert]")
{
    Rig rig;
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);   // same context id and region, other VF
    const auto image = load_file("ctrlcode/empty.uc0.bin");
    const uint64_t ca = rig.install(a, image), cb = rig.install(b, image);
    for (unsigned i = 0; i < 3; ++i) {
        rig.submit(a, ca, i);
        rig.submit(b, cb, i);
    }
    rig.ring(a);
    rig.ring(b);
    rig.dev.drain();
    CHECK(rig.read_index(a) == 3);
    CHECK(rig.read_index(b) == 3);
    std::vector<unsigned> order;
    for (const auto& rec : rig.cert.history())
        order.push_back(rec.fn);
    CHECK(order == std::vector<unsigned>{1, 2, 1, 2, 1, 2});
    CHECK(rig.dev.msix_count(1) == 3);
    CHECK(rig.dev.msix_count(2) == 3);
}

TEST_CASE("cert: umq_mirror off reads the kernel layout: XRT's packets are never seen", "[cert]")
{
    CertConfig cfg;
    cfg.umq_mirror = false;
    Rig rig(cfg);
    auto c = rig.make_context(1, 1, 0, Layout::xrt_v1);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    const uint64_t seq = rig.submit(c, code, 0);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == kStartDpuHeader);   // XRT's poll never sees state >= 4
    CHECK(rig.read_index(c) == 0);
    CHECK(rig.dev.msix_count(1) == 0);
    CHECK_FALSE(rig.kernel_sees_done(c, seq));       // and WAIT_CMD times out
    CHECK(rig.cert.history().empty());

    // A queue written with the kernel's own struct still works with the switch off.
    auto k = rig.make_context(1, 2, 1, Layout::kernel);
    const uint64_t kcode = rig.install(k, load_file("ctrlcode/empty.uc0.bin"));
    const uint64_t kseq = rig.submit(k, kcode, 0);
    rig.ring(k);
    rig.dev.drain();
    CHECK(rig.completion(k, 0) == umq::kStateCompleted);
    CHECK(rig.kernel_sees_done(k, kseq));
}

TEST_CASE("cert: with the mirror the kernel sees completions; without it read_index alone fails its check", "[cert]")
{
    // Mirror on: +0x10 tracks write_index, the kernel's sanity check passes.
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    const uint64_t s0 = rig.submit(c, code, 0);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.kernel_sees_done(c, s0));
    // Undo the mirror: read_index 1 with the kernel's write_index 0 is "Invalid index" and the
    // kernel uses read_index 0, so WAIT_CMD(seq 0) would never return (docs/spec/queue-and-cert.md §1.2).
    rig.mem(1).set<uint64_t>(c.region.queue + umq::kKernelWriteIndexOffset, 0);
    CHECK_FALSE(rig.kernel_sees_done(c, s0));
}

TEST_CASE("cert: destroying a context aborts its queued packets, then no more DMA", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 4, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(c, code, 0);
    rig.ring(c);
    rig.dev.drain();   // packet 0 ran
    for (unsigned i = 1; i <= 3; ++i)
        rig.submit(c, code, i);
    rig.ring(c);       // deferred, not run yet
    c.hw.state = ContextState::destroyed;
    rig.cert.on_context_destroyed(c.hw);
    CHECK(rig.completion(c, 0) == umq::kStateCompleted);
    for (unsigned i = 1; i <= 3; ++i)
        CHECK(rig.completion(c, i) == umq::kStateAbort);
    CHECK(rig.read_index(c) == 4);
    CHECK(rig.kernel_sees_done(c, 3));
    CHECK_FALSE(rig.cert.context_stats(1, 4));
    const size_t events = rig.dev.log.size();
    rig.dev.drain();   // the stale deferred run finds no context
    CHECK(rig.dev.log.size() == events);
    size_t aborted = 0;
    for (const auto& rec : rig.cert.history())
        aborted += rec.state == umq::kStateAbort;
    CHECK(aborted == 3);
}

TEST_CASE("cert: a bad queue header fails only its own context", "[cert]")
{
    Rig rig;
    auto bad = rig.make_context(1, 1, 0);
    auto good = rig.make_context(2, 1, 0);
    const auto image = load_file("ctrlcode/empty.uc0.bin");
    const uint64_t cbad = rig.install(bad, image), cgood = rig.install(good, image);

    SECTION("unknown version")
    {
        rig.mem(1).set<uint16_t>(bad.region.queue + umq::kVersionMajorOffset, 7);
    }
    SECTION("capacity not a power of two")
    {
        rig.mem(1).set<uint32_t>(bad.region.queue + umq::kCapacityOffset, 24);
    }
    SECTION("write_index more than capacity ahead")
    {
        rig.mem(1).set<uint64_t>(bad.region.queue + umq::kXrtV1Layout.write_index_offset, 40);
        bad.wi = 39;   // the submit below makes it 40
    }
    SECTION("slot array outside guest memory")
    {
        rig.mem(1).set<uint64_t>(bad.region.queue + umq::kXrtV1Layout.data_address_offset, 0x10);
    }
    rig.submit(bad, cbad, 0);
    rig.submit(good, cgood, 0);
    rig.ring(bad);
    rig.ring(good);
    rig.dev.drain();
    CHECK(bad.hw.state == ContextState::failed);
    CHECK(rig.completion(bad, 0) == kStartDpuHeader);
    CHECK(rig.read_index(bad) == 0);
    CHECK(rig.dev.msix_count(1) == 0);
    const auto stats = rig.cert.context_stats(1, 1);
    REQUIRE(stats);
    CHECK(stats->failed);
    CHECK_FALSE(stats->failure.empty());
    CHECK(rig.cert.counters().value("cert.queue_failures") == 1);
    // Later doorbells are ignored.
    rig.ring(bad);
    CHECK(rig.dev.deferred.empty());
    // The other function's context is untouched.
    CHECK(good.hw.state == ContextState::active);
    CHECK(rig.completion(good, 0) == umq::kStateCompleted);
    CHECK(rig.dev.msix_count(2) == 1);
}

TEST_CASE("cert: packet-level errors complete ERROR and the context keeps serving", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const auto image = load_file("ctrlcode/empty.uc0.bin");
    const uint64_t code = rig.install(c, image);

    rig.submit(c, code, 0, 0, 0x7F);                  // packet opcode 0x7f
    rig.submit(c, kGuestBase + kGuestSize + 0x1000, 1); // control code outside guest memory
    auto bad_marker = image;
    bad_marker[0] = 0;
    const uint64_t bad_marker_code = rig.install(c, bad_marker, 0x4000);
    rig.submit(c, bad_marker_code, 2);
    auto bad_opcode = image;
    bad_opcode[0x18] = 0x04;                            // END_JOB -> opcode 0x04 (undefined)
    const uint64_t bad_opcode_code = rig.install(c, bad_opcode, 0x8000);
    rig.submit(c, bad_opcode_code, 3);
    rig.submit(c, code, 4);                             // and a good one after all that
    const uint64_t lost = rig.submit(c, code, 5);       // completion word outside guest memory
    rig.mem(1).set<uint64_t>(rig.slot_address(c, lost) + umq::kSlotCompletionOffset, 0x10);
    rig.submit(c, code, 6);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.read_index(c) == 7);
    CHECK(rig.completion(c, 5) == kStartDpuHeader);
    CHECK(rig.completion(c, 6) == umq::kStateCompleted);
    CHECK(rig.cert.counters().value("cert.completion_faults") == 1);

    CHECK(rig.completion(c, 0) == umq::uc_error(0, umq::kErrInvalidOpcode));
    CHECK(rig.completion(c, 1) == umq::uc_error(0, umq::kErrInvalidPage));
    CHECK(rig.completion(c, 2) == umq::uc_error(0, umq::kErrInvalidPage));
    CHECK(rig.completion(c, 3) == umq::uc_error(0, umq::kErrInvalidOpcode));
    CHECK(rig.completion(c, 4) == umq::kStateCompleted);
    CHECK(c.hw.state == ContextState::active);
    const auto& h = rig.cert.history();
    REQUIRE(h.size() == 7);
    CHECK(h[1].error.find("DMA fault") != std::string::npos);
    CHECK(h[2].error.find("marker") != std::string::npos);
    CHECK(h[3].error.find("unknown opcode") != std::string::npos);
    CHECK(rig.cert.context_stats(1, 1)->errors == 4);
}

// The fault aie4-umq-test --inject bad-count sends: an EXEC_BUF slot whose count leaves no room
// for its exec_buf. CERT must not read a payload that is not there: the packet completes as an
// invalid packet (docs/spec/queue-and-cert.md §5.2) and the next one runs.
TEST_CASE("cert: an EXEC_BUF packet without its payload completes as an invalid packet", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    for (const uint16_t count : {uint16_t{0}, uint16_t{umq::kExecBufBytes - 4}, uint16_t{umq::kSlotDataBytes + 4}}) {
        const uint64_t bad = rig.submit(c, code, 0);
        rig.mem(1).set<uint16_t>(rig.slot_address(c, bad) + umq::kSlotCountOffset, count);
        const uint64_t good = rig.submit(c, code, 1);
        rig.ring(c);
        rig.dev.drain();
        INFO("count " << count);
        CHECK(rig.completion(c, 0) == umq::kInvalidPacket);
        CHECK(rig.completion(c, 1) == umq::kStateCompleted);
        CHECK(rig.read_index(c) == good + 1);
    }
    CHECK(c.hw.state == ContextState::active);
    CHECK(rig.cert.context_stats(1, 1)->errors == 3);
}

TEST_CASE("cert: fail_context_on_packet_error marks the context failed after an ERROR", "[cert]")
{
    CertConfig cfg;
    cfg.fail_context_on_packet_error = true;
    Rig rig(cfg);
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(c, code, 0, 0, 0x7F);
    rig.submit(c, code, 1);
    rig.ring(c);
    rig.dev.drain();
    CHECK((rig.completion(c, 0) & umq::kStateMask) == umq::kStateError);
    CHECK(rig.read_index(c) == 1);
    CHECK(rig.completion(c, 1) == kStartDpuHeader);
    CHECK(c.hw.state == ContextState::failed);
}

TEST_CASE("cert: a failed chain member turns the rest of its chain into ABORT", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(c, code, 0, 1);
    rig.submit(c, code, 1, 1, 0x7F);   // fails
    rig.submit(c, code, 2, 1);
    rig.submit(c, code, 3, 0);         // last of the chain
    rig.submit(c, code, 4, 0);         // next command: runs again
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == umq::kStateCompleted);
    CHECK((rig.completion(c, 1) & umq::kStateMask) == umq::kStateError);
    CHECK(rig.completion(c, 2) == umq::kStateAbort);
    CHECK(rig.completion(c, 3) == umq::kStateAbort);
    CHECK(rig.completion(c, 4) == umq::kStateCompleted);
}

TEST_CASE("cert: TEST and EXIT packets", "[cert]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    rig.submit(c, 0, 0, 0, umq::kOpcodeTest);
    rig.submit(c, 0, 1, 0, umq::kOpcodeExit);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == umq::kStateCompleted);
    CHECK(rig.completion(c, 1) == umq::kExitPacket);
    CHECK(rig.read_index(c) == 2);
}
