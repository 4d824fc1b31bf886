#pragma once
// amdxdna uAPI facts needed by the guest programs: ioctl numbers and struct layouts.
//
// Every fact below was read from the upstream header include/uapi/drm/amdxdna_accel.h
// (linux 7.3.4+deb13, /root/.cache/aie4emu/amdxdna-src) and drm.h; the symbol each one
// mirrors is named next to it. This is our own description of the ABI, not a copy of the
// header: the static_asserts pin every size and offset so a mismatch fails the build.

#include <cstddef>
#include <cstdint>

namespace aie4emu::guest::uapi {

// ---- ioctl number encoding (asm-generic/ioctl.h: _IOC(dir, type, nr, size)) ----
inline constexpr std::uint32_t ioc_none = 0;
inline constexpr std::uint32_t ioc_write = 1;  // _IOC_WRITE
inline constexpr std::uint32_t ioc_read = 2;   // _IOC_READ

constexpr std::uint32_t ioc(std::uint32_t dir, std::uint32_t type, std::uint32_t nr, std::uint32_t size)
{
    return (dir << 30) | (size << 16) | (type << 8) | nr;
}

inline constexpr std::uint32_t drm_ioctl_base = 'd';   // DRM_IOCTL_BASE
inline constexpr std::uint32_t drm_command_base = 0x40; // DRM_COMMAND_BASE

// enum amdxdna_drm_ioctl_id (driver-private ioctl indices, added to DRM_COMMAND_BASE).
enum class IoctlId : std::uint32_t {
    create_hwctx = 0,  // DRM_AMDXDNA_CREATE_HWCTX
    destroy_hwctx = 1, // DRM_AMDXDNA_DESTROY_HWCTX
    config_hwctx = 2,  // DRM_AMDXDNA_CONFIG_HWCTX
    create_bo = 3,     // DRM_AMDXDNA_CREATE_BO
    get_bo_info = 4,   // DRM_AMDXDNA_GET_BO_INFO
    sync_bo = 5,       // DRM_AMDXDNA_SYNC_BO
    exec_cmd = 6,      // DRM_AMDXDNA_EXEC_CMD
    get_info = 7,      // DRM_AMDXDNA_GET_INFO
    set_state = 8,     // DRM_AMDXDNA_SET_STATE
    wait_cmd = 9,      // DRM_AMDXDNA_WAIT_CMD
    get_array = 10,    // DRM_AMDXDNA_GET_ARRAY
};

constexpr std::uint32_t amdxdna_ioctl(std::uint32_t dir, IoctlId id, std::uint32_t size)
{
    return ioc(dir, drm_ioctl_base, drm_command_base + static_cast<std::uint32_t>(id), size);
}

// ---- constants ----
inline constexpr std::uint32_t invalid_bo_handle = 0;             // AMDXDNA_INVALID_BO_HANDLE
inline constexpr std::uint32_t invalid_ctx_handle = 0;            // AMDXDNA_INVALID_CTX_HANDLE
inline constexpr std::uint32_t invalid_doorbell_offset = ~0U;     // AMDXDNA_INVALID_DOORBELL_OFFSET
inline constexpr std::uint64_t invalid_addr = ~0ULL;              // AMDXDNA_INVALID_ADDR

// enum amdxdna_device_type: the value in sysfs <pci device>/device_type.
enum class DeviceType : int {
    kmq = 0, // AMDXDNA_DEV_TYPE_KMQ
    umq = 1, // AMDXDNA_DEV_TYPE_UMQ (an AIE4 VF)
    pf = 2,  // AMDXDNA_DEV_TYPE_PF
};

// enum amdxdna_bo_type
enum class BoType : std::uint32_t {
    invalid = 0,  // AMDXDNA_BO_INVALID
    share = 1,    // AMDXDNA_BO_SHARE (== AMDXDNA_BO_SHMEM)
    dev_heap = 2, // AMDXDNA_BO_DEV_HEAP
    dev = 3,      // AMDXDNA_BO_DEV
    cmd = 4,      // AMDXDNA_BO_CMD
};

// enum amdxdna_drm_get_param (only QUERY_AIE_METADATA is answered by an AIE4 VF).
inline constexpr std::uint32_t query_aie_metadata = 1; // DRM_AMDXDNA_QUERY_AIE_METADATA

// struct amdxdna_qos_info
struct QosInfo {
    std::uint32_t gops;
    std::uint32_t fps;
    std::uint32_t dma_bandwidth;
    std::uint32_t latency;
    std::uint32_t frame_exec_time;
    std::uint32_t priority;
};
static_assert(sizeof(QosInfo) == 24);

// struct amdxdna_drm_create_hwctx
struct CreateHwctx {
    std::uint64_t ext;
    std::uint64_t ext_flags;
    std::uint64_t qos_p;
    std::uint32_t umq_bo;
    std::uint32_t log_buf_bo;
    std::uint32_t max_opc;
    std::uint32_t num_tiles;
    std::uint32_t mem_size;
    std::uint32_t umq_doorbell; // out
    std::uint32_t handle;       // out
    std::uint32_t syncobj_handle; // out
};
static_assert(sizeof(CreateHwctx) == 56);
static_assert(offsetof(CreateHwctx, qos_p) == 16);
static_assert(offsetof(CreateHwctx, umq_bo) == 24);
static_assert(offsetof(CreateHwctx, num_tiles) == 36);
static_assert(offsetof(CreateHwctx, umq_doorbell) == 44);
static_assert(offsetof(CreateHwctx, handle) == 48);

// struct amdxdna_drm_destroy_hwctx
struct DestroyHwctx {
    std::uint32_t handle;
    std::uint32_t pad;
};
static_assert(sizeof(DestroyHwctx) == 8);

// struct amdxdna_drm_create_bo
struct CreateBo {
    std::uint64_t flags;
    std::uint64_t vaddr;
    std::uint64_t size;
    std::uint32_t type;
    std::uint32_t handle; // out
};
static_assert(sizeof(CreateBo) == 32);
static_assert(offsetof(CreateBo, size) == 16);
static_assert(offsetof(CreateBo, type) == 24);
static_assert(offsetof(CreateBo, handle) == 28);

// struct amdxdna_drm_get_bo_info
struct GetBoInfo {
    std::uint64_t ext;
    std::uint64_t ext_flags;
    std::uint32_t handle;
    std::uint32_t pad;
    std::uint64_t map_offset; // out
    std::uint64_t vaddr;      // out
    std::uint64_t xdna_addr;  // out
};
static_assert(sizeof(GetBoInfo) == 48);
static_assert(offsetof(GetBoInfo, handle) == 16);
static_assert(offsetof(GetBoInfo, map_offset) == 24);
static_assert(offsetof(GetBoInfo, xdna_addr) == 40);

// struct amdxdna_drm_sync_bo
struct SyncBo {
    std::uint32_t handle;
    std::uint32_t direction; // SYNC_DIRECT_TO_DEVICE 0 / SYNC_DIRECT_FROM_DEVICE 1
    std::uint64_t offset;
    std::uint64_t size;
};
static_assert(sizeof(SyncBo) == 24);

// struct amdxdna_drm_wait_cmd
struct WaitCmd {
    std::uint32_t hwctx;
    std::uint32_t timeout; // ms, 0 = forever
    std::uint64_t seq;
};
static_assert(sizeof(WaitCmd) == 16);
static_assert(offsetof(WaitCmd, seq) == 8);

// struct amdxdna_drm_get_info
struct GetInfo {
    std::uint32_t param;
    std::uint32_t buffer_size;
    std::uint64_t buffer;
};
static_assert(sizeof(GetInfo) == 16);

// struct amdxdna_drm_query_aie_tile_metadata
struct AieTileMetadata {
    std::uint16_t row_count;
    std::uint16_t row_start;
    std::uint16_t dma_channel_count;
    std::uint16_t lock_count;
    std::uint16_t event_reg_count;
    std::uint16_t pad[3];
};
static_assert(sizeof(AieTileMetadata) == 16);

// struct amdxdna_drm_query_aie_version
struct AieVersion {
    std::uint32_t major;
    std::uint32_t minor;
};

// struct amdxdna_drm_query_aie_metadata
struct AieMetadata {
    std::uint32_t col_size;
    std::uint16_t cols;
    std::uint16_t rows;
    AieVersion version;
    AieTileMetadata core;
    AieTileMetadata mem;
    AieTileMetadata shim;
};
static_assert(sizeof(AieMetadata) == 64);
static_assert(offsetof(AieMetadata, cols) == 4);
static_assert(offsetof(AieMetadata, version) == 8);
static_assert(offsetof(AieMetadata, core) == 16);
static_assert(offsetof(AieMetadata, mem) == 32);
static_assert(offsetof(AieMetadata, shim) == 48);

// struct drm_gem_close (drm.h)
struct GemClose {
    std::uint32_t handle;
    std::uint32_t pad;
};
static_assert(sizeof(GemClose) == 8);

// ---- ioctl numbers ----
// DRM_IOCTL_AMDXDNA_* are all DRM_IOWR except WAIT_CMD, which the kernel defines as DRM_IOW.
inline constexpr std::uint32_t ioctl_create_hwctx =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::create_hwctx, sizeof(CreateHwctx));
inline constexpr std::uint32_t ioctl_destroy_hwctx =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::destroy_hwctx, sizeof(DestroyHwctx));
inline constexpr std::uint32_t ioctl_create_bo =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::create_bo, sizeof(CreateBo));
inline constexpr std::uint32_t ioctl_get_bo_info =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::get_bo_info, sizeof(GetBoInfo));
inline constexpr std::uint32_t ioctl_sync_bo =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::sync_bo, sizeof(SyncBo));
inline constexpr std::uint32_t ioctl_get_info =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::get_info, sizeof(GetInfo));
// DRM_IOCTL_AMDXDNA_WAIT_CMD as the kernel header defines it (_IOW).
inline constexpr std::uint32_t ioctl_wait_cmd_kernel = amdxdna_ioctl(ioc_write, IoctlId::wait_cmd, sizeof(WaitCmd));
// The number XRT 2.25's shim really issues (_IOWR); DRM dispatches on nr and accepts it
// (docs/spec/queue-and-cert.md §6.1).
inline constexpr std::uint32_t ioctl_wait_cmd_xrt =
    amdxdna_ioctl(ioc_read | ioc_write, IoctlId::wait_cmd, sizeof(WaitCmd));
// DRM_IOCTL_GEM_CLOSE = DRM_IOW(0x09, struct drm_gem_close)
inline constexpr std::uint32_t ioctl_gem_close = ioc(ioc_write, drm_ioctl_base, 0x09, sizeof(GemClose));

// Numbers cross-checked against docs/spec/driver-interface.md §7 and docs/spec/queue-and-cert.md §6.1.
static_assert(ioctl_create_hwctx == 0xC0386440U);
static_assert(ioctl_destroy_hwctx == 0xC0086441U);
static_assert(ioctl_create_bo == 0xC0206443U);
static_assert(ioctl_get_bo_info == 0xC0306444U);
static_assert(ioctl_sync_bo == 0xC0186445U);
static_assert(ioctl_get_info == 0xC0106447U);
static_assert(ioctl_wait_cmd_kernel == 0x40106449U);
static_assert(ioctl_wait_cmd_xrt == 0xC0106449U);
static_assert(ioctl_gem_close == 0x40086409U);

// Device-side limits the guest must respect.
inline constexpr std::uint32_t ctx_max_cmds = 32; // CTX_MAX_CMDS (drivers/accel/amdxdna/aie4_host_queue.h)

} // namespace aie4emu::guest::uapi
