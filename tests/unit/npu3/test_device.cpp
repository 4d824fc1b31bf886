// Unit tests of the npu3 device with a fake firmware: identity, config space,
// PSP/SMU protocols (docs/spec/driver-interface.md §2.2, §3.2), mailbox kick, SRAM,
// doorbells, VF enable, FLR, MSI-X, traces.
#include "hw/npu3/device.hpp"
#include "hw/npu3/identity.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/log.hpp"
#include "hw/pcie/pci_regs.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <fmt/format.h>

#include <sys/mman.h>

#include <string>
#include <vector>

using namespace aie4emu;
using namespace aie4emu::npu3;
namespace nr = aie4emu::npu3::regs;
namespace pr = aie4emu::pcie::regs;

namespace {

struct QuietPcieLog {
    std::vector<std::string> lines;
    QuietPcieLog()
    {
        pcie::set_log_sink([this](std::string_view fn, std::string_view msg) {
            lines.push_back(fmt::format("{} {}", fn, msg));
        });
    }
    ~QuietPcieLog() { pcie::set_log_sink(nullptr); }
};

struct FakeFirmware : FirmwarePort {
    DeviceServices* services = nullptr;
    int binds = 0;
    struct Psp { uint32_t cmd, arg0, arg1, arg2; };
    struct Smu { uint32_t cmd, arg; };
    struct Bell { FunctionIndex fn; unsigned page; uint32_t offset, value; };
    std::vector<Psp> psp;
    std::vector<Smu> smu;
    std::vector<FunctionIndex> kicks;
    std::vector<Bell> bells;
    std::vector<FunctionIndex> resets;
    std::vector<unsigned> vf_counts;
    uint32_t psp_resp = 0;
    uint32_t smu_resp = nr::kSmuResultOk;
    uint32_t vf_status = 0;

    void bind(DeviceServices& d) override
    {
        services = &d;
        ++binds;
    }
    uint32_t smu_command(uint32_t cmd, uint32_t arg) override
    {
        smu.push_back({cmd, arg});
        return smu_resp;
    }
    uint32_t psp_command(uint32_t cmd, uint32_t a0, uint32_t a1, uint32_t a2) override
    {
        psp.push_back({cmd, a0, a1, a2});
        services->trace(kPf, fmt::format("fw psp {}", cmd));
        return psp_resp;
    }
    void mailbox_kick(FunctionIndex fn) override { kicks.push_back(fn); }
    void doorbell(FunctionIndex fn, unsigned page, uint32_t offset, uint32_t value) override
    {
        bells.push_back({fn, page, offset, value});
    }
    void function_reset(FunctionIndex fn) override { resets.push_back(fn); }
    uint32_t set_vf_count(unsigned n) override
    {
        vf_counts.push_back(n);
        return vf_status;
    }
};

struct FakeSink : pcie::InterruptSink {
    std::vector<unsigned> fired;
    void msix_fire(unsigned v) override { fired.push_back(v); }
};

// psp_exec of aie_psp.c as the driver issues it (docs/spec/driver-interface.md §2.2).
void psp_exec(pcie::Function& pf, uint32_t cmd, uint32_t arg0, uint32_t arg1, uint32_t arg2)
{
    REQUIRE((pf.bar_read(nr::kPspBar, nr::kPspStatus, 4) & nr::kPspStatusReady) != 0);
    pf.bar_write(nr::kPspBar, nr::kPspCmd, 4, cmd);
    pf.bar_write(nr::kPspBar, nr::kPspArg0, 4, arg0);
    pf.bar_write(nr::kPspBar, nr::kPspArg1, 4, arg1);
    pf.bar_write(nr::kPspBar, nr::kPspCmd, 4, arg2 | (cmd << 24));
    pf.bar_write(nr::kPspBar, nr::kPspIntr, 4, 0);
    pf.bar_write(nr::kPspBar, nr::kPspIntr, 4, nr::kPspNotifyIntr);
}

// aie_smu_exec of aie_smu.c (docs/spec/driver-interface.md §3.2).
void smu_exec(pcie::Function& pf, uint32_t cmd, uint32_t arg)
{
    pf.bar_write(nr::kSmuBar, nr::kSmuResp, 4, 0);
    pf.bar_write(nr::kSmuBar, nr::kSmuArg, 4, arg);
    pf.bar_write(nr::kSmuBar, nr::kSmuCmd, 4, cmd);
    pf.bar_write(nr::kSmuBar, nr::kSmuIntr, 4, 0);
    pf.bar_write(nr::kSmuBar, nr::kSmuIntr, 4, 1);
}

uint32_t cfg(pcie::Function& f, uint32_t off, unsigned size) { return f.config_read(off, size); }

uint32_t sriov_cap(Device& d)
{
    const uint32_t off = d.function(kPf)->find_ext_capability(pr::kExtCapIdSriov);
    REQUIRE(off != 0);
    return off;
}

} // namespace

