// Management mailbox transport facts: the mailbox_info block in SRAM, the
// 16-byte package header, message ids, the wrap marker, ring rules.
// Sources (Linux 7.3.4 drivers/accel/amdxdna): aie4_pci.c struct mailbox_info;
// npu3_regs.c npu3_fw_feature_table; amdxdna_mailbox.c struct xdna_msg_header,
// MSG_BODY_SZ, MSG_PROTO_VER, MSG_PROTOCOL_VERSION, MAGIC_VAL, MAGIC_VAL_MASK,
// MAX_MSG_ID_ENTRIES, TOMBSTONE, mailbox_send_msg, mailbox_get_msg.
// BAR placement of the pointer registers and the rings is the device's
// (hw/npu3/npu3_regs.hpp); the firmware publishes those values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/npu3/npu3_regs.hpp"

namespace aie4emu::fw::mbox {

// ---- mailbox_info (aie4_pci.c struct mailbox_info; 16 dwords at BAR2 + 0) ----------
struct MailboxInfo {
    uint32_t valid;            // 1 once the firmware is up (aie4_fw_is_alive polls for exactly 1)
    uint32_t protocol_major;   // must equal kProtocolMajor
    uint32_t protocol_minor;   // must be >= kProtocolMinMinor
    uint32_t x2i_tail_offset;  // BAR0 byte offset
    uint32_t x2i_head_offset;  // BAR0 byte offset
    uint32_t x2i_buffer_addr;  // BAR2 byte offset
    uint32_t x2i_buffer_size;  // power of two (xdna_mailbox_start_channel)
    uint32_t i2x_tail_offset;
    uint32_t i2x_head_offset;
    uint32_t i2x_buffer_addr;
    uint32_t i2x_buffer_size;
    uint32_t i2x_msi_idx;      // MSI-X vector of responses
    uint32_t reserved[4];
};
static_assert(sizeof(MailboxInfo) == npu3::regs::kMboxInfoSize);
static_assert(offsetof(MailboxInfo, valid) == npu3::regs::kInfoValid);
static_assert(offsetof(MailboxInfo, protocol_major) == npu3::regs::kInfoProtocolMajor);
static_assert(offsetof(MailboxInfo, protocol_minor) == npu3::regs::kInfoProtocolMinor);
static_assert(offsetof(MailboxInfo, x2i_tail_offset) == npu3::regs::kInfoX2iTailOffset);
static_assert(offsetof(MailboxInfo, x2i_head_offset) == npu3::regs::kInfoX2iHeadOffset);
static_assert(offsetof(MailboxInfo, x2i_buffer_addr) == npu3::regs::kInfoX2iBufferAddr);
static_assert(offsetof(MailboxInfo, x2i_buffer_size) == npu3::regs::kInfoX2iBufferSize);
static_assert(offsetof(MailboxInfo, i2x_tail_offset) == npu3::regs::kInfoI2xTailOffset);
static_assert(offsetof(MailboxInfo, i2x_head_offset) == npu3::regs::kInfoI2xHeadOffset);
static_assert(offsetof(MailboxInfo, i2x_buffer_addr) == npu3::regs::kInfoI2xBufferAddr);
static_assert(offsetof(MailboxInfo, i2x_buffer_size) == npu3::regs::kInfoI2xBufferSize);
static_assert(offsetof(MailboxInfo, i2x_msi_idx) == npu3::regs::kInfoI2xMsiIdx);

inline constexpr uint32_t kInfoValid = 1;          // aie4_pci.c aie4_fw_is_alive: fw_is_valid == 0x1
inline constexpr uint32_t kProtocolMajor = 5;      // npu3_regs.c npu3_fw_feature_table .major
inline constexpr uint32_t kProtocolMinMinor = 10;  // npu3_regs.c npu3_fw_feature_table .min_minor
inline constexpr uint32_t kProtocolMinor = 10;     // what we publish (emulator choice: the minimum accepted)

// MSI-X vector of management responses. Emulator choice (docs/spec/driver-interface.md §4.1
// recommends 0); hw/npu3/npu3_regs.hpp does not define it.
// TODO: take from hw/npu3/npu3_regs.hpp once the device names it.
inline constexpr uint32_t kI2xMsiIdx = 0;

// ---- Package header (amdxdna_mailbox.c struct xdna_msg_header, packed) ------------
struct MsgHeader {
    uint32_t total_size;  // payload bytes, header excluded
    uint32_t sz_ver;      // MSG_BODY_SZ | MSG_PROTO_VER
    uint32_t id;          // MAGIC_VAL | slot
    uint32_t opcode;
};
inline constexpr uint32_t kHeaderSize = 16;                 // static_assert in amdxdna_mailbox.c
static_assert(sizeof(MsgHeader) == kHeaderSize);
inline constexpr uint32_t kHeaderTotalSize = 0x0;
inline constexpr uint32_t kHeaderSzVer = 0x4;
inline constexpr uint32_t kHeaderId = 0x8;
inline constexpr uint32_t kHeaderOpcode = 0xC;

// sz_ver: bits 10:0 payload size, bits 23:16 protocol version.
inline constexpr uint32_t kSzVerBodyMask = 0x7FF;           // MSG_BODY_SZ GENMASK(10, 0)
inline constexpr unsigned kSzVerProtoShift = 16;            // MSG_PROTO_VER GENMASK(23, 16)
inline constexpr uint32_t kSzVerProtoMask = 0xFF;
inline constexpr uint32_t kMsgProtocolVersion = 1;          // MSG_PROTOCOL_VERSION
constexpr uint32_t make_sz_ver(uint32_t payload_bytes)
{
    return (payload_bytes & kSzVerBodyMask) | (kMsgProtocolVersion << kSzVerProtoShift);
}
constexpr uint32_t sz_ver_body(uint32_t sz_ver) { return sz_ver & kSzVerBodyMask; }
constexpr uint32_t sz_ver_proto(uint32_t sz_ver) { return (sz_ver >> kSzVerProtoShift) & kSzVerProtoMask; }

// Message id: the driver allocates slot 0..255 cyclically per channel and ORs
// the magic into the top byte; a response must echo it.
inline constexpr uint32_t kIdMagic = 0x1D000000;            // MAGIC_VAL
inline constexpr uint32_t kIdMagicMask = 0xFF000000;        // MAGIC_VAL_MASK
inline constexpr uint32_t kIdSlots = 256;                   // MAX_MSG_ID_ENTRIES
constexpr bool id_valid(uint32_t id) { return (id & kIdMagicMask) == kIdMagic; }
constexpr uint32_t make_id(uint32_t slot) { return kIdMagic | (slot % kIdSlots); }

// Wrap marker: a dword of this value at the read position means "continue at
// offset 0". Also never a request's first payload dword (xdna_mailbox_send_msg).
inline constexpr uint32_t kTombstone = 0xDEADFACE;          // TOMBSTONE

// Ring rules (amdxdna_mailbox.c):
// - x2i: the producer (host) keeps 4 bytes spare so a tombstone always fits
//   (mailbox_send_msg: ringbuf_size - sizeof(u32)); its tail stays <= size - 4.
// - i2x: tail must be 4-aligned and <= size; a package must be contiguous; a
//   tombstone is only valid when read position >= tail (mailbox_get_msg).
inline constexpr uint32_t kX2iReserve = 4;
inline constexpr uint32_t kAlign = 4;

} // namespace aie4emu::fw::mbox
