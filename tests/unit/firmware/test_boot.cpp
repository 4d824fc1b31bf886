// PSP and SMU behaviour of the firmware stub (docs/spec/driver-interface.md §2, §3).
#include <catch2/catch_test_macros.hpp>

#include "firmware-stub/mailbox_protocol.hpp"
#include "tests/unit/firmware/rig.hpp"

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;

namespace {

uint32_t valid_flag(Rig& r, npu3::FunctionIndex fn) { return r.dev.sram32(fn, npu3::regs::kInfoValid); }

} // namespace

TEST_CASE("PF boot sequence publishes mailbox_info only after START")
{
    Rig r;
    CHECK(valid_flag(r, npu3::kPf) == 0);
    const auto [fw_sz, cert_sz] = r.load_images(image::build_image(image::ImageKind::npu, 11, 20000),
                                                image::build_image(image::ImageKind::cert, 12, 3000));
    CHECK(fw_sz == 0x10000);
    CHECK(cert_sz == 0x8000);
    CHECK(r.fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
    CHECK(r.fw.smu_command(smu::kPowerOn, 0) == smu::kResultOk);
    CHECK(r.fw.powered());
    CHECK(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
    CHECK(valid_flag(r, npu3::kPf) == 0);
    CHECK(r.psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
    CHECK(valid_flag(r, npu3::kPf) == 0);
    CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kOk);
    CHECK(valid_flag(r, npu3::kPf) == 1);
    CHECK(r.fw.psp_state().running);
    CHECK(r.fw.psp_state().fw_build_id == 11);
    CHECK(r.fw.psp_state().cert_build_id == 12);
}

TEST_CASE("mailbox_info holds protocol 5.10, the device's ring layout and vector 0")
{
    Rig r;
    r.boot();
    mbox::MailboxInfo info{};
    std::memcpy(&info, r.dev.sram(npu3::kPf).data(), sizeof(info));
    CHECK(info.valid == 1);
    CHECK(info.protocol_major == 5);
    CHECK(info.protocol_minor == 10);
    CHECK(info.x2i_tail_offset == npu3::regs::kMboxX2iTail);
    CHECK(info.x2i_head_offset == npu3::regs::kMboxX2iHead);
    CHECK(info.i2x_tail_offset == npu3::regs::kMboxI2xTail);
    CHECK(info.i2x_head_offset == npu3::regs::kMboxI2xHead);
    CHECK(info.x2i_buffer_addr == npu3::regs::kX2iRingOffset);
    CHECK(info.x2i_buffer_size == npu3::regs::kX2iRingSize);
    CHECK(info.i2x_buffer_addr == npu3::regs::kI2xRingOffset);
    CHECK(info.i2x_buffer_size == npu3::regs::kI2xRingSize);
    CHECK(info.i2x_msi_idx == 0);
    CHECK(info.reserved[0] == 0);
    // Rings empty at channel start (docs/spec/driver-interface.md §4.2).
    CHECK(r.dev.mbox_reg(0, npu3::regs::kMboxX2iTail) == r.dev.mbox_reg(0, npu3::regs::kMboxX2iHead));
    CHECK(r.dev.mbox_reg(0, npu3::regs::kMboxI2xTail) == r.dev.mbox_reg(0, npu3::regs::kMboxI2xHead));
}

TEST_CASE("PSP state machine refuses out-of-order commands")
{
    Rig r;
    const auto [fw_sz, cert_sz] = r.load_images(image::build_image(image::ImageKind::npu, 1, 100),
                                                image::build_image(image::ImageKind::cert, 1, 100));
    REQUIRE(r.fw.smu_command(smu::kPowerOn, 0) == smu::kResultOk);
    SECTION("START without validation")
    {
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
        CHECK(valid_flag(r, 0) == 0);
    }
    SECTION("START with only the npu image validated")
    {
        REQUIRE(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
    }
    SECTION("START with a bad argument, then twice")
    {
        REQUIRE(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
        REQUIRE(r.psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
        CHECK(r.psp(psp::kStart, 5, 0) == psp::kErrorBadArgument);
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kOk);
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
        CHECK(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kErrorBadState);
        CHECK(valid_flag(r, 0) == 1);
    }
    SECTION("START while powered off")
    {
        REQUIRE(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
        REQUIRE(r.psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
        REQUIRE(r.fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
        // POWER_OFF also forgot the validation.
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
        REQUIRE(r.psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
        REQUIRE(r.psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorPoweredOff);
    }
    SECTION("RELEASE_TMR before START and unknown commands")
    {
        CHECK(r.psp(psp::kReleaseTmr, 0, 0) == psp::kErrorBadState);
        CHECK(r.psp(9, 0, 0) == psp::kErrorUnknownCommand);
        CHECK(r.psp(0, 0, 0) == psp::kErrorUnknownCommand);
    }
}

TEST_CASE("PSP rejects corrupt, misplaced and unreadable images")
{
    Rig r;
    REQUIRE(r.fw.smu_command(smu::kPowerOn, 0) == smu::kResultOk);
    const auto good = image::build_image(image::ImageKind::npu, 3, 5000);
    SECTION("bad checksum")
    {
        const auto [sz, csz] = r.load_images(image::build_image(image::ImageKind::npu, 3, 5000, true),
                                             image::build_image(image::ImageKind::cert, 3, 100));
        CHECK(r.psp(psp::kValidate, kFwAddr, sz) == psp::kErrorImageChecksum);
        CHECK_FALSE(r.fw.psp_state().fw_validated);
        REQUIRE(r.psp(psp::kValidateCert, kCertAddr, csz) == psp::kOk);
        CHECK(r.psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kErrorBadState);
    }
    SECTION("a payload byte flipped in guest memory")
    {
        auto bad = good;
        bad[image::kHeaderSize + 4999] ^= 0xFF;
        const auto [sz, csz] = r.load_images(bad, image::build_image(image::ImageKind::cert, 3, 100));
        CHECK(r.psp(psp::kValidate, kFwAddr, sz) == psp::kErrorImageChecksum);
    }
    SECTION("wrong kind each way")
    {
        const auto [sz, csz] = r.load_images(good, image::build_image(image::ImageKind::cert, 3, 100));
        CHECK(r.psp(psp::kValidateCert, kFwAddr, sz) == psp::kErrorImageKind);
        CHECK(r.psp(psp::kValidate, kCertAddr, csz) == psp::kErrorImageKind);
    }
    SECTION("not our format (a real-looking blob)")
    {
        std::vector<uint8_t> blob(4096, 0xAB);
        const auto [sz, csz] = r.load_images(blob, blob);
        CHECK(r.psp(psp::kValidate, kFwAddr, sz) == psp::kErrorImageFormat);
    }
    SECTION("buffer size smaller than the image says")
    {
        r.load_images(good, good);
        CHECK(r.psp(psp::kValidate, kFwAddr, 4096) == psp::kErrorImageFormat);
        CHECK(r.psp(psp::kValidate, kFwAddr, 0) == psp::kErrorImageFormat);
    }
    SECTION("address outside guest memory")
    {
        CHECK(r.psp(psp::kValidate, 0x7000'0000'0000ull, 0x10000) == psp::kErrorImageUnreadable);
        // Header readable, payload runs off the end of guest memory.
        const uint64_t near_end = FakeDevice::kGuestBase + FakeDevice::kGuestSize - image::kHeaderSize;
        r.dev.guest().put(near_end, std::vector<uint8_t>(good.begin(), good.begin() + image::kHeaderSize));
        CHECK(r.psp(psp::kValidate, near_end, 0x10000) == psp::kErrorImageUnreadable);
        // Address + size wrapping around 2^64.
        CHECK(r.psp(psp::kValidate, ~0ull - 10, 0x10000) != psp::kOk);
    }
}

TEST_CASE("RELEASE_TMR and POWER_OFF take the firmware down; re-probe works")
{
    Rig r;
    r.boot();
    auto hm = r.open(npu3::kPf);
    msg::AttachWorkBufferReq wb{0x200000, 0, msg::kWorkBufferMinSize};
    REQUIRE(r.call(*hm, msg::Opcode::attach_work_buffer, wb).status() == 0);
    REQUIRE(r.fw.work_buffer().has_value());
    REQUIRE(r.fw.set_vf_count(2) == 0);
    CHECK(valid_flag(r, npu3::vf_index(1)) == 1);

    SECTION("RELEASE_TMR")
    {
        CHECK(r.psp(psp::kReleaseTmr, 0, 0) == psp::kOk);
    }
    SECTION("POWER_OFF alone (a full NPU reset)")
    {
        CHECK(r.fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
        CHECK_FALSE(r.fw.powered());
    }
    CHECK(valid_flag(r, npu3::kPf) == 0);
    CHECK_FALSE(r.fw.psp_state().running);
    CHECK_FALSE(r.fw.work_buffer().has_value());
    CHECK(r.fw.vf_count() == 0);
    CHECK(valid_flag(r, npu3::vf_index(0)) == 0);
    CHECK(valid_flag(r, npu3::vf_index(1)) == 0);
    for (uint32_t reg : {npu3::regs::kMboxX2iTail, npu3::regs::kMboxX2iHead, npu3::regs::kMboxI2xTail,
                         npu3::regs::kMboxI2xHead})
        CHECK(r.dev.mbox_reg(npu3::kPf, reg) == 0);
    // A kick while down is ignored (no response, no interrupt).
    const size_t irqs = r.dev.msix.size();
    r.fw.mailbox_kick(npu3::kPf);
    r.dev.run_deferred();
    CHECK(r.dev.msix.size() == irqs);

    // The driver's re-probe: POWER_OFF even though already off must say OK.
    CHECK(r.fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
    r.boot(20);
    auto again = r.open(npu3::kPf);
    CHECK(again->x2i_tail() == 0);
    CHECK(r.call(*again, msg::Opcode::attach_work_buffer, wb).header.id == mbox::make_id(0));
}

TEST_CASE("SMU answers every other command with OK and no effect")
{
    Rig r;
    r.boot();
    for (uint32_t cmd : {smu::kSetMpnpuclkFreq, smu::kSetHclkFreq, smu::kSetSoftDpmLevel, smu::kSetHardDpmLevel,
                         uint32_t{0}, uint32_t{0x7F}, uint32_t{0xFFFFFFFF}})
        CHECK(r.fw.smu_command(cmd, 1234) == smu::kResultOk);
    CHECK(r.fw.psp_state().running);
    CHECK(valid_flag(r, npu3::kPf) == 1);
}
