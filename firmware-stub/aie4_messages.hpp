// AIE4 management messages: opcodes, status codes, request and response
// payload layouts (all packed, little-endian).
// Source: Linux 7.3.4 drivers/accel/amdxdna/aie4_msg_priv.h (enum
// aie4_msg_opcode, enum aie4_msg_status, struct aie4_msg_*), and for who
// sends what: aie4_message.c, aie4_sriov.c, aie4_ctx.c, aie4_pci.c.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aie4emu::fw::msg {

// ---- Opcodes (enum aie4_msg_opcode) -------------------------------------------------
enum class Opcode : uint32_t {
    suspend = 0x10003,              // AIE4_MSG_OP_SUSPEND (PF)
    attach_work_buffer = 0x1000D,   // AIE4_MSG_OP_ATTACH_WORK_BUFFER (PF)
    create_vfs = 0x20001,           // AIE4_MSG_OP_CREATE_VFS (PF)
    destroy_vfs = 0x20002,          // AIE4_MSG_OP_DESTROY_VFS (PF)
    create_partition = 0x30001,     // AIE4_MSG_OP_CREATE_PARTITION (VF)
    destroy_partition = 0x30002,    // AIE4_MSG_OP_DESTROY_PARTITION (VF)
    create_hw_context = 0x30003,    // AIE4_MSG_OP_CREATE_HW_CONTEXT (VF)
    destroy_hw_context = 0x30004,   // AIE4_MSG_OP_DESTROY_HW_CONTEXT (VF)
    aie_tile_info = 0x30006,        // AIE4_MSG_OP_AIE_TILE_INFO (VF)
};

// ---- Status, first dword of every response (enum aie4_msg_status) -----------------
enum class Status : uint32_t {
    success = 0x0,   // AIE4_MSG_STATUS_SUCCESS
    error = 0x1,     // AIE4_MSG_STATUS_ERROR
    notsupp = 0x2,   // AIE4_MSG_STATUS_NOTSUPP
};

// ---- Payload layouts (struct aie4_msg_*) ----------------------------------------------
#pragma pack(push, 1)
struct SuspendReq { uint32_t rsvd; };                                   // aie4_msg_suspend_req
struct SuspendResp { uint32_t status; };                                // aie4_msg_suspend_resp
struct AttachWorkBufferReq { uint64_t buff_addr; uint32_t reserved; uint32_t buff_size; }; // aie4_msg_attach_work_buffer_req
struct AttachWorkBufferResp { uint32_t status; };
struct CreateVfsReq { uint32_t vf_cnt; };                               // aie4_msg_create_vfs_req
struct CreateVfsResp { uint32_t status; };
struct DestroyVfsReq { uint32_t rsvd; };                                // aie4_msg_destroy_vfs_req
struct DestroyVfsResp { uint32_t status; };
struct CreatePartitionReq { uint32_t partition_col_start; uint32_t partition_col_count; }; // aie4_msg_create_partition_req
struct CreatePartitionResp { uint32_t status; uint32_t partition_id; };
struct DestroyPartitionReq { uint32_t partition_id; };                  // aie4_msg_destroy_partition_req
struct DestroyPartitionResp { uint32_t status; };
struct CreateHwContextReq {                                              // aie4_msg_create_hw_context_req
    uint32_t partition_id;
    uint32_t request_num_tiles;
    uint32_t hsa_addr_high;   // high half first
    uint32_t hsa_addr_low;
    uint32_t pasid;           // AIE4_MSG_PASID bits 19:0 | AIE4_MSG_PASID_VLD bit 31
    uint32_t priority_band;
};
struct CreateHwContextResp { uint32_t status; uint32_t hw_context_id; uint32_t doorbell_offset; uint32_t job_complete_msix_idx; };
struct DestroyHwContextReq { uint32_t hw_context_id; uint32_t resvd1; }; // aie4_msg_destroy_hw_context_req
struct DestroyHwContextResp { uint32_t status; };
struct TileInfo {                                                        // struct aie4_tile_info
    uint32_t size;
    uint16_t major, minor;
    uint16_t cols, rows;
    uint16_t core_rows, mem_rows, shim_rows;
    uint16_t core_row_start, mem_row_start, shim_row_start;
    uint16_t core_dma_channels, mem_dma_channels, shim_dma_channels;
    uint16_t core_locks, mem_locks, shim_locks;
    uint16_t core_events, mem_events, shim_events;
    uint16_t resvd;
};
struct TileInfoReq { uint32_t resvd; };                                 // aie4_msg_aie4_tile_info_req
struct TileInfoResp { uint32_t status; TileInfo info; };                // aie4_msg_aie4_tile_info_resp
#pragma pack(pop)

