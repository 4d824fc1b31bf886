// CERT wired into the real Firmware the way the device process does it: the firmware's
// context table feeds the doorbells, CERT's failures show in that table, destroy goes through
// the firmware's VfResources.
#include <catch2/catch_test_macros.hpp>

#include "firmware-stub/firmware.hpp"
#include "tests/unit/cert/cert_rig.hpp"

using namespace certtest;
using namespace aie4emu;

TEST_CASE("cert: as the Firmware's command processor, a VF context runs the copy workload", "[cert]")
{
    Services dev;
    auto owned = std::make_unique<fw::cert::Cert>(fw::cert::CertConfig{});
    fw::cert::Cert& cert = *owned;
    fw::Firmware firmware(fw::FirmwareConfig{}, std::move(owned));
    firmware.bind(dev);
    REQUIRE(firmware.set_vf_count(2) == 0);
    fw::VfResources* vf = firmware.vf(1);   // function 2
    REQUIRE(vf != nullptr);
    uint32_t next_partition = 1;
    const auto part = vf->create_partition(0, 3, next_partition);
    REQUIRE(part.status == fw::msg::Status::success);

    // The queue and buffers, laid out by the "guest" (XRT v1.0 queue).
    const Region r = Region::of(0);
    GuestMemory& m = *dev.mem.at(2);
    std::vector<uint8_t> zero(0x2080, 0);
    m.put(r.queue, zero);
    m.set<uint16_t>(r.queue + umq::kVersionMajorOffset, 1);
    m.set<uint32_t>(r.queue + umq::kCapacityOffset, 32);
    m.set<uint64_t>(r.queue + umq::kXrtV1Layout.data_address_offset, r.queue + 0x80);
    std::vector<uint8_t> input(4096);
    for (size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<uint8_t>(i * 7 + (i >> 10));
    m.put(r.arg(0), input);
    m.put(r.code, load_program("ctrlcode/copy", {r.arg(0), r.arg(1)}));

    const fw::msg::CreateHwContextReq req{part.value, 12, static_cast<uint32_t>(r.queue >> 32),
                                          static_cast<uint32_t>(r.queue), 0x800FFFFF, 0};
    const auto created = vf->create_context(req, dev.msix_vectors(2));
    REQUIRE(created.status == fw::msg::Status::success);
    fw::HwContext* ctx = vf->context(created.value);
    REQUIRE(ctx != nullptr);

    // One EXEC_BUF packet in slot 0, then the doorbell through the firmware.
    std::vector<uint8_t> slot(64, 0);
    slot[umq::kSlotOpcodeOffset] = umq::kOpcodeExecBuf;
    slot[umq::kSlotCountOffset] = umq::kExecBufBytes;
    const uint64_t cmd = r.cmd(0);
    std::memcpy(slot.data() + umq::kSlotCompletionOffset, &cmd, 8);
    const uint32_t code_lo = static_cast<uint32_t>(r.code);
    std::memcpy(slot.data() + umq::kSlotDataOffset + umq::kExecCodeLowOffset, &code_lo, 4);
    m.put(r.queue + 0x80, slot);
    m.set<uint32_t>(cmd, kStartDpuHeader);
    m.set<uint64_t>(r.queue + umq::kXrtV1Layout.write_index_offset, 1);
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    dev.drain();

    CHECK(m.at<uint32_t>(cmd) == umq::kStateCompleted);
    CHECK(m.at<uint64_t>(r.queue) == 1);
    REQUIRE(!dev.log.empty());
    CHECK(dev.log.back().kind == Event::msix);
    CHECK(dev.log.back().vector == ctx->msix_vector);
    std::vector<uint8_t> out = m.get(r.arg(1), input.size());
    for (unsigned i = 0; i < 32; ++i)
        for (unsigned j = 0; j < 32; ++j)
            CHECK(std::memcmp(&out[(i * 32 + j) * 4], &input[(j * 32 + i) * 4], 4) == 0);
    // VF 1's slice is columns 3..5.
    uint32_t word = 0, want = 0;
    REQUIRE(dev.arr.read_tile_memory(3, 1, 0, &word, 4));
    std::memcpy(&want, input.data(), 4);
    CHECK(word == want);

    // A queue-level failure shows in the firmware's table; the firmware then stops calling CERT.
    m.set<uint16_t>(r.queue + umq::kVersionMajorOffset, 9);
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    dev.drain();
    CHECK(ctx->state == fw::ContextState::failed);
    const uint64_t doorbells = cert.counters().value("cert.doorbells");
    firmware.doorbell(2, ctx->doorbell_page, 0, 0);
    CHECK(cert.counters().value("cert.doorbells") == doorbells);

    // DESTROY_HW_CONTEXT path: CERT forgets the context and releases the columns.
    const auto gone = vf->destroy_context(created.value, [&](const fw::HwContext& c) {
        firmware.command_processor().on_context_destroyed(c);
    });
    CHECK(gone.status == fw::msg::Status::success);
    CHECK_FALSE(cert.context_stats(2, created.value));
    REQUIRE(dev.arr.read_tile_memory(3, 1, 0, &word, 4));
    CHECK(word == 0);
}
