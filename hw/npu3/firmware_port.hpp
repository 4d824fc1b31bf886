// The firmware port of the npu3 device (docs/architecture.md "Layers").
//
// hw/npu3 is silicon: registers, SRAM, doorbell pages, MSI-X, the path to
// guest memory. What the on-device firmware does with them lives in
// firmware-stub/, which implements FirmwarePort. The device calls the port
// when a register write has a firmware-visible side effect, and hands the
// firmware a DeviceServices to act on the hardware. Neither side knows how
// the other is built, so each can be tested with a fake of the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aie4emu::pcie {
class DmaSpace;
}
namespace aie4emu::aie {
class Array;
}

namespace aie4emu::npu3 {

// Which PCI function of the device: 0 is the PF, k >= 1 is VF k-1.
using FunctionIndex = unsigned;
inline constexpr FunctionIndex kPf = 0;
constexpr FunctionIndex vf_index(unsigned vf) { return vf + 1; }

// How every layer names a function: "pf", "vf0", "vf1", ... (sockets, logs, traces, the
// control socket).
[[nodiscard]] inline std::string function_name(FunctionIndex fn)
{
    return fn == kPf ? std::string("pf") : "vf" + std::to_string(fn - 1);
}

// The inverse of function_name for a device with `vfs` VFs: "pf" or "vfN" with N < vfs and no
// leading zero; nullopt for anything else.
[[nodiscard]] inline std::optional<FunctionIndex> parse_function_name(std::string_view name, unsigned vfs)
{
    if (name == "pf")
        return kPf;
    if (name.size() < 3 || name.substr(0, 2) != "vf" || (name.size() > 3 && name[2] == '0'))
        return std::nullopt;
    unsigned k = 0;
    for (char c : name.substr(2)) {
        if (c < '0' || c > '9' || k > 1000)
            return std::nullopt;
        k = k * 10 + static_cast<unsigned>(c - '0');
    }
    return k < vfs ? std::optional<FunctionIndex>(vf_index(k)) : std::nullopt;
}

// What the hardware offers the firmware.
class DeviceServices {
public:
    virtual ~DeviceServices() = default;

    // Number of VFs currently enabled (their functions exist and are served).
    [[nodiscard]] virtual unsigned enabled_vfs() const = 0;
    [[nodiscard]] virtual unsigned total_vfs() const = 0;

    // BAR2 "SRAM" of a function: mailbox_info, the rings. The doorbell pages
    // of a VF are registers, not part of this span.
    [[nodiscard]] virtual std::span<uint8_t> sram(FunctionIndex fn) = 0;

    // BAR0 mailbox pointer registers of a function, by BAR0 byte offset.
    [[nodiscard]] virtual uint32_t mbox_reg(FunctionIndex fn, uint32_t offset) const = 0;
    virtual void set_mbox_reg(FunctionIndex fn, uint32_t offset, uint32_t value) = 0;

    // Bus-master DMA into the memory of the VM the function is attached to.
    // Never null: with no VM attached every access fails.
    [[nodiscard]] virtual pcie::DmaSpace& dma(FunctionIndex fn) = 0;

    // Send MSI-X vector `vector` of function `fn` (latched if masked).
    virtual void raise_msix(FunctionIndex fn, unsigned vector) = 0;
    [[nodiscard]] virtual unsigned msix_vectors(FunctionIndex fn) const = 0;

    // The AI Engine tile array shared by all functions.
    [[nodiscard]] virtual aie::Array& array() = 0;

    // Run `work` later on the simulation thread, after the current register
    // access has returned (real firmware answers asynchronously).
    virtual void defer(std::function<void()> work) = 0;

    // Record an event in the per-function trace (tests assert probe order).
    virtual void trace(FunctionIndex fn, const std::string& event) = 0;
};

// What the firmware does when the hardware pokes it.
class FirmwarePort {
public:
    virtual ~FirmwarePort() = default;

    // Called once, before any other call.
    virtual void bind(DeviceServices& device) = 0;

    // PF SMU kick (BAR5 INTR <- 1). Returns the value for the SMU response
    // register (1 = OK).
    virtual uint32_t smu_command(uint32_t cmd, uint32_t arg) = 0;

    // PF PSP kick (BAR4 INTR <- 0xD007BE11). Returns the response code the
    // device puts in the RESP register (0 = success).
    virtual uint32_t psp_command(uint32_t cmd, uint32_t arg0, uint32_t arg1, uint32_t arg2) = 0;

    // The host wrote the x2i tail register of `fn`: requests are waiting.
    virtual void mailbox_kick(FunctionIndex fn) = 0;

    // The host wrote `value` at `offset` inside the doorbell page `page`
    // (0-based, counted from the first doorbell page) of VF function `fn`.
    virtual void doorbell(FunctionIndex fn, unsigned page, uint32_t offset, uint32_t value) = 0;

    // Function-level reset of `fn` (FLR or transport reset).
    virtual void function_reset(FunctionIndex fn) = 0;

    // VFs are being enabled (count > 0) or disabled (count == 0) through the
    // host control plane (the same firmware path as CREATE_VFS/DESTROY_VFS).
    // Returns a status (0 = success).
    virtual uint32_t set_vf_count(unsigned count) = 0;
};

} // namespace aie4emu::npu3