TEST_CASE("identity table rows", "[npu3][identity]")
{
    CHECK(default_identity().name == "17f2");
    CHECK(default_identity().pf_device_id == 0x17F2);
    CHECK(default_identity().vf_device_id == 0x17F3);
    REQUIRE(find_identity("1b0b") != nullptr);
    CHECK(find_identity("1b0b")->vf_device_id == 0x1B0C);
    CHECK(find_identity("1b0b")->xrt_pf_name == "unknown");
    CHECK(find_identity("17f2")->xrt_pf_name == "npu3_f2");
    CHECK(find_identity("17f2")->xrt_vf_name == "npu3_f3");
    CHECK(find_identity("17f0") == nullptr);
    CHECK(find_identity("") == nullptr);
    for (const Identity& id : identities()) {
        CHECK(id.vendor_id == 0x1022);
        CHECK(id.revision == 0x10);
        // The driver's request_firmware path: "amdnpu/%04x_%02x/" of device and revision.
        CHECK(id.firmware_dir == fmt::format("{:04x}_{:02x}", id.pf_device_id, id.revision));
        CHECK(id.pf_device_id != id.vf_device_id);
        CHECK_FALSE(id.source.empty());
    }
}

TEST_CASE("PF config space per identity", "[npu3][config]")
{
    const std::string which = GENERATE("17f2", "1b0b");
    const Identity& id = *find_identity(which);
    FakeFirmware fw;
    DeviceConfig dc;
    dc.identity = which;
    dc.total_vfs = 3;
    Device dev(dc, fw, nullptr);
    CHECK(fw.binds == 1);
    pcie::Function& pf = dev.pf();
    CHECK(pf.name() == "pf");
    CHECK(cfg(pf, pr::kVendorId, 2) == id.vendor_id);
    CHECK(cfg(pf, pr::kDeviceId, 2) == id.pf_device_id);
    CHECK(cfg(pf, pr::kRevisionId, 1) == 0x10);
    CHECK((cfg(pf, pr::kRevisionId, 4) >> 8) == nr::kClassCode);
    CHECK(cfg(pf, pr::kHeaderType, 1) == pr::kHeaderTypeNormal);

    CHECK(pf.bar_info(0).size == nr::kMboxBarSize);
    CHECK(pf.bar_info(0).mem64);
    CHECK(pf.bar_info(2).size == nr::kSramBarSize);
    CHECK(pf.bar_info(2).mem64);
    CHECK(pf.bar_info(4).size == nr::kPspBarSize);
    CHECK_FALSE(pf.bar_info(4).mem64);
    CHECK(pf.bar_info(5).size == nr::kSmuBarSize);
    CHECK_FALSE(pf.bar_info(5).mem64);
    CHECK(pf.bar_info(1).size == 0);
    CHECK(pf.bar_info(3).size == 0);
    // BAR4 sizes as a 32-bit 4 KiB BAR.
    pf.config_write(pr::kBar0 + 16, 4, 0xffffffff);
    CHECK(cfg(pf, pr::kBar0 + 16, 4) == 0xfffff000u);
    CHECK(pf.msix_vectors() == nr::kPfMsixVectors);

    const uint32_t s = sriov_cap(dev);
    CHECK(cfg(pf, s + pr::kSriovVfDid, 2) == id.vf_device_id);
    CHECK(cfg(pf, s + pr::kSriovTotalVf, 2) == 3);
    CHECK(cfg(pf, s + pr::kSriovInitialVf, 2) == 3);
    // VF BAR0 sizes like a VF's BAR0.
    pf.config_write(s + pr::kSriovBar, 4, 0xffffffff);
    CHECK(cfg(pf, s + pr::kSriovBar, 4) ==
          (static_cast<uint32_t>(~(nr::kMboxBarSize - 1)) | pr::kBarMemType64));
}

