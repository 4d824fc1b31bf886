// vfio-user wire format: every fact the server needs about messages, flags
// and the VFIO structures they reuse, in one place.
//
// Sources (facts only):
//   [SPEC]  QEMU docs/interop/vfio-user.rst ("vfio-user Protocol Specification")
//   [QEMU]  QEMU hw/vfio-user/protocol.h and proxy.c (the client we talk to)
//   [VFIO]  Linux include/uapi/linux/vfio.h
// All multi-byte fields are in host byte order [SPEC "Protocol Specification"].
#pragma once

#include <cstddef>
#include <cstdint>

namespace aie4emu::vfio_user::proto {

// ---- Header [SPEC "Header"; QEMU VFIOUserHdr] --------------------------------
struct Header {
    uint16_t id = 0;      // echoed in the reply
    uint16_t command = 0;
    uint32_t size = 0;    // whole message, header included
    uint32_t flags = 0;
    uint32_t error = 0;   // errno, valid in a reply with kFlagError
};
static_assert(sizeof(Header) == 16);

inline constexpr uint32_t kFlagTypeMask = 0xF;     // [QEMU VFIO_USER_TYPE]
inline constexpr uint32_t kFlagTypeRequest = 0x0;  // [QEMU VFIO_USER_REQUEST]
inline constexpr uint32_t kFlagTypeReply = 0x1;    // [QEMU VFIO_USER_REPLY]
inline constexpr uint32_t kFlagNoReply = 0x10;     // [QEMU VFIO_USER_NO_REPLY]
inline constexpr uint32_t kFlagError = 0x20;       // [QEMU VFIO_USER_ERROR]

// ---- Commands [SPEC "Commands" table] ----------------------------------------
enum Command : uint16_t {
    kVersion = 1,
    kDmaMap = 2,
    kDmaUnmap = 3,
    kDeviceGetInfo = 4,
    kDeviceGetRegionInfo = 5,
    kDeviceGetRegionIoFds = 6,
    kDeviceGetIrqInfo = 7,
    kDeviceSetIrqs = 8,
    kRegionRead = 9,
    kRegionWrite = 10,
    kDmaRead = 11,   // server -> client
    kDmaWrite = 12,  // server -> client
    kDeviceReset = 13,
    kDirtyPages = 14, // [QEMU enum vfio_user_command], dropped from newer specs
    kRegionWriteMulti = 15,
    kDeviceFeature = 16,
    kMigDataRead = 17,
    kMigDataWrite = 18,
};

// ---- VERSION [SPEC "VFIO_USER_VERSION"; QEMU VFIO_USER_MAJOR_VER/MINOR_VER] ---
struct VersionHead {
    uint16_t major = 0;
    uint16_t minor = 0;
    // followed by optional NUL-terminated JSON
};
static_assert(sizeof(VersionHead) == 4);
inline constexpr uint16_t kVersionMajor = 0;
inline constexpr uint16_t kVersionMinor = 0; // QEMU refuses a reply minor above its own (0)

// Capability defaults and QEMU's acceptance limits [SPEC Version capabilities;
// QEMU VFIO_USER_DEF_*/VFIO_USER_MAX_MAX_*].
inline constexpr uint64_t kDefaultMaxMsgFds = 1;         // receiver assumes 1 when absent
inline constexpr uint64_t kQemuMaxMaxMsgFds = 16;        // QEMU rejects a larger value
inline constexpr uint64_t kDefaultMaxDataXferSize = 1024 * 1024;
inline constexpr uint64_t kQemuMaxMaxDataXferSize = 64ull * 1024 * 1024;
inline constexpr uint64_t kDefaultMaxDmaMaps = 65535;
inline constexpr uint64_t kDefaultPgsizes = 4096;

// ---- DMA_MAP / DMA_UNMAP [SPEC; VFIO struct vfio_iommu_type1_dma_map/unmap] ---
struct DmaMap {
    uint32_t argsz = 0;
    uint32_t flags = 0;
    uint64_t offset = 0;   // file offset of the passed fd
    uint64_t address = 0;  // DMA (guest bus) address
    uint64_t size = 0;
};
static_assert(sizeof(DmaMap) == 32);
inline constexpr uint32_t kDmaMapFlagRead = 1u << 0;  // [SPEC; VFIO VFIO_DMA_MAP_FLAG_READ]
inline constexpr uint32_t kDmaMapFlagWrite = 1u << 1; // [SPEC; VFIO VFIO_DMA_MAP_FLAG_WRITE]

struct DmaUnmap {
    uint32_t argsz = 0;
    uint32_t flags = 0;
    uint64_t address = 0;
    uint64_t size = 0;
};
static_assert(sizeof(DmaUnmap) == 24);
inline constexpr uint32_t kDmaUnmapFlagGetDirtyBitmap = 1u << 0; // [VFIO VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP]
inline constexpr uint32_t kDmaUnmapFlagAll = 1u << 1;            // [VFIO VFIO_DMA_UNMAP_FLAG_ALL]

// ---- DEVICE_GET_INFO [SPEC; VFIO struct vfio_device_info] --------------------
struct DeviceInfo {
    uint32_t argsz = 0;
    uint32_t flags = 0;
    uint32_t num_regions = 0;
    uint32_t num_irqs = 0;
};
static_assert(sizeof(DeviceInfo) == 16);
inline constexpr uint32_t kDeviceFlagReset = 1u << 0; // [VFIO VFIO_DEVICE_FLAGS_RESET]
inline constexpr uint32_t kDeviceFlagPci = 1u << 1;   // [VFIO VFIO_DEVICE_FLAGS_PCI]

// ---- Region indices [VFIO enum VFIO_PCI_*_REGION_INDEX] ----------------------
inline constexpr uint32_t kPciBar0RegionIndex = 0;
inline constexpr uint32_t kPciBar5RegionIndex = 5;
inline constexpr uint32_t kPciRomRegionIndex = 6;
inline constexpr uint32_t kPciConfigRegionIndex = 7;
inline constexpr uint32_t kPciVgaRegionIndex = 8;
inline constexpr uint32_t kPciNumRegions = 9;
inline constexpr uint64_t kPciConfigSpaceSize = 4096; // PCIe extended config space

// ---- DEVICE_GET_REGION_INFO [SPEC; VFIO struct vfio_region_info] -------------
struct RegionInfo {
    uint32_t argsz = 0;
    uint32_t flags = 0;
    uint32_t index = 0;
    uint32_t cap_offset = 0; // from the start of this struct
    uint64_t size = 0;
    uint64_t offset = 0;     // mmap base offset in the passed fd
};
static_assert(sizeof(RegionInfo) == 32);
inline constexpr uint32_t kRegionFlagRead = 1u << 0;  // [VFIO VFIO_REGION_INFO_FLAG_READ]
inline constexpr uint32_t kRegionFlagWrite = 1u << 1; // [VFIO VFIO_REGION_INFO_FLAG_WRITE]
inline constexpr uint32_t kRegionFlagMmap = 1u << 2;  // [VFIO VFIO_REGION_INFO_FLAG_MMAP]
inline constexpr uint32_t kRegionFlagCaps = 1u << 3;  // [VFIO VFIO_REGION_INFO_FLAG_CAPS]

struct CapHeader { // [VFIO struct vfio_info_cap_header]
    uint16_t id = 0;
    uint16_t version = 0;
    uint32_t next = 0;
};
static_assert(sizeof(CapHeader) == 8);
inline constexpr uint16_t kRegionCapSparseMmap = 1;        // [VFIO VFIO_REGION_INFO_CAP_SPARSE_MMAP]
inline constexpr uint16_t kRegionCapSparseMmapVersion = 1; // [SPEC "VFIO sparse mmap cap header"]

struct SparseMmapHead { // [VFIO struct vfio_region_info_cap_sparse_mmap], after CapHeader
    uint32_t nr_areas = 0;
    uint32_t reserved = 0;
};
static_assert(sizeof(SparseMmapHead) == 8);
struct SparseMmapArea { // [VFIO struct vfio_region_sparse_mmap_area]
    uint64_t offset = 0;
    uint64_t size = 0;
};
static_assert(sizeof(SparseMmapArea) == 16);

// ---- IRQ indices [VFIO enum VFIO_PCI_*_IRQ_INDEX] ----------------------------
inline constexpr uint32_t kPciIntxIrqIndex = 0;
inline constexpr uint32_t kPciMsiIrqIndex = 1;
inline constexpr uint32_t kPciMsixIrqIndex = 2;
inline constexpr uint32_t kPciErrIrqIndex = 3;
inline constexpr uint32_t kPciReqIrqIndex = 4;
inline constexpr uint32_t kPciNumIrqs = 5;

// ---- DEVICE_GET_IRQ_INFO [SPEC; VFIO struct vfio_irq_info] -------------------
struct IrqInfo {
    uint32_t argsz = 0;
    uint32_t flags = 0;
    uint32_t index = 0;
    uint32_t count = 0;
};
static_assert(sizeof(IrqInfo) == 16);
inline constexpr uint32_t kIrqInfoEventfd = 1u << 0;    // [VFIO VFIO_IRQ_INFO_EVENTFD]
inline constexpr uint32_t kIrqInfoMaskable = 1u << 1;   // [VFIO VFIO_IRQ_INFO_MASKABLE]
inline constexpr uint32_t kIrqInfoAutomasked = 1u << 2; // [VFIO VFIO_IRQ_INFO_AUTOMASKED]
inline constexpr uint32_t kIrqInfoNoresize = 1u << 3;   // [VFIO VFIO_IRQ_INFO_NORESIZE]

// ---- DEVICE_SET_IRQS [SPEC; VFIO struct vfio_irq_set] ------------------------
struct IrqSet {
    uint32_t argsz = 0; // whole request payload, data included
    uint32_t flags = 0;
    uint32_t index = 0;
    uint32_t start = 0;
    uint32_t count = 0;
    // DATA_BOOL: `count` bytes follow; DATA_EVENTFD: fds travel as SCM_RIGHTS
};
static_assert(sizeof(IrqSet) == 20);
inline constexpr uint32_t kIrqSetDataNone = 1u << 0;      // [VFIO VFIO_IRQ_SET_DATA_NONE]
inline constexpr uint32_t kIrqSetDataBool = 1u << 1;      // [VFIO VFIO_IRQ_SET_DATA_BOOL]
inline constexpr uint32_t kIrqSetDataEventfd = 1u << 2;   // [VFIO VFIO_IRQ_SET_DATA_EVENTFD]
inline constexpr uint32_t kIrqSetActionMask = 1u << 3;    // [VFIO VFIO_IRQ_SET_ACTION_MASK]
inline constexpr uint32_t kIrqSetActionUnmask = 1u << 4;  // [VFIO VFIO_IRQ_SET_ACTION_UNMASK]
inline constexpr uint32_t kIrqSetActionTrigger = 1u << 5; // [VFIO VFIO_IRQ_SET_ACTION_TRIGGER]
inline constexpr uint32_t kIrqSetDataMask = kIrqSetDataNone | kIrqSetDataBool | kIrqSetDataEventfd;
inline constexpr uint32_t kIrqSetActionMaskAll = kIrqSetActionMask | kIrqSetActionUnmask | kIrqSetActionTrigger;

// ---- REGION_READ / REGION_WRITE [SPEC "Read and Write Operations"] -----------
struct RegionAccess {
    uint64_t offset = 0;
    uint32_t region = 0;
    uint32_t count = 0;
    // REGION_WRITE request and REGION_READ reply: `count` data bytes follow
};
static_assert(sizeof(RegionAccess) == 16);

// ---- DMA_READ / DMA_WRITE (server -> client) [SPEC] ---------------------------
struct DmaAccess {
    uint64_t address = 0;
    uint64_t count = 0;
    // DMA_WRITE request and DMA_READ reply: `count` data bytes follow
};
static_assert(sizeof(DmaAccess) == 16);

// ---- PCI config facts used to size INTx [Linux include/uapi/linux/pci_regs.h] -
inline constexpr uint32_t kPciInterruptPin = 0x3d; // PCI_INTERRUPT_PIN, 1 byte

} // namespace aie4emu::vfio_user::proto
