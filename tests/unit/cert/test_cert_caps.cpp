// Every cap on what a guest can make CERT do or hold fails the command (or, for the queue
// header, the context) with an error naming the cap, and leaves other functions alone.
#include <catch2/catch_test_macros.hpp>

#include "cert_rig.hpp"

using namespace certtest;
using aie4emu::fw::cert::CertConfig;

namespace {

bool names(const std::string& error, const char* cap)
{
    return error.find(std::string("cap ") + cap + ":") != std::string::npos;
}

} // namespace

TEST_CASE("cap max_pages: control code longer than the page limit", "[cert][caps]")
{
    CertConfig cfg;
    cfg.limits.max_pages = 1;
    Rig rig(cfg);
    auto c = rig.make_context(1, 1, 0);
    rig.submit(c, rig.install(c, load_file("ctrlcode/twopage.uc0.bin")), 0);
    rig.ring(c);
    rig.dev.drain();
    CHECK((rig.completion(c, 0) & umq::kStateMask) == umq::kStateError);
    INFO(rig.cert.history().back().error);
    CHECK(names(rig.cert.history().back().error, "max_pages"));
    // The default limit runs it.
    Rig ok;
    auto d = ok.make_context(1, 1, 0);
    ok.submit(d, ok.install(d, load_file("ctrlcode/twopage.uc0.bin")), 0);
    ok.ring(d);
    ok.dev.drain();
    CHECK(ok.completion(d, 0) == umq::kStateCompleted);
}

TEST_CASE("cap max_cycles: a command past its cycle budget", "[cert][caps]")
{
    CertConfig cfg;
    cfg.limits.max_cycles = 1000;
    Rig rig(cfg);
    auto c = rig.make_context(1, 1, 0);
    submit_gemm(rig, c, 0);
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == umq::uc_error(0, umq::kErrPacketTimeout));
    INFO(rig.cert.history().back().error);
    CHECK(names(rig.cert.history().back().error, "max_cycles"));
}

TEST_CASE("cap host_memory: a function's ceiling on host memory CERT holds for it", "[cert][caps]")
{
    CertConfig cfg;
    cfg.function_host_memory = {0, 0, 2048};   // VF 1 (function 2): 2 KiB; others the default
    Rig rig(cfg);
    auto a = rig.make_context(1, 1, 0);
    auto b = rig.make_context(2, 1, 0);
    submit_gemm(rig, a, 0);
    submit_gemm(rig, b, 0);
    rig.ring(a);
    rig.ring(b);
    rig.dev.drain();
    CHECK(rig.completion(a, 0) == umq::kStateCompleted);
    CHECK((rig.completion(b, 0) & umq::kStateMask) == umq::kStateError);
    for (const auto& r : rig.cert.history()) {
        INFO(r.error);
        CHECK(names(r.error, "host_memory") == (r.fn == 2));
    }
    // What the ceiling is measured against: the GEMM needs more than 2 KiB but far less than
    // the default 64 MiB.
    CHECK(rig.read_index(b) == 1);   // retired; the context still serves
}

TEST_CASE("cap indirect_entries: more indirect entries than the hardware reads", "[cert][caps]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    std::vector<uint8_t> entries;
    add_indirect(rig, c, entries, 0, c.region.queue + 0x880, code);
    const uint64_t seq = rig.submit(c, 0, 0, 0, umq::kOpcodeExecBuf, &entries);
    // The count field claims one entry more than HSA_MAX_LEVEL1_INDIRECT_ENTRIES.
    rig.mem(1).set<uint16_t>(rig.slot_address(c, seq) + umq::kSlotCountOffset,
                             static_cast<uint16_t>((umq::kMaxIndirectEntries + 1) * umq::kIndirectEntryBytes));
    rig.ring(c);
    rig.dev.drain();
    CHECK(rig.completion(c, 0) == umq::kInvalidPacket);
    INFO(rig.cert.history().back().error);
    CHECK(names(rig.cert.history().back().error, "indirect_entries"));
}

TEST_CASE("cap queue_capacity: a queue header claiming more slots than allowed fails the context", "[cert][caps]")
{
    Rig rig;
    auto c = rig.make_context(1, 1, 0);
    auto other = rig.make_context(2, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    rig.submit(c, code, 0);
    rig.mem(1).set<uint32_t>(c.region.queue + umq::kCapacityOffset, umq::kMaxCapacity * 2);
    rig.ring(c);
    rig.submit(other, rig.install(other, load_file("ctrlcode/empty.uc0.bin")), 0);
    rig.ring(other);
    rig.dev.drain();
    const auto stats = rig.cert.context_stats(1, 1);
    REQUIRE(stats.has_value());
    CHECK(stats->failed);
    INFO(stats->failure);
    CHECK(names(stats->failure, "queue_capacity"));
    CHECK(rig.completion(other, 0) == umq::kStateCompleted);
}