TEST_CASE("device construction rejects bad configs; revision test knob", "[npu3][config]")
{
    FakeFirmware fw;
    DeviceConfig dc;
    dc.identity = "17f0";
    CHECK_THROWS_AS(Device(dc, fw, nullptr), std::invalid_argument);
    dc.identity = "17f2";
    dc.total_vfs = 8;
    CHECK_THROWS_AS(Device(dc, fw, nullptr), std::invalid_argument);
    dc.total_vfs = 1;
    dc.test_revision_override = 0x11;
    Device dev(dc, fw, nullptr);
    CHECK(cfg(dev.pf(), pr::kRevisionId, 1) == 0x11);
    CHECK(dev.enable_vfs(1) == 0);
    CHECK(cfg(*dev.vf(0), pr::kRevisionId, 1) == 0x11);
    CHECK_THROWS_AS(dev.array(), std::logic_error);
}

TEST_CASE("PSP protocol: VALIDATE, VALIDATE_CERT, START as the driver issues them", "[npu3][psp]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    pcie::Function& pf = dev.pf();
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspStatus, 4) == nr::kPspStatusReady); // power-on

    psp_exec(pf, nr::kPspValidate, 0x12340000, 0x1, 0x20000);
    REQUIRE(fw.psp.size() == 1); // the write of 0 to INTR did not kick
    CHECK(fw.psp[0].cmd == nr::kPspValidate);
    CHECK(fw.psp[0].arg0 == 0x12340000);
    CHECK(fw.psp[0].arg1 == 0x1);
    CHECK(fw.psp[0].arg2 == 0x20000);
    CHECK((pf.bar_read(nr::kPspBar, nr::kPspStatus, 4) & nr::kPspStatusReady) != 0);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspResp, 4) == 0); // overwrote ARG0

    psp_exec(pf, nr::kPspValidateCert, 0x5678000, 0, 0x8000);
    psp_exec(pf, nr::kPspStart, nr::kPspStartCopyFw, 0, 0);
    REQUIRE(fw.psp.size() == 3);
    CHECK(fw.psp[1].cmd == nr::kPspValidateCert);
    CHECK(fw.psp[1].arg2 == 0x8000);
    CHECK(fw.psp[2].cmd == nr::kPspStart);
    CHECK(fw.psp[2].arg0 == nr::kPspStartCopyFw);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspResp, 4) == 0);

    fw.psp_resp = nr::kPspErrorBadState;
    psp_exec(pf, nr::kPspReleaseTmr, 0, 0, 0);
    CHECK(fw.psp.back().cmd == nr::kPspReleaseTmr);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspResp, 4) == nr::kPspErrorBadState);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspStatus, 4) == nr::kPspStatusReady);
}

TEST_CASE("SMU protocol: POWER_OFF, POWER_ON", "[npu3][smu]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    pcie::Function& pf = dev.pf();
    smu_exec(pf, nr::kSmuPowerOff, 0);
    REQUIRE(fw.smu.size() == 1);
    CHECK(fw.smu[0].cmd == nr::kSmuPowerOff);
    CHECK(pf.bar_read(nr::kSmuBar, nr::kSmuResp, 4) == nr::kSmuResultOk);
    fw.smu_resp = 0x42;
    smu_exec(pf, nr::kSmuPowerOn, 7);
    REQUIRE(fw.smu.size() == 2);
    CHECK(fw.smu[1].cmd == nr::kSmuPowerOn);
    CHECK(fw.smu[1].arg == 7);
    CHECK(pf.bar_read(nr::kSmuBar, nr::kSmuResp, 4) == 0x42);
}

