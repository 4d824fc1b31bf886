// The guest side of a real hw/npu3 Device, without sockets: a HostBus over a
// pcie::Function (every access in 32-bit steps, as readl/memcpy_toio do),
// what pcim_enable_device + pci_alloc_irq_vectors do to config space, the PF
// boot through the SMU and PSP registers, and an interrupt counter. Shared by
// the mailbox bench and the device fuzzer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/function.hpp"
#include "hw/pcie/pci_regs.hpp"
#include "tests/unit/firmware/host_mailbox.hpp"

namespace aie4emu::fw::test {

// Guest memory of one VM, for the real device's DMA (PSP reads, queues).
class VectorDma final : public pcie::DmaSpace {
public:
    FakeDma mem{FakeDevice::kGuestBase, FakeDevice::kGuestSize};
    bool read(uint64_t a, void* d, size_t n) override { return mem.read(a, d, n); }
    bool write(uint64_t a, const void* s, size_t n) override { return mem.write(a, s, n); }
};

// The guest as seen through a real pcie::Function.
class FunctionBus final : public HostBus {
public:
    explicit FunctionBus(pcie::Function& fn) : fn_(fn) {}
    uint32_t bar0_read32(uint32_t off) override { return static_cast<uint32_t>(fn_.bar_read(npu3::regs::kMboxBar, off, 4)); }
    void bar0_write32(uint32_t off, uint32_t v) override { fn_.bar_write(npu3::regs::kMboxBar, off, 4, v); }
    void bar2_read(uint32_t off, void* dst, size_t len) override
    {
        auto* d = static_cast<uint8_t*>(dst);
        for (size_t i = 0; i < len; i += 4) {
            const auto v = static_cast<uint32_t>(fn_.bar_read(npu3::regs::kSramBar, off + i, 4));
            std::memcpy(d + i, &v, std::min<size_t>(4, len - i));
        }
    }
    void bar2_write(uint32_t off, const void* src, size_t len) override
    {
        const auto* s = static_cast<const uint8_t*>(src);
        for (size_t i = 0; i < len; i += 4) {
            uint32_t v = 0;
            std::memcpy(&v, s + i, std::min<size_t>(4, len - i));
            fn_.bar_write(npu3::regs::kSramBar, off + i, 4, v);
        }
    }

private:
    pcie::Function& fn_;
};

// What the guest's pcim_enable_device + pci_set_master + pci_alloc_irq_vectors
// do to config space, and an interrupt sink that counts deliveries.
class CountingSink final : public pcie::InterruptSink {
public:
    void msix_fire(unsigned) override { ++fired; }
    uint64_t fired = 0;
};

inline void enable_function(pcie::Function& fn, pcie::DmaSpace* dma, pcie::InterruptSink* irq)
{
    namespace pr = pcie::regs;
    fn.attach(dma, irq);
    fn.config_write(pr::kCommand, 2, pr::kCommandMemory | pr::kCommandMaster);
    uint32_t cap = fn.config_read(pr::kCapabilityList, 1);
    for (unsigned guard = 0; cap != 0 && guard < 48; ++guard) {
        if (fn.config_read(cap, 1) == pr::kCapIdMsix) {
            const uint32_t ctl = fn.config_read(cap + pr::kMsixFlags, 2);
            fn.config_write(cap + pr::kMsixFlags, 2, (ctl | pr::kMsixFlagsEnable) & ~uint32_t{pr::kMsixFlagsMaskAll});
            return;
        }
        cap = fn.config_read(cap + 1, 1);
    }
}


// aie4_fw_start through the PF's registers: SMU POWER_OFF, POWER_ON, PSP
// VALIDATE, VALIDATE_CERT, START. The images must already be in guest memory
// at fw_addr / cert_addr; sizes are the PSP buffer sizes. True when every
// step answered OK.
inline bool boot_pf(pcie::Function& pf, uint64_t fw_addr, uint32_t fw_size, uint64_t cert_addr, uint32_t cert_size)
{
    namespace r = npu3::regs;
    auto smu = [&](uint32_t cmd) {
        pf.bar_write(r::kSmuBar, r::kSmuResp, 4, 0);
        pf.bar_write(r::kSmuBar, r::kSmuArg, 4, 0);
        pf.bar_write(r::kSmuBar, r::kSmuCmd, 4, cmd);
        pf.bar_write(r::kSmuBar, r::kSmuIntr, 4, 0);
        pf.bar_write(r::kSmuBar, r::kSmuIntr, 4, r::kSmuKick);
        return static_cast<uint32_t>(pf.bar_read(r::kSmuBar, r::kSmuResp, 4));
    };
    auto psp = [&](uint32_t cmd, uint32_t a0, uint32_t a1, uint32_t a2) {
        pf.bar_write(r::kPspBar, r::kPspCmd, 4, cmd);
        pf.bar_write(r::kPspBar, r::kPspArg0, 4, a0);
        pf.bar_write(r::kPspBar, r::kPspArg1, 4, a1);
        pf.bar_write(r::kPspBar, r::kPspCmd, 4, a2 | cmd << r::kPspCmdShift);
        pf.bar_write(r::kPspBar, r::kPspIntr, 4, 0);
        pf.bar_write(r::kPspBar, r::kPspIntr, 4, r::kPspNotifyIntr);
        return static_cast<uint32_t>(pf.bar_read(r::kPspBar, r::kPspResp, 4));
    };
    return smu(r::kSmuPowerOff) == r::kSmuResultOk && smu(r::kSmuPowerOn) == r::kSmuResultOk &&
           psp(r::kPspValidate, static_cast<uint32_t>(fw_addr), static_cast<uint32_t>(fw_addr >> 32), fw_size) == 0 &&
           psp(r::kPspValidateCert, static_cast<uint32_t>(cert_addr), static_cast<uint32_t>(cert_addr >> 32),
               cert_size) == 0 &&
           psp(r::kPspStart, r::kPspStartCopyFw, 0, 0) == 0;
}

} // namespace aie4emu::fw::test
