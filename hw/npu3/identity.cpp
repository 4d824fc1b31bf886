#include "hw/npu3/identity.hpp"

#include <array>

namespace aie4emu::npu3 {

namespace {

// PCI_VENDOR_ID_AMD (include/linux/pci_ids.h).
constexpr uint16_t kVendorAmd = 0x1022;
// The revision both npu3 rows of amdxdna_ids[] require.
constexpr uint8_t kNpu3Revision = 0x10;

constexpr std::array<Identity, 2> kIdentities{{
    {"17f2", kVendorAmd, 0x17F2, 0x17F3, kNpu3Revision, "17f2_10", "npu3_f2", "npu3_f3",
     "amdxdna_pci_drv.c pci_ids[]/amdxdna_ids[] {0x17f2,0x10} {0x17f3,0x10}; firmware dir from aie4_pci.c "
     "\"amdnpu/%04x_%02x/\"; XRT 2.25 libxrt_coreutil smi_hardware_config npu3_f2/npu3_f3 (docs/spec/queue-and-cert.md §2.2)"},
    {"1b0b", kVendorAmd, 0x1B0B, 0x1B0C, kNpu3Revision, "1b0b_10", "unknown", "unknown",
     "amdxdna_pci_drv.c pci_ids[]/amdxdna_ids[] {0x1B0B,0x10} {0x1B0C,0x10}; XRT 2.25 knows 1B0B/1B0C only at "
     "rev 0x00, so rev 0x10 is 'unknown' to it (docs/spec/queue-and-cert.md §2.2)"},
}};

} // namespace

std::span<const Identity> identities() { return kIdentities; }

const Identity& default_identity() { return kIdentities.front(); }

const Identity* find_identity(std::string_view name)
{
    for (const Identity& id : kIdentities)
        if (id.name == name)
            return &id;
    return nullptr;
}

} // namespace aie4emu::npu3