TEST_CASE("register blocks ignore odd accesses safely", "[npu3][psp][smu]")
{
    QuietPcieLog quiet;
    FakeFirmware fw;
    DeviceConfig dc;
    dc.total_vfs = 1;
    Device dev(dc, fw, nullptr);
    pcie::Function& pf = dev.pf();
    pf.bar_write(nr::kPspBar, nr::kPspIntr, 2, 0xBE11);           // 16-bit: not a kick
    pf.bar_write(nr::kPspBar, nr::kPspIntr + 1, 4, nr::kPspNotifyIntr); // misaligned
    pf.bar_write(nr::kPspBar, nr::kPspIntr, 8, nr::kPspNotifyIntr); // 64-bit
    pf.bar_write(nr::kSmuBar, nr::kSmuIntr, 1, 1);
    pf.bar_write(nr::kPspBar, nr::kPspBarSize, 4, nr::kPspNotifyIntr); // past the BAR
    pf.bar_write(nr::kSmuBar, 0x500, 4, 1);                        // unimplemented register
    CHECK(fw.psp.empty());
    CHECK(fw.smu.empty());
    CHECK(pf.bar_read(nr::kPspBar, 0x10, 4) == 0);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspCmd, 2) == 0);
    CHECK(pf.bar_read(nr::kPspBar, nr::kPspStatus, 4) == nr::kPspStatusReady);
    // A VF has no PSP/SMU BARs.
    REQUIRE(dev.enable_vfs(1) == 0);
    pcie::Function& vf = *dev.vf(0);
    CHECK(vf.bar_info(nr::kPspBar).size == 0);
    CHECK(vf.bar_read(nr::kPspBar, nr::kPspStatus, 4) == 0xffffffffu);
    vf.bar_write(nr::kPspBar, nr::kPspIntr, 4, nr::kPspNotifyIntr);
    CHECK(fw.psp.empty());
}

TEST_CASE("mailbox pointer registers: x2i tail write kicks the firmware", "[npu3][mailbox]")
{
    FakeFirmware fw;
    DeviceConfig dc;
    dc.total_vfs = 2;
    Device dev(dc, fw, nullptr);
    pcie::Function& pf = dev.pf();
    pf.bar_write(nr::kMboxBar, nr::kMboxI2xHead, 4, 0x14);
    CHECK(fw.kicks.empty());
    CHECK(dev.mbox_reg(kPf, nr::kMboxI2xHead) == 0x14);
    pf.bar_write(nr::kMboxBar, nr::kMboxX2iTail, 4, 0x20);
    CHECK(fw.kicks == std::vector<FunctionIndex>{kPf});
    CHECK(dev.mbox_reg(kPf, nr::kMboxX2iTail) == 0x20);
    dev.set_mbox_reg(kPf, nr::kMboxX2iHead, 0x20);
    dev.set_mbox_reg(kPf, nr::kMboxI2xTail, 0x34);
    CHECK(pf.bar_read(nr::kMboxBar, nr::kMboxX2iHead, 4) == 0x20);
    CHECK(pf.bar_read(nr::kMboxBar, nr::kMboxI2xTail, 4) == 0x34);
    CHECK(pf.bar_read(nr::kMboxBar, nr::kMboxX2iTail, 8) == 0x0000002000000020ULL);

    REQUIRE(dev.enable_vfs(2) == 0);
    dev.vf(1)->bar_write(nr::kMboxBar, nr::kMboxX2iTail, 4, 0x10);
    CHECK(fw.kicks == std::vector<FunctionIndex>{kPf, vf_index(1)});
    CHECK(dev.mbox_reg(vf_index(1), nr::kMboxX2iTail) == 0x10);
    CHECK(dev.mbox_reg(vf_index(0), nr::kMboxX2iTail) == 0); // functions are isolated

    // Out of range: ignored, no crash.
    dev.set_mbox_reg(kPf, nr::kMboxRegFileSize, 1);
    dev.set_mbox_reg(kPf, 2, 1);
    dev.set_mbox_reg(99, 0, 1);
    CHECK(dev.mbox_reg(kPf, nr::kMboxRegFileSize) == 0);
    CHECK(dev.mbox_reg(99, 0) == 0);
}

