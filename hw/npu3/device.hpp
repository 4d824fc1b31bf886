// The AIE4 ("npu3") device: one PF, up to TotalVFs VFs, the tile array they
// share, and the firmware port. It implements DeviceServices for the
// firmware; the host process (emu) builds it, serves pf() and every enabled
// VF on a socket, and enables VFs through enable_vfs().
//
// All calls come from the simulation thread.
#pragma once

#include "hw/npu3/access_trace.hpp"
#include "hw/npu3/firmware_port.hpp"
#include "hw/npu3/identity.hpp"
#include "hw/npu3/npu_function.hpp"
#include "hw/pcie/function.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aie4emu::npu3 {

struct DeviceConfig {
    std::string identity = "17f2";     // a row of identity.hpp: "17f2" | "1b0b"
    unsigned total_vfs = 4;            // SR-IOV TotalVFs, 0..kMaxTotalVfs (0: no SR-IOV capability)
    bool trap_all = false;             // no mmap-able SRAM: every BAR access traps (full MMIO traces)
    // The transport's client keeps the MSI-X table (QEMU vfio-user-pci does):
    // table entry Mask bits then do not gate delivery here; see
    // pcie::MsixSpec::entry_masks. Set false for a transport that forwards
    // guest table accesses.
    bool msix_table_in_client = true;
    // TEST KNOB: present this revision instead of the identity's (the driver
    // refuses anything but 0x10). Never set it outside tests.
    std::optional<uint8_t> test_revision_override;
};

class Device final : public DeviceServices, private SriovListener {
public:
    // VFs live at functions 1..7 (First VF Offset 1, Stride 1, no ARI).
    static constexpr unsigned kMaxTotalVfs = 7;
    // enable_vfs() refusals made by the device itself (emulator-chosen codes,
    // distinct from firmware status values).
    static constexpr uint32_t kVfStatusBadCount = 0xFFFFFF01; // n > TotalVFs
    static constexpr uint32_t kVfStatusBusy = 0xFFFFFF02;     // n != 0 while another n is enabled

    // `array` may be null (unit tests without hw/aie); array() then throws.
    // Calls firmware.bind(*this) before returning. Throws
    // std::invalid_argument for an unknown identity or total_vfs > 7.
    Device(const DeviceConfig& config, FirmwarePort& firmware, aie::Array* array);
    ~Device() override;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // ---- Host process ------------------------------------------------------
    [[nodiscard]] pcie::Function& pf();
    // nullptr while VF `vf` is not enabled.
    [[nodiscard]] pcie::Function* vf(unsigned vf);
    // The function object with its npu3/MSI-X state (tests, control plane);
    // nullptr if that function does not exist now.
    [[nodiscard]] NpuFunction* function(FunctionIndex fn);

    // Enable n VFs (n == 0: disable). The host control-plane path, same
    // firmware path as CREATE_VFS/DESTROY_VFS: firmware.set_vf_count(n) first;
    // on status 0 the VF functions are created and the SR-IOV capability shows
    // NumVFs = n, VF Enable, VF MSE. Disabling removes the functions first and
    // then tells the firmware. Returns 0, the firmware's status, or a
    // kVfStatus* code. Same n again is a no-op returning 0.
    uint32_t enable_vfs(unsigned n);

    // Told when VF `vf` appears (fn != nullptr) or is about to disappear
    // (fn == nullptr: stop serving it before returning; the object is
    // destroyed right after).
    void set_vf_observer(std::function<void(unsigned vf, pcie::Function* fn)> observer);
    // How DeviceServices::defer runs work on the simulation thread. Without
    // one, work queues inside the device until run_deferred().
    void set_defer_handler(std::function<void(std::function<void()>)> handler);
    // Runs queued deferred work (including work queued meanwhile); returns
    // how many items ran.
    size_t run_deferred();
    // Simulated time for log lines.
    void set_clock(std::function<uint64_t()> clock);

    // Fault injection (driver development): the next `count` MSI-X messages of function fn
    // whose vector is not `spared_vector` are lost on the way (never reach the host);
    // count 0 disarms. Each lost message is a trace event "msix N lost (injected fault)".
    void drop_msix(FunctionIndex fn, unsigned spared_vector, uint32_t count);
    [[nodiscard]] uint32_t msix_drops_left(FunctionIndex fn) const;

    // Per-function trace; fn < 1 + total_vfs, else std::out_of_range.
    [[nodiscard]] AccessTrace& function_trace(FunctionIndex fn);
    [[nodiscard]] const Identity& identity() const { return identity_; }
    [[nodiscard]] uint8_t revision() const { return revision_; }

    // ---- DeviceServices --------------------------------------------------------
    [[nodiscard]] unsigned enabled_vfs() const override { return enabled_vfs_; }
    [[nodiscard]] unsigned total_vfs() const override { return total_vfs_; }
    [[nodiscard]] std::span<uint8_t> sram(FunctionIndex fn) override;
    [[nodiscard]] uint32_t mbox_reg(FunctionIndex fn, uint32_t offset) const override;
    void set_mbox_reg(FunctionIndex fn, uint32_t offset, uint32_t value) override;
    [[nodiscard]] pcie::DmaSpace& dma(FunctionIndex fn) override;
    void raise_msix(FunctionIndex fn, unsigned vector) override;
    [[nodiscard]] unsigned msix_vectors(FunctionIndex fn) const override;
    [[nodiscard]] aie::Array& array() override;
    void defer(std::function<void()> work) override;
    void trace(FunctionIndex fn, const std::string& event) override;

private:
    class NullDma;
    void guest_vf_enable(bool enabled, uint16_t num_vfs) override;
    void create_vfs(unsigned n);
    void destroy_vfs();
    [[nodiscard]] bool valid_index(FunctionIndex fn) const { return fn < states_.size(); }

    const Identity& identity_;
    uint8_t revision_;
    unsigned total_vfs_;
    FirmwarePort& firmware_;
    aie::Array* array_;
    DeviceContext ctx_;
    std::vector<std::unique_ptr<FunctionState>> states_; // [0] PF, [k] VF k-1
    std::unique_ptr<PfFunction> pf_;
    std::vector<std::unique_ptr<VfFunction>> vfs_;       // total_vfs slots, null while disabled
    unsigned enabled_vfs_ = 0;
    std::unique_ptr<NullDma> null_dma_;
    std::function<void(unsigned, pcie::Function*)> vf_observer_;
    std::function<void(std::function<void()>)> defer_handler_;
    std::deque<std::function<void()>> deferred_;
    struct MsixDrop {
        unsigned spared_vector = 0;
        uint32_t left = 0;
    };
    std::map<FunctionIndex, MsixDrop> msix_drops_;
};

} // namespace aie4emu::npu3
