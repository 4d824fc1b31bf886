// Mailbox transport rules (docs/spec/driver-interface.md §4): exact bytes, id echo, async
// answers, wraps on both rings, and malformed input from a hostile host.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>

#include "firmware-stub/mailbox_protocol.hpp"
#include "tests/unit/firmware/rig.hpp"

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;
namespace regs = aie4emu::npu3::regs;

namespace {

std::vector<uint8_t> package(uint32_t total, uint32_t sz_ver, uint32_t id, uint32_t opcode,
                             std::vector<uint32_t> payload)
{
    std::vector<uint8_t> p(mbox::kHeaderSize + payload.size() * 4);
    const uint32_t h[4] = {total, sz_ver, id, opcode};
    std::memcpy(p.data(), h, sizeof(h));
    if (!payload.empty())
        std::memcpy(p.data() + mbox::kHeaderSize, payload.data(), payload.size() * 4);
    return p;
}

constexpr uint32_t op(msg::Opcode o) { return static_cast<uint32_t>(o); }
const msg::AttachWorkBufferReq kWb{0x12345678000ull, 0, msg::kWorkBufferMinSize};

struct Booted {
    Rig r;
    std::unique_ptr<HostMailbox> hm;
    Booted()
    {
        r.boot();
        hm = r.open(npu3::kPf);
    }
    const ChannelStats& stats() { return r.fw.channel(npu3::kPf)->stats(); }
};

} // namespace

TEST_CASE("ATTACH_WORK_BUFFER round trip: exact ring bytes, registers and MSI-X order")
{
    Booted b;
    b.r.dev.record_events = true;
    const auto id = b.hm->send(msg::Opcode::attach_work_buffer, kWb);
    REQUIRE(id == mbox::make_id(0));
    // Request as the driver lays it out (docs/spec/driver-interface.md §9.1 step 12).
    const uint32_t expect_req[8] = {0x10, 0x00010010, 0x1D000000, 0x0001000D, 0x45678000, 0x123, 0, 0x00400000};
    for (unsigned i = 0; i < 8; ++i)
        CHECK(b.r.dev.sram32(0, regs::kX2iRingOffset + 4 * i) == expect_req[i]);
    // Answered asynchronously: nothing before the deferred work runs.
    CHECK(b.r.dev.deferred.size() == 1);
    CHECK(b.r.dev.mbox_reg(0, regs::kMboxI2xTail) == 0);
    CHECK(b.r.dev.msix.empty());
    REQUIRE(b.r.dev.run_deferred() == 1);

    const uint32_t expect_resp[5] = {4, 0x00010004, 0x1D000000, 0x0001000D, 0};
    for (unsigned i = 0; i < 5; ++i)
        CHECK(b.r.dev.sram32(0, regs::kI2xRingOffset + 4 * i) == expect_resp[i]);
    CHECK(b.r.dev.mbox_reg(0, regs::kMboxX2iHead) == 32);
    CHECK(b.r.dev.mbox_reg(0, regs::kMboxI2xTail) == 20);
    REQUIRE(b.r.dev.msix.size() == 1);
    CHECK(b.r.dev.msix[0] == std::pair<npu3::FunctionIndex, unsigned>{0, 0});
    // The tail update comes before the interrupt.
    const auto tail_at = std::find(b.r.dev.events.begin(), b.r.dev.events.end(), "reg fn0 0x8=0x14");
    const auto irq_at = std::find(b.r.dev.events.begin(), b.r.dev.events.end(), "msix fn0 0");
    REQUIRE(tail_at != b.r.dev.events.end());
    REQUIRE(irq_at != b.r.dev.events.end());
    CHECK(tail_at < irq_at);

    auto rs = b.hm->receive();
    REQUIRE_FALSE(b.hm->bad_state());
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].status() == 0);
    REQUIRE(b.r.fw.work_buffer().has_value());
    CHECK(b.r.fw.work_buffer()->addr == 0x12345678000ull);
    // Recorded trace.
    CHECK(std::find(b.r.dev.traces.begin(), b.r.dev.traces.end(),
                    std::pair<npu3::FunctionIndex, std::string>{
                        0, "mailbox id=0x1d000000 op=ATTACH_WORK_BUFFER status=SUCCESS"}) != b.r.dev.traces.end());
}