TEST_CASE("SRAM: firmware writes are seen through BAR2 and through the mmap area", "[npu3][sram]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    auto sram = dev.sram(kPf);
    REQUIRE(sram.size() == nr::kSramBarSize);
    sram[nr::kInfoValid] = 1;
    sram[nr::kInfoProtocolMajor] = 5;
    CHECK(dev.pf().bar_read(nr::kSramBar, nr::kInfoValid, 4) == 1);
    CHECK(dev.pf().bar_read(nr::kSramBar, nr::kInfoProtocolMajor, 4) == 5);
    dev.pf().bar_write(nr::kSramBar, nr::kX2iRingOffset, 8, 0x1122334455667788ULL);
    CHECK(sram[nr::kX2iRingOffset] == 0x88);
    CHECK(sram[nr::kX2iRingOffset + 7] == 0x11);

    const auto info = dev.pf().bar_info(nr::kSramBar);
    REQUIRE(info.mmap_areas.size() == 1);
    const auto& area = info.mmap_areas[0];
    CHECK(area.offset == 0);
    CHECK(area.size == nr::kSramBarSize);
    void* p = mmap(nullptr, area.size, PROT_READ | PROT_WRITE, MAP_SHARED, area.fd,
                   static_cast<off_t>(area.fd_offset));
    REQUIRE(p != MAP_FAILED);
    CHECK(static_cast<uint8_t*>(p)[nr::kInfoProtocolMajor] == 5); // the guest sees firmware writes
    static_cast<uint8_t*>(p)[nr::kI2xRingOffset] = 0x77;           // and the firmware sees guest writes
    CHECK(sram[nr::kI2xRingOffset] == 0x77);
    munmap(p, area.size);

    CHECK(dev.sram(42).empty());
}

TEST_CASE("trap_all offers no mmap areas and traces SRAM accesses", "[npu3][sram][trace]")
{
    FakeFirmware fw;
    DeviceConfig dc;
    dc.trap_all = true;
    dc.total_vfs = 1;
    Device dev(dc, fw, nullptr);
    CHECK(dev.pf().bar_info(nr::kSramBar).mmap_areas.empty());
    REQUIRE(dev.enable_vfs(1) == 0);
    CHECK(dev.vf(0)->bar_info(nr::kSramBar).mmap_areas.empty());
    dev.function_trace(kPf).set_enabled(true);
    dev.sram(kPf)[0] = 1;
    CHECK(dev.pf().bar_read(nr::kSramBar, 0, 4) == 1);
    CHECK(dev.function_trace(kPf).lines() == std::vector<std::string>{"R bar2+0x00000 4 0x00000001"});
}

TEST_CASE("VF SRAM is mmap-able up to the doorbell pages only", "[npu3][sram]")
{
    FakeFirmware fw;
    DeviceConfig dc;
    dc.total_vfs = 1;
    Device dev(dc, fw, nullptr);
    REQUIRE(dev.enable_vfs(1) == 0);
    const auto info = dev.vf(0)->bar_info(nr::kSramBar);
    REQUIRE(info.mmap_areas.size() == 1);
    CHECK(info.mmap_areas[0].offset == 0);
    CHECK(info.mmap_areas[0].size == nr::kDoorbellBase);
    CHECK(dev.sram(vf_index(0)).size() == nr::kVfSramSize);
}

TEST_CASE("doorbell page writes reach the firmware with the page index", "[npu3][doorbell]")
{
    QuietPcieLog quiet;
    FakeFirmware fw;
    DeviceConfig dc;
    dc.total_vfs = 2;
    Device dev(dc, fw, nullptr);
    REQUIRE(dev.enable_vfs(2) == 0);
    pcie::Function& vf1 = *dev.vf(1);
    vf1.bar_write(nr::kDoorbellBar, nr::doorbell_bar_offset(3), 4, 0);
    vf1.bar_write(nr::kDoorbellBar, nr::doorbell_bar_offset(0) + 0x10, 4, 0xabc);
    vf1.bar_write(nr::kDoorbellBar, nr::doorbell_bar_offset(nr::kVfDoorbellPages - 1), 4, 5);
    REQUIRE(fw.bells.size() == 3);
    CHECK(fw.bells[0].fn == vf_index(1));
    CHECK(fw.bells[0].page == 3);
    CHECK(fw.bells[0].offset == 0);
    CHECK(fw.bells[1].page == 0);
    CHECK(fw.bells[1].offset == 0x10);
    CHECK(fw.bells[1].value == 0xabc);
    CHECK(fw.bells[2].page == nr::kVfDoorbellPages - 1);
    CHECK(vf1.bar_read(nr::kDoorbellBar, nr::doorbell_bar_offset(3), 4) == 0);
    // Past the BAR: refused by the function, never a doorbell.
    vf1.bar_write(nr::kDoorbellBar, nr::doorbell_bar_offset(nr::kVfDoorbellPages), 4, 1);
    CHECK(fw.bells.size() == 3);
    // The PF has no doorbells: its BAR2 is SRAM throughout.
    dev.pf().bar_write(nr::kSramBar, nr::doorbell_bar_offset(3), 4, 9);
    CHECK(fw.bells.size() == 3);
    CHECK(dev.sram(kPf)[nr::doorbell_bar_offset(3)] == 9);
}