static_assert(sizeof(SuspendReq) == 4 && sizeof(SuspendResp) == 4);
static_assert(sizeof(AttachWorkBufferReq) == 16 && sizeof(AttachWorkBufferResp) == 4);
static_assert(sizeof(CreateVfsReq) == 4 && sizeof(CreateVfsResp) == 4);
static_assert(sizeof(DestroyVfsReq) == 4 && sizeof(DestroyVfsResp) == 4);
static_assert(sizeof(CreatePartitionReq) == 8 && sizeof(CreatePartitionResp) == 8);
static_assert(sizeof(DestroyPartitionReq) == 4 && sizeof(DestroyPartitionResp) == 4);
static_assert(sizeof(CreateHwContextReq) == 24 && sizeof(CreateHwContextResp) == 16);
static_assert(sizeof(DestroyHwContextReq) == 8 && sizeof(DestroyHwContextResp) == 4);
static_assert(sizeof(TileInfoReq) == 4 && sizeof(TileInfoResp) == 48);
static_assert(offsetof(TileInfo, resvd) == 42 && offsetof(TileInfoResp, info) == 4);
static_assert(offsetof(CreateHwContextReq, hsa_addr_low) == 12 && offsetof(CreateHwContextReq, pasid) == 16);

// PASID field of CREATE_HW_CONTEXT (aie4_msg_priv.h AIE4_MSG_PASID, AIE4_MSG_PASID_VLD).
inline constexpr uint32_t kPasidMask = 0x000FFFFF;
inline constexpr uint32_t kPasidValid = 0x80000000;
// All-ones PASID: the client has none (amdxdna client->pasid = -1; force_iova or
// carveout): DMA is untagged (docs/spec/driver-interface.md §5.1).
inline constexpr uint32_t kPasidNone = kPasidMask;

// ATTACH_WORK_BUFFER minimum size (aie4_msg_priv.h AIE4_WORK_BUFFER_MIN_SIZE = SZ_4M).
inline constexpr uint32_t kWorkBufferMinSize = 4u * 1024 * 1024;
// Columns the VF driver asks for in CREATE_PARTITION (aie4_pci.c AIE4_TOTAL_COLUMN).
inline constexpr uint32_t kVfPartitionColumns = 3;

// Which function may send an opcode (aie4_message.c / aie4_sriov.c: PF;
// aie4_ctx.c / aie4_pci.c aie4_vf_init: VF).
enum class Sender { pf, vf };

struct OpcodeInfo {
    Opcode opcode;
    std::string_view name;
    Sender sender;
    uint32_t request_size;
    uint32_t response_size;
};

inline constexpr OpcodeInfo kOpcodes[] = {
    {Opcode::suspend, "SUSPEND", Sender::pf, sizeof(SuspendReq), sizeof(SuspendResp)},
    {Opcode::attach_work_buffer, "ATTACH_WORK_BUFFER", Sender::pf, sizeof(AttachWorkBufferReq),
     sizeof(AttachWorkBufferResp)},
    {Opcode::create_vfs, "CREATE_VFS", Sender::pf, sizeof(CreateVfsReq), sizeof(CreateVfsResp)},
    {Opcode::destroy_vfs, "DESTROY_VFS", Sender::pf, sizeof(DestroyVfsReq), sizeof(DestroyVfsResp)},
    {Opcode::create_partition, "CREATE_PARTITION", Sender::vf, sizeof(CreatePartitionReq),
     sizeof(CreatePartitionResp)},
    {Opcode::destroy_partition, "DESTROY_PARTITION", Sender::vf, sizeof(DestroyPartitionReq),
     sizeof(DestroyPartitionResp)},
    {Opcode::create_hw_context, "CREATE_HW_CONTEXT", Sender::vf, sizeof(CreateHwContextReq),
     sizeof(CreateHwContextResp)},
    {Opcode::destroy_hw_context, "DESTROY_HW_CONTEXT", Sender::vf, sizeof(DestroyHwContextReq),
     sizeof(DestroyHwContextResp)},
    {Opcode::aie_tile_info, "AIE_TILE_INFO", Sender::vf, sizeof(TileInfoReq), sizeof(TileInfoResp)},
};

constexpr const OpcodeInfo* find_opcode(uint32_t opcode)
{
    for (const auto& info : kOpcodes)
        if (static_cast<uint32_t>(info.opcode) == opcode)
            return &info;
    return nullptr;
}

// Response payload size of an unknown opcode: status only (emulator choice;
// the driver never sends one, so nothing checks it).
inline constexpr uint32_t kUnknownOpcodeResponseSize = 4;
// Largest response payload (AIE_TILE_INFO).
inline constexpr uint32_t kMaxResponseSize = sizeof(TileInfoResp);

constexpr std::string_view status_name(Status s)
{
    switch (s) {
    case Status::success: return "SUCCESS";
    case Status::error: return "ERROR";
    case Status::notsupp: return "NOTSUPP";
    }
    return "?";
}

} // namespace aie4emu::fw::msg
