// A firmware bound to a FakeDevice, plus helpers that boot it like the PF
// driver does and talk to its mailboxes like the driver does.
#pragma once

#include <deque>
#include <memory>

#include <catch2/catch_test_macros.hpp>

#include "firmware-stub/firmware.hpp"
#include "firmware-stub/image_format.hpp"
#include "firmware-stub/psp_protocol.hpp"
#include "firmware-stub/smu_protocol.hpp"
#include "tests/unit/firmware/fake_device.hpp"
#include "tests/unit/firmware/host_mailbox.hpp"

namespace aie4emu::fw::test {

// Where the "driver" puts the images in guest memory: 64 KiB / 32 KiB
// aligned, as aie_psp.c's buffers are.
inline constexpr uint64_t kFwAddr = FakeDevice::kGuestBase + 0x10000;
inline constexpr uint64_t kCertAddr = FakeDevice::kGuestBase + 0x80000;

constexpr uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

struct Rig {
    FakeDevice dev;
    Firmware fw;
    std::deque<FakeBus> buses;

    explicit Rig(FirmwareConfig config = {}, unsigned total_vfs = 4, std::unique_ptr<CommandProcessor> cp = nullptr,
                 unsigned vf_vectors = npu3::regs::kVfMsixVectors)
        : dev(total_vfs, npu3::regs::kPfMsixVectors, vf_vectors), fw(config, std::move(cp))
    {
        fw.bind(dev);
    }

    // Put images in guest memory; returns the PSP buffer sizes.
    std::pair<uint32_t, uint32_t> load_images(const std::vector<uint8_t>& npu, const std::vector<uint8_t>& cert)
    {
        dev.guest().put(kFwAddr, npu);
        dev.guest().put(kCertAddr, cert);
        return {align_up(static_cast<uint32_t>(npu.size()), psp::kFwAlign),
                align_up(static_cast<uint32_t>(cert.size()), psp::kCertAlign)};
    }
    uint32_t psp(uint32_t cmd, uint64_t addr, uint32_t arg2)
    {
        return fw.psp_command(cmd, static_cast<uint32_t>(addr), static_cast<uint32_t>(addr >> 32), arg2);
    }
    // aie4_fw_start: SMU POWER_OFF, POWER_ON, PSP VALIDATE, VALIDATE_CERT, START.
    void boot(uint32_t build = 7)
    {
        const auto [fw_sz, cert_sz] = load_images(image::build_image(image::ImageKind::npu, build, 4096),
                                                  image::build_image(image::ImageKind::cert, build + 1, 2048));
        REQUIRE(fw.smu_command(smu::kPowerOff, 0) == smu::kResultOk);
        REQUIRE(fw.smu_command(smu::kPowerOn, 0) == smu::kResultOk);
        REQUIRE(psp(psp::kValidate, kFwAddr, fw_sz) == psp::kOk);
        REQUIRE(psp(psp::kValidateCert, kCertAddr, cert_sz) == psp::kOk);
        REQUIRE(psp(psp::kStart, psp::kStartCopyFw, 0) == psp::kOk);
    }
    HostBus& bus(npu3::FunctionIndex fn) { return buses.emplace_back(dev, fw, fn); }
    // A host mailbox on `fn`, opened (REQUIREs success).
    std::unique_ptr<HostMailbox> open(npu3::FunctionIndex fn)
    {
        auto hm = std::make_unique<HostMailbox>(bus(fn));
        REQUIRE(hm->open());
        return hm;
    }
    // Send, let the firmware run, receive exactly one response.
    template <typename T>
    Response call(HostMailbox& hm, msg::Opcode op, const T& req)
    {
        const auto id = hm.send(op, req);
        REQUIRE(id.has_value());
        dev.run_deferred();
        auto rs = hm.receive();
        INFO(hm.error());
        REQUIRE_FALSE(hm.bad_state());
        REQUIRE(rs.size() == 1);
        REQUIRE(rs[0].header.id == *id);
        REQUIRE(rs[0].header.opcode == static_cast<uint32_t>(op));
        return rs[0];
    }
};

} // namespace aie4emu::fw::test