TEST_CASE("ids are echoed across the 256-slot wrap and both rings wrap with tombstones")
{
    Booted b;
    // 32-byte requests and 20-byte responses do not divide 4 KiB: both sides
    // need tombstones.
    for (unsigned i = 0; i < 1000; ++i) {
        const Response r = b.r.call(*b.hm, msg::Opcode::attach_work_buffer, kWb);
        CHECK(r.header.id == mbox::make_id(i % 256));
        CHECK(r.header.total_size == 4);
        CHECK(r.header.sz_ver == mbox::make_sz_ver(4));
        CHECK(r.status() == 0);
    }
    CHECK(b.stats().wraps_x2i >= 7);
    CHECK(b.stats().wraps_i2x >= 4);
    CHECK(b.stats().requests == 1000);
    CHECK(b.stats().resyncs == 0);
    CHECK(b.r.dev.msix.size() == 1000);
}

TEST_CASE("the i2x tombstone lands where the response did not fit")
{
    Booted b;
    // 204 responses of 20 bytes end at 4080; the 205th needs a tombstone there.
    for (unsigned i = 0; i < 204; ++i)
        b.r.call(*b.hm, msg::Opcode::attach_work_buffer, kWb);
    CHECK(b.r.dev.mbox_reg(0, regs::kMboxI2xTail) == 4080);
    b.r.call(*b.hm, msg::Opcode::attach_work_buffer, kWb);
    CHECK(b.r.dev.sram32(0, regs::kI2xRingOffset + 4080) == mbox::kTombstone);
    CHECK(b.r.dev.mbox_reg(0, regs::kMboxI2xTail) == 20);
    CHECK(b.hm->i2x_head() == 20);
}

TEST_CASE("a response ending exactly at the ring end needs no tombstone")
{
    Rig r;
    REQUIRE(r.fw.set_vf_count(1) == 0);
    auto hm = r.open(npu3::vf_index(0));
    // AIE_TILE_INFO answers are 16 + 48 = 64 bytes: 64 of them fill 4 KiB.
    for (unsigned i = 0; i < 64; ++i)
        r.call(*hm, msg::Opcode::aie_tile_info, msg::TileInfoReq{0});
    CHECK(r.dev.mbox_reg(npu3::vf_index(0), regs::kMboxI2xTail) == regs::kI2xRingSize);
    CHECK(hm->i2x_head() == regs::kI2xRingSize);
    r.call(*hm, msg::Opcode::aie_tile_info, msg::TileInfoReq{0});
    CHECK(r.dev.mbox_reg(npu3::vf_index(0), regs::kMboxI2xTail) == 64);
}

TEST_CASE("kicks coalesce and queued requests are answered in order")
{
    Booted b;
    // The driver never has two outstanding; a hostile guest may.
    const auto id1 = b.hm->send(msg::Opcode::attach_work_buffer, kWb);
    const auto id2 = b.hm->send(msg::Opcode::suspend, msg::SuspendReq{0});
    const auto id3 = b.hm->send(0x99u, std::span<const uint8_t>());
    REQUIRE((id1 && id2 && id3));
    CHECK(b.r.dev.deferred.size() == 1);
    b.r.dev.run_deferred();
    auto rs = b.hm->receive();
    REQUIRE_FALSE(b.hm->bad_state());
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].header.id == *id1);
    CHECK(rs[1].header.id == *id2);
    CHECK(rs[1].header.opcode == op(msg::Opcode::suspend));
    CHECK(rs[2].header.id == *id3);
    CHECK(rs[2].status() == static_cast<uint32_t>(msg::Status::notsupp));
    CHECK(rs[2].header.total_size == 4);
    CHECK(rs[2].header.opcode == 0x99);
    // In-order semantics: ATTACH then SUSPEND leaves no work buffer.
    CHECK_FALSE(b.r.fw.work_buffer().has_value());
    CHECK(b.r.fw.suspended());
}

