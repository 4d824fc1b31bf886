// Injected firmware faults (faults.hpp): a mailbox request never answered, answered with a
// chosen status, a failing PSP VALIDATE; counts disarm them, other functions are untouched.
#include <catch2/catch_test_macros.hpp>

#include "firmware-stub/faults.hpp"
#include "tests/unit/firmware/rig.hpp"

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;

namespace {

struct TwoVfs {
    Rig r;
    std::unique_ptr<HostMailbox> pf, vf0, vf1;
    TwoVfs()
    {
        r.boot();
        pf = r.open(npu3::kPf);
        REQUIRE(r.call(*pf, msg::Opcode::create_vfs, msg::CreateVfsReq{2}).status() == 0);
        vf0 = r.open(npu3::vf_index(0));
        vf1 = r.open(npu3::vf_index(1));
    }
};

} // namespace

TEST_CASE("fault table: matching by function and opcode, count disarms")
{
    FaultTable t;
    FirmwareFault f;
    f.kind = FaultKind::mailbox_status;
    f.fn = npu3::vf_index(0);
    f.opcode = 0x30001;
    f.status = 2;
    f.count = 2;
    REQUIRE(t.add(f));
    CHECK_FALSE(t.strike(FaultKind::mailbox_status, npu3::vf_index(1), 0x30001));
    CHECK_FALSE(t.strike(FaultKind::mailbox_status, npu3::vf_index(0), 0x30006));
    CHECK_FALSE(t.strike(FaultKind::mailbox_timeout, npu3::vf_index(0), 0x30001));
    CHECK(t.strike(FaultKind::mailbox_status, npu3::vf_index(0), 0x30001)->status == 2);
    CHECK(t.strike(FaultKind::mailbox_status, npu3::vf_index(0), 0x30001));
    CHECK_FALSE(t.strike(FaultKind::mailbox_status, npu3::vf_index(0), 0x30001));
    CHECK(t.armed().empty());
    for (size_t i = 0; i < FaultTable::kMaxFaults; ++i)
        REQUIRE(t.add(FirmwareFault{}));
    CHECK_FALSE(t.add(FirmwareFault{}));
}

TEST_CASE("mailbox-timeout: the request is consumed and never answered; the next one is")
{
    TwoVfs v;
    FirmwareFault f;
    f.kind = FaultKind::mailbox_timeout;
    f.fn = npu3::vf_index(0);
    f.count = 1;
    REQUIRE(v.r.fw.faults().add(f));
    const auto id = v.vf0->send(msg::Opcode::aie_tile_info, msg::TileInfoReq{});
    REQUIRE(id);
    v.r.dev.run_deferred();
    CHECK(v.vf0->receive().empty());
    CHECK(v.r.fw.channel(npu3::vf_index(0))->stats().unanswered == 1);
    // The other VF is untouched, and the struck fault is gone.
    CHECK(v.r.call(*v.vf1, msg::Opcode::aie_tile_info, msg::TileInfoReq{}).status() == 0);
    CHECK(v.r.call(*v.vf0, msg::Opcode::aie_tile_info, msg::TileInfoReq{}).status() == 0);
}

TEST_CASE("mailbox-status: the chosen status, no payload, only for the chosen opcode")
{
    TwoVfs v;
    FirmwareFault f;
    f.kind = FaultKind::mailbox_status;
    f.fn = npu3::vf_index(0);
    f.opcode = static_cast<uint32_t>(msg::Opcode::create_partition);
    f.status = 0x2;
    REQUIRE(v.r.fw.faults().add(f));
    CHECK(v.r.call(*v.vf0, msg::Opcode::aie_tile_info, msg::TileInfoReq{}).status() == 0);
    const Response p = v.r.call(*v.vf0, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
    CHECK(p.status() == 0x2);
    CHECK(p.as<msg::CreatePartitionResp>().partition_id == 0);
    CHECK(v.r.call(*v.vf1, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3}).status() == 0);
    // count 0: until cleared.
    CHECK(v.r.call(*v.vf0, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3}).status() == 0x2);
    v.r.fw.faults().clear();
    CHECK(v.r.call(*v.vf0, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3}).status() == 0);
}

TEST_CASE("psp-validate: VALIDATE of a good image answers the chosen code, START then refuses")
{
    Rig r;
    FirmwareFault f;
    f.kind = FaultKind::psp_validate;
    f.opcode = psp::kValidate;
    f.status = psp::kErrorImageChecksum;
    f.count = 1;
    REQUIRE(r.fw.faults().add(f));
    const auto [fw_sz, cert_sz] = r.load_images(image::build_image(image::ImageKind::npu, 7, 4096),
                                                image::build_image(image::ImageKind::cert, 8, 2048));
    CHECK(r.fw.smu_command(smu::kPowerOn, 0) == smu::kResultOk);
    CHECK(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kErrorImageChecksum);
    CHECK(r.psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
    CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
    // Struck once: the next boot works.
    CHECK(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
    CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kOk);
}