TEST_CASE("enable_vfs creates VFs with real IDs and updates SR-IOV", "[npu3][sriov]")
{
    const std::string which = GENERATE("17f2", "1b0b");
    const Identity& id = *find_identity(which);
    FakeFirmware fw;
    DeviceConfig dc;
    dc.identity = which;
    dc.total_vfs = 4;
    Device dev(dc, fw, nullptr);
    std::vector<std::pair<unsigned, bool>> seen;
    dev.set_vf_observer([&](unsigned vf, pcie::Function* fn) { seen.emplace_back(vf, fn != nullptr); });
    CHECK(dev.enabled_vfs() == 0);
    CHECK(dev.vf(0) == nullptr);

    REQUIRE(dev.enable_vfs(2) == 0);
    CHECK(fw.vf_counts == std::vector<unsigned>{2});
    CHECK(dev.enabled_vfs() == 2);
    CHECK(seen == std::vector<std::pair<unsigned, bool>>{{0, true}, {1, true}});
    REQUIRE(dev.vf(1) != nullptr);
    CHECK(dev.vf(2) == nullptr);
    pcie::Function& vf = *dev.vf(1);
    CHECK(vf.name() == "vf1");
    CHECK(cfg(vf, pr::kVendorId, 2) == id.vendor_id);
    CHECK(cfg(vf, pr::kDeviceId, 2) == id.vf_device_id);
    CHECK(cfg(vf, pr::kRevisionId, 1) == 0x10);
    CHECK((cfg(vf, pr::kRevisionId, 4) >> 8) == nr::kClassCode);
    CHECK(vf.msix_vectors() == nr::kVfMsixVectors);
    CHECK(vf.bar_info(0).size == nr::kMboxBarSize);
    CHECK(vf.bar_info(2).size == nr::kSramBarSize);
    CHECK(cfg(vf, pr::kFirstExtCapOffset, 4) == 0); // no SR-IOV on a VF

    const uint32_t s = sriov_cap(dev);
    CHECK(cfg(dev.pf(), s + pr::kSriovNumVf, 2) == 2);
    CHECK((cfg(dev.pf(), s + pr::kSriovCtrl, 2) & (pr::kSriovCtrlVfe | pr::kSriovCtrlMse)) ==
          (pr::kSriovCtrlVfe | pr::kSriovCtrlMse));

    CHECK(dev.enable_vfs(2) == 0); // same count: no-op
    CHECK(fw.vf_counts.size() == 1);
    CHECK(dev.enable_vfs(3) == Device::kVfStatusBusy);
    CHECK(dev.enable_vfs(5) == Device::kVfStatusBadCount);
    CHECK(dev.enabled_vfs() == 2);

    seen.clear();
    REQUIRE(dev.enable_vfs(0) == 0);
    CHECK(fw.vf_counts == std::vector<unsigned>{2, 0});
    CHECK(seen == std::vector<std::pair<unsigned, bool>>{{0, false}, {1, false}});
    CHECK(dev.vf(0) == nullptr);
    CHECK(dev.enabled_vfs() == 0);
    CHECK(cfg(dev.pf(), s + pr::kSriovNumVf, 2) == 0);
    CHECK((cfg(dev.pf(), s + pr::kSriovCtrl, 2) & pr::kSriovCtrlVfe) == 0);
}