TEST_CASE("malformed requests")
{
    Booted b;
    auto& dev = b.r.dev;
    const uint32_t tail0 = b.hm->x2i_tail();

    SECTION("wrong request size gets ERROR with the exact response size")
    {
        const uint32_t short_req[2] = {1, 2};
        const auto id = b.hm->send(op(msg::Opcode::attach_work_buffer),
                                   std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(short_req), 8));
        dev.run_deferred();
        auto rs = b.hm->receive();
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].header.id == *id);
        CHECK(rs[0].header.total_size == 4);
        CHECK(rs[0].status() == static_cast<uint32_t>(msg::Status::error));
        CHECK_FALSE(b.r.fw.work_buffer().has_value());
        // Zero-length payload of a known opcode: also ERROR.
        b.hm->send(op(msg::Opcode::suspend), std::span<const uint8_t>());
        dev.run_deferred();
        rs = b.hm->receive();
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].status() == static_cast<uint32_t>(msg::Status::error));
    }
    SECTION("an id without the magic is consumed without an answer")
    {
        REQUIRE(b.hm->place(package(4, mbox::make_sz_ver(4), 0x12000005, op(msg::Opcode::suspend), {0})));
        dev.run_deferred();
        CHECK(b.hm->receive().empty());
        CHECK_FALSE(b.hm->bad_state());
        CHECK(b.stats().dropped == 1);
        CHECK(dev.mbox_reg(0, regs::kMboxX2iHead) == tail0 + 20);
        CHECK_FALSE(b.r.fw.suspended());
    }
    SECTION("wrong protocol version or a disagreeing sz_ver get ERROR")
    {
        const uint32_t id = mbox::make_id(77);
        b.hm->expect(id);
        REQUIRE(b.hm->place(package(4, 0x00020004, id, op(msg::Opcode::suspend), {0})));
        b.hm->expect(id + 1);
        REQUIRE(b.hm->place(package(4, mbox::make_sz_ver(8), id + 1, op(msg::Opcode::suspend), {0})));
        dev.run_deferred();
        auto rs = b.hm->receive();
        REQUIRE_FALSE(b.hm->bad_state());
        REQUIRE(rs.size() == 2);
        CHECK(rs[0].status() == static_cast<uint32_t>(msg::Status::error));
        CHECK(rs[1].status() == static_cast<uint32_t>(msg::Status::error));
        CHECK_FALSE(b.r.fw.suspended());
    }
    SECTION("total_size beyond the written data resynchronises to the tail")
    {
        REQUIRE(b.hm->place(package(0x800, mbox::make_sz_ver(4), mbox::make_id(1), op(msg::Opcode::suspend), {0})));
        dev.run_deferred();
        CHECK(b.hm->receive().empty());
        CHECK(b.stats().resyncs == 1);
        CHECK(dev.mbox_reg(0, regs::kMboxX2iHead) == b.hm->x2i_tail());
    }
    SECTION("unaligned total_size resynchronises")
    {
        REQUIRE(b.hm->place(package(6, mbox::make_sz_ver(6), mbox::make_id(1), op(msg::Opcode::suspend), {0, 0})));
        dev.run_deferred();
        CHECK(b.hm->receive().empty());
        CHECK(b.stats().resyncs == 1);
    }
    SECTION("a wrap marker with the tail ahead of it resynchronises")
    {
        b.hm->bus().bar2_write32(regs::kX2iRingOffset + tail0, mbox::kTombstone);
        b.hm->set_x2i_tail(tail0 + 32);
        b.hm->write_x2i_tail_reg(tail0 + 32);
        dev.run_deferred();
        CHECK(b.hm->receive().empty());
        CHECK(b.stats().resyncs == 1);
        CHECK(dev.mbox_reg(0, regs::kMboxX2iHead) == tail0 + 32);
    }
    SECTION("a tail beyond the ring or unaligned is ignored")
    {
        for (uint32_t bad : {regs::kX2iRingSize, regs::kX2iRingSize - 2, 0x10000u, 0xFFFFFFFFu, 0x22u}) {
            b.hm->write_x2i_tail_reg(bad);
            dev.run_deferred();
        }
        CHECK(b.stats().bad_tail == 5);
        CHECK(dev.mbox_reg(0, regs::kMboxX2iHead) == tail0);
        CHECK(dev.msix.empty());
        b.hm->write_x2i_tail_reg(tail0); // the driver's real tail again
    }
    SECTION("a header cut off by the tail resynchronises")
    {
        b.hm->set_x2i_tail(tail0 + 8);
        b.hm->bus().bar2_write32(regs::kX2iRingOffset + tail0, 4);
        b.hm->write_x2i_tail_reg(tail0 + 8);
        dev.run_deferred();
        CHECK(b.stats().resyncs == 1);
    }
    // Whatever happened, the channel still works for the driver afterwards.
    const Response r = b.r.call(*b.hm, msg::Opcode::attach_work_buffer, kWb);
    CHECK(r.status() == 0);
}

