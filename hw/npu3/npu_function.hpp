// The PF and VF functions of the npu3 device: PCIe endpoint functions
// (hw/pcie) with the npu3 BAR contents (npu3_regs.hpp, docs/spec/driver-interface.md §1.2):
//   BAR0  mailbox pointer registers (0x000..0x0FF) + MSI-X table/PBA
//   BAR2  SRAM (mailbox_info + rings; memfd, mmap-able unless trap_all)
//         VF only: doorbell pages from 0x10000, always trapping
//   BAR4  PF only: PSP registers       BAR5  PF only: SMU registers
// A register write with a firmware-visible effect calls the FirmwarePort.
#pragma once

#include "hw/npu3/access_trace.hpp"
#include "hw/npu3/firmware_port.hpp"
#include "hw/npu3/identity.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/endpoint_function.hpp"
#include "hw/pcie/shared_memory.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace aie4emu::npu3 {

// What one function slot holds that outlives its pcie::Function object: VF
// functions come and go with VF Enable, but their SRAM and pointer registers
// are device memory (firmware sets up a VF's mailbox before the VF appears).
struct FunctionState {
    FunctionState(const std::string& name, size_t sram_bytes);
    std::string name;
    pcie::SharedMemory sram;
    std::array<uint32_t, regs::kMboxRegFileSize / 4> mbox_regs{};
    AccessTrace trace;
};

// Shared by all functions of one device.
struct DeviceContext {
    FirmwarePort* firmware = nullptr;
    std::function<uint64_t()> clock; // simulated cycles for log lines; may be empty
    bool trap_all = false;           // offer no mmap-able areas
    bool msix_table_in_client = true; // see DeviceConfig::msix_table_in_client
    [[nodiscard]] uint64_t now() const { return clock ? clock() : 0; }
};

// How the PF reports a guest write of VF Enable to its device.
class SriovListener {
public:
    virtual ~SriovListener() = default;
    virtual void guest_vf_enable(bool enabled, uint16_t num_vfs) = 0;
};

// Config-space descriptions, also used to make the PF's VF BARs match the VFs.
[[nodiscard]] pcie::FunctionSpec pf_spec(const Identity& id, uint8_t revision, unsigned total_vfs,
                                         const FunctionState& state, const DeviceContext& ctx);
[[nodiscard]] pcie::FunctionSpec vf_spec(const Identity& id, uint8_t revision, unsigned vf,
                                         const FunctionState& state, const DeviceContext& ctx);

class NpuFunction : public pcie::EndpointFunction {
public:
    NpuFunction(pcie::FunctionSpec spec, FunctionIndex index, FunctionState& state, DeviceContext& ctx);

    [[nodiscard]] FunctionIndex index() const { return index_; }
    [[nodiscard]] FunctionState& state() { return state_; }

    // Trapped accesses are recorded in the function's trace.
    [[nodiscard]] uint64_t bar_read(unsigned bar, uint64_t offset, unsigned size) override;
    void bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;

protected:
    [[nodiscard]] uint64_t region_read(unsigned bar, uint64_t offset, unsigned size) override;
    void region_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;
    void on_reset() override;
    void on_config_write(uint32_t offset, unsigned size, uint32_t value) override;

    // BARs other than the mailbox registers and the SRAM part of BAR2.
    // Default: reads 0, writes ignored, both logged.
    [[nodiscard]] virtual uint64_t device_read(unsigned bar, uint64_t offset, unsigned size);
    virtual void device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value);
    virtual void device_reset() {}

    [[nodiscard]] FirmwarePort& firmware() { return *ctx_.firmware; }
    [[nodiscard]] uint64_t now() const { return ctx_.now(); }
    void unclaimed(const char* what, unsigned bar, uint64_t offset, unsigned size, uint64_t value) const;

private:
    FunctionIndex index_;
    FunctionState& state_;
    DeviceContext& ctx_;
};

class PfFunction final : public NpuFunction {
public:
    PfFunction(const Identity& id, uint8_t revision, unsigned total_vfs, FunctionState& state, DeviceContext& ctx,
               SriovListener& listener);

protected:
    [[nodiscard]] uint64_t device_read(unsigned bar, uint64_t offset, unsigned size) override;
    void device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;
    void device_reset() override;
    void on_sriov_vf_enable(bool enabled, uint16_t num_vfs) override;

private:
    void psp_write(uint64_t offset, uint32_t value);
    void smu_write(uint64_t offset, uint32_t value);

    SriovListener& listener_;
    // PSP registers (BAR4): power-on value of CMD/STATUS has READY set.
    uint32_t psp_cmd_ = regs::kPspStatusReady;
    uint32_t psp_arg0_ = 0;
    uint32_t psp_arg1_ = 0;
    uint32_t psp_intr_ = 0;
    // SMU registers (BAR5).
    uint32_t smu_cmd_ = 0;
    uint32_t smu_arg_ = 0;
    uint32_t smu_resp_ = 0;
    uint32_t smu_intr_ = 0;
};

class VfFunction final : public NpuFunction {
public:
    VfFunction(const Identity& id, uint8_t revision, unsigned vf, FunctionState& state, DeviceContext& ctx);

protected:
    [[nodiscard]] uint64_t device_read(unsigned bar, uint64_t offset, unsigned size) override;
    void device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;
};

} // namespace aie4emu::npu3
