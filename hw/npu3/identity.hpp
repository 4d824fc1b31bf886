// The one identity table of the emulated NPU: which PCI IDs the PF and its
// VFs present, which firmware directory the driver will ask for, and what
// XRT 2.25 calls the pair. No other code names a device ID.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace aie4emu::npu3 {

struct Identity {
    std::string_view name;           // selector: "17f2" | "1b0b"
    uint16_t vendor_id;
    uint16_t pf_device_id;
    uint16_t vf_device_id;           // SR-IOV VF Device ID of the PF, and the VF's own Device ID
    uint8_t revision;                // the driver requires exactly this (amdxdna_ids[])
    std::string_view firmware_dir;   // /lib/firmware/amdnpu/<dir>/npu.dev.sbin, cert.dev.sbin
    std::string_view xrt_pf_name;    // XRT 2.25 smi_hardware_config name, "unknown" if absent
    std::string_view xrt_vf_name;
    std::string_view source;
};

// All rows; the first is the default.
[[nodiscard]] std::span<const Identity> identities();
[[nodiscard]] const Identity& default_identity();
// nullptr when `name` is not a row.
[[nodiscard]] const Identity* find_identity(std::string_view name);

} // namespace aie4emu::npu3