TEST_CASE("an invalid i2x head register stalls instead of overwriting; fixing it resumes")
{
    Booted b;
    auto& dev = b.r.dev;
    b.hm->bus().bar0_write32(regs::kMboxI2xHead, 0x3);
    REQUIRE(b.hm->send(msg::Opcode::attach_work_buffer, kWb));
    dev.run_deferred();
    CHECK(dev.mbox_reg(0, regs::kMboxI2xTail) == 0);
    CHECK(dev.mbox_reg(0, regs::kMboxX2iHead) == 0);   // request left queued
    CHECK(b.stats().stalls == 1);
    b.hm->bus().bar0_write32(regs::kMboxI2xHead, 0);
    b.hm->write_x2i_tail_reg(b.hm->x2i_tail());        // any kick retries
    dev.run_deferred();
    auto rs = b.hm->receive();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].status() == 0);
}

TEST_CASE("a host that stops reading responses gets back-pressure, never overwritten data")
{
    Booted b;
    auto& dev = b.r.dev;
    unsigned sent = 0;
    while (b.hm->send(msg::Opcode::attach_work_buffer, kWb)) {
        dev.run_deferred();
        ++sent;
        REQUIRE(sent < 1000);
    }
    CHECK(b.stats().stalls > 0);
    const uint64_t answered = b.stats().responses;
    CHECK(answered < sent);
    // Everything written so far reads back intact and in order.
    auto rs = b.hm->receive();
    INFO(b.hm->error());
    REQUIRE_FALSE(b.hm->bad_state());
    CHECK(rs.size() == answered);
    for (size_t i = 0; i < rs.size(); ++i)
        CHECK(rs[i].header.id == mbox::make_id(static_cast<uint32_t>(i)));
    // The next kick drains the rest.
    b.hm->write_x2i_tail_reg(b.hm->x2i_tail());
    dev.run_deferred();
    auto rest = b.hm->receive();
    INFO(b.hm->error());
    REQUIRE_FALSE(b.hm->bad_state());
    CHECK(rs.size() + rest.size() == sent);
    CHECK(b.hm->pending() == 0);
}

TEST_CASE("VF-only messages on the PF and PF-only messages on a VF are NOTSUPP")
{
    Rig r;
    r.boot();
    REQUIRE(r.fw.set_vf_count(1) == 0);
    auto pf = r.open(npu3::kPf);
    auto vf = r.open(npu3::vf_index(0));
    const Response a = r.call(*pf, msg::Opcode::aie_tile_info, msg::TileInfoReq{0});
    CHECK(a.status() == static_cast<uint32_t>(msg::Status::notsupp));
    CHECK(a.header.total_size == sizeof(msg::TileInfoResp));
    const Response c = r.call(*pf, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
    CHECK(c.status() == static_cast<uint32_t>(msg::Status::notsupp));
    CHECK(c.as<msg::CreatePartitionResp>().partition_id == 0);
    const Response d = r.call(*vf, msg::Opcode::create_vfs, msg::CreateVfsReq{1});
    CHECK(d.status() == static_cast<uint32_t>(msg::Status::notsupp));
    const Response e = r.call(*vf, msg::Opcode::attach_work_buffer, kWb);
    CHECK(e.status() == static_cast<uint32_t>(msg::Status::notsupp));
    CHECK_FALSE(r.fw.work_buffer().has_value());
    CHECK(r.fw.vf_count() == 1);
    // The VF's answers went to the VF's vector 0, not the PF's.
    CHECK(std::count(r.dev.msix.begin(), r.dev.msix.end(),
                     std::pair<npu3::FunctionIndex, unsigned>{npu3::vf_index(0), 0}) == 2);
}