TEST_CASE("firmware refusing VFs leaves none", "[npu3][sriov]")
{
    FakeFirmware fw;
    fw.vf_status = 0x5;
    Device dev(DeviceConfig{}, fw, nullptr);
    CHECK(dev.enable_vfs(2) == 0x5);
    CHECK(dev.enabled_vfs() == 0);
    CHECK(dev.vf(0) == nullptr);
    CHECK_FALSE(dev.function(kPf)->sriov_vf_enabled());
}

TEST_CASE("guest VF Enable write takes the same path", "[npu3][sriov]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    int appeared = 0;
    dev.set_vf_observer([&](unsigned, pcie::Function* fn) { appeared += fn ? 1 : -1; });
    const uint32_t s = sriov_cap(dev);
    dev.pf().config_write(s + pr::kSriovNumVf, 2, 3);
    dev.pf().config_write(s + pr::kSriovCtrl, 2, pr::kSriovCtrlVfe | pr::kSriovCtrlMse);
    CHECK(fw.vf_counts == std::vector<unsigned>{3});
    CHECK(dev.enabled_vfs() == 3);
    CHECK(appeared == 3);
    dev.pf().config_write(s + pr::kSriovCtrl, 2, 0);
    CHECK(fw.vf_counts == std::vector<unsigned>{3, 0});
    CHECK(dev.enabled_vfs() == 0);
    CHECK(appeared == 0);
}

TEST_CASE("FLR: per function, firmware told; PF reset keeps VFs", "[npu3][flr]")
{
    QuietPcieLog quiet;
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    REQUIRE(dev.enable_vfs(2) == 0);
    const uint32_t e = dev.function(vf_index(1))->find_capability(pr::kCapIdExp);
    REQUIRE(e != 0);
    dev.vf(1)->config_write(pr::kCommand, 2, pr::kCommandMemory | pr::kCommandMaster);
    dev.vf(1)->config_write(e + pr::kExpDevctl, 2, pr::kExpDevctlBcrFlr);
    CHECK(fw.resets == std::vector<FunctionIndex>{vf_index(1)});
    CHECK(cfg(*dev.vf(1), pr::kCommand, 2) == 0);
    CHECK(cfg(*dev.vf(0), pr::kCommand, 2) == 0);

    // A PF mid-PSP-command state is back to READY after reset; VFs stay.
    dev.pf().bar_write(nr::kPspBar, nr::kPspCmd, 4, 0x01000000);
    dev.pf().reset();
    CHECK(fw.resets == std::vector<FunctionIndex>{vf_index(1), kPf});
    CHECK(dev.pf().bar_read(nr::kPspBar, nr::kPspStatus, 4) == nr::kPspStatusReady);
    CHECK(dev.enabled_vfs() == 2);
    CHECK(dev.vf(0) != nullptr);
    CHECK(dev.function(kPf)->sriov_vf_enabled());
}

TEST_CASE("MSI-X through DeviceServices reaches the interrupt sink", "[npu3][msix]")
{
    QuietPcieLog quiet;
    FakeFirmware fw;
    // in_client: QEMU vfio-user-pci keeps the table (default); in_device:
    // a transport that forwards guest table accesses.
    const bool in_client = GENERATE(true, false);
    DeviceConfig dc;
    dc.msix_table_in_client = in_client;
    Device dev(dc, fw, nullptr);
    REQUIRE(dev.enable_vfs(1) == 0);
    pcie::Function& vf = *dev.vf(0);
    FakeSink sink;
    vf.attach(nullptr, &sink);
    vf.config_write(pr::kCommand, 2, pr::kCommandMemory | pr::kCommandMaster);
    const uint32_t m = dev.function(vf_index(0))->find_capability(pr::kCapIdMsix);
    vf.config_write(m + pr::kMsixFlags, 2, pr::kMsixFlagsEnable | pr::kMsixFlagsMaskAll);
    CHECK(dev.msix_vectors(vf_index(0)) == nr::kVfMsixVectors);
    CHECK(dev.msix_vectors(kPf) == nr::kPfMsixVectors);

    dev.raise_msix(vf_index(0), 3); // function masked: latched
    CHECK(sink.fired.empty());
    CHECK((vf.bar_read(nr::kMboxBar, nr::kMsixPbaOffset, 8) >> 3) & 1);
    vf.config_write(m + pr::kMsixFlags, 2, pr::kMsixFlagsEnable);
    if (in_client) {
        // The table entry here is never written, yet delivery happens.
        CHECK(sink.fired == std::vector<unsigned>{3});
    } else {
        CHECK(sink.fired.empty()); // entry still masked (reset value)
        vf.bar_write(nr::kMboxBar, nr::kMsixTableOffset + 3 * pr::kMsixEntrySize + pr::kMsixEntryVectorCtrl, 4,
                     0);
        CHECK(sink.fired == std::vector<unsigned>{3});
    }
    CHECK((vf.bar_read(nr::kMboxBar, nr::kMsixPbaOffset, 8) & (1u << 3)) == 0);
    dev.raise_msix(vf_index(0), 3);
    CHECK(sink.fired == std::vector<unsigned>{3, 3});
    // Transport masking works either way.
    vf.set_vector_masked(3, true);
    dev.raise_msix(vf_index(0), 3);
    CHECK(sink.fired.size() == 2);
    vf.set_vector_masked(3, false);
    CHECK(sink.fired.size() == 3);

    // Nonexistent function or vector: dropped, no crash.
    dev.raise_msix(vf_index(3), 0);
    dev.raise_msix(vf_index(0), nr::kVfMsixVectors);
    CHECK(sink.fired.size() == 3);
}

TEST_CASE("DMA through DeviceServices is per function and fails safely", "[npu3][dma]")
{
    QuietPcieLog quiet;
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    uint32_t word = 0;
    CHECK_FALSE(dev.dma(kPf).read(0x1000, &word, 4));       // nothing attached
    CHECK_FALSE(dev.dma(vf_index(0)).read(0x1000, &word, 4)); // VF not enabled
    CHECK_FALSE(dev.dma(99).write(0, &word, 4));
}

TEST_CASE("deferred work runs after the current access", "[npu3][defer]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    std::vector<int> order;
    dev.defer([&] {
        order.push_back(1);
        dev.defer([&] { order.push_back(3); });
    });
    dev.defer([&] { order.push_back(2); });
    CHECK(order.empty());
    CHECK(dev.run_deferred() == 3);
    CHECK(order == std::vector<int>{1, 2, 3});

    std::vector<std::function<void()>> handed;
    dev.set_defer_handler([&](std::function<void()> w) { handed.push_back(std::move(w)); });
    dev.defer([&] { order.push_back(4); });
    CHECK(dev.run_deferred() == 0);
    REQUIRE(handed.size() == 1);
    handed[0]();
    CHECK(order.back() == 4);
}

TEST_CASE("trace: ordered MMIO, config and firmware events; bounded; off by default", "[npu3][trace]")
{
    FakeFirmware fw;
    Device dev(DeviceConfig{}, fw, nullptr);
    AccessTrace& t = dev.function_trace(kPf);
    psp_exec(dev.pf(), nr::kPspStart, 1, 0, 0);
    CHECK(t.records().empty());

    t.set_enabled(true);
    dev.pf().config_write(pr::kCommand, 2, pr::kCommandMemory);
    psp_exec(dev.pf(), nr::kPspStart, 1, 0, 0);
    const auto lines = t.lines();
    REQUIRE(lines.size() == 10);
    CHECK(lines[0] == "C 0x004 2 0x0002");
    CHECK(lines[1] == "R bar4+0x00aec 4 0x80000000");
    CHECK(lines[2] == "W bar4+0x00aec 4 0x00000002");
    CHECK(lines[7] == "W bar4+0x00a24 4 0xd007be11");
    CHECK(lines[8] == "E psp cmd 2 arg0 0x1 arg1 0x0 arg2 0x0");
    CHECK(lines[9] == "E fw psp 2"); // the firmware's own event, after the kick

    t.set_capacity(3);
    CHECK(t.records().size() == 3);
    CHECK(t.dropped() == 7);
    CHECK(t.lines().front() == lines[7]);
    dev.trace(kPf, "x");
    CHECK(t.records().size() == 3);
    CHECK(t.lines().back() == "E x");
    CHECK(t.records().back().seq == 10);

    CHECK_THROWS_AS(dev.function_trace(9), std::out_of_range);
    dev.trace(9, "ignored"); // no crash
}
