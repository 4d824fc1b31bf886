// Facts of the user-mode queue CERT serves: queue header layouts, the packet
// slot, the EXEC_BUF payloads and the completion codes. Each fact names its
// source; bare section numbers below are sections of docs/spec/queue-and-cert.md, where
// the evidence (binary / source / inferred) is recorded.
//
//   [shim-bin]  Debian libxrt_driver_xdna.so.2.25.00 (hwq_umq::hwq_umq,
//               issue_single_exec_buf), read by the doc's author (§1.1, §4)
//   [host_queue.h] xdna-driver src/shim/umq/host_queue.h (struct host_queue_packet,
//               common_header, exec_buf, host_indirect_packet_entry, HSA_* codes)
//   [kernel]    linux 7.3.4 drivers/accel/amdxdna/aie4_host_queue.h (struct
//               host_queue_header) and aie4_hwctx.c (CTX_MAX_CMDS)
//   [ert.h]     XRT xrt/detail/ert.h (ert_cmd_state)
//   [inferred]  nobody wrote it down; reasoned in the doc section named
//   [ours]      an emulator choice
#pragma once

#include <cstdint>

namespace aie4emu::fw::cert::umq {

// ---- queue header -------------------------------------------------------------------
// Common to both layouts [kernel][shim-bin]: read_index u64 @0, version.major u16 @8,
// version.minor u16 @0xA, capacity u32 @0xC (power of two).
inline constexpr uint32_t kReadIndexOffset = 0x00;
inline constexpr uint32_t kVersionMajorOffset = 0x08;
inline constexpr uint32_t kVersionMinorOffset = 0x0A;
inline constexpr uint32_t kCapacityOffset = 0x0C;
inline constexpr uint32_t kCommonHeaderBytes = 0x10;

struct HeaderLayout {
    uint16_t major;                 // version.major that selects it (docs/spec/queue-and-cert.md §1.3 [inferred])
    uint32_t write_index_offset;    // u64
    uint32_t data_address_offset;   // u64: device address of slot 0
    uint32_t size;                  // header bytes
};
// XRT 2.25 queue v1.0: write_index @0x40, data_address @0x78, 128 bytes [shim-bin] (§1.1).
inline constexpr HeaderLayout kXrtV1Layout{1, 0x40, 0x78, 0x80};
// Kernel 7.3.4 struct host_queue_header: write_index @0x10, data_address @0x18, 32 bytes
// [kernel] (§1.1); also what older shims wrote with version left 0.
inline constexpr HeaderLayout kKernelLayout{0, 0x10, 0x18, 0x20};
// Where the kernel reads write_index: CERT mirrors the v1.0 write_index here (§1.3 [inferred]).
inline constexpr uint32_t kKernelWriteIndexOffset = kKernelLayout.write_index_offset;

// The kernel's sanity bound on outstanding packets: CTX_MAX_CMDS [kernel] (docs/spec/driver-interface.md §6.3).
inline constexpr uint64_t kKernelMaxOutstanding = 32;
// Largest capacity CERT accepts [ours]: XRT uses 32; anything beyond 64 Ki slots is garbage.
inline constexpr uint32_t kMaxCapacity = 1u << 16;

// ---- packet slot (struct host_queue_packet, 64 bytes) [host_queue.h] ------------------
inline constexpr uint32_t kSlotBytes = 64;
inline constexpr uint32_t kSlotTypeOffset = 0x00;        // u8
inline constexpr uint32_t kSlotOpcodeOffset = 0x02;      // u8
inline constexpr uint32_t kSlotChainFlagOffset = 0x03;   // u8: 1 = more commands of this chain follow
inline constexpr uint32_t kSlotCountOffset = 0x04;       // u16: payload bytes after the 16-byte header
inline constexpr uint32_t kSlotDistributeOffset = 0x06;  // u8
inline constexpr uint32_t kSlotIndirectOffset = 0x07;    // u8
inline constexpr uint32_t kSlotCompletionOffset = 0x08;  // u64 completion_signal
inline constexpr uint32_t kSlotDataOffset = 0x10;        // u32 data[12]
inline constexpr uint32_t kSlotDataBytes = 48;

inline constexpr uint8_t kPacketTypeVendorSpecific = 0;  // HOST_QUEUE_PACKET_TYPE_VENDOR_SPECIFIC
inline constexpr uint8_t kPacketTypeInvalid = 1;         // HOST_QUEUE_PACKET_TYPE_INVALID
inline constexpr uint8_t kOpcodeExecBuf = 1;             // HOST_QUEUE_PACKET_EXEC_BUF
inline constexpr uint8_t kOpcodeTest = 2;                // HOST_QUEUE_PACKET_TEST
inline constexpr uint8_t kOpcodeExit = 3;                // HOST_QUEUE_PACKET_EXIT

// ---- struct exec_buf (24 bytes) [host_queue.h], field use by XRT 2.25 [shim-bin] (§4.2) ----
inline constexpr uint32_t kExecBufBytes = 24;
inline constexpr uint32_t kExecDtraceLowOffset = 0x00;   // u32 (XRT: dtrace buffer low)
inline constexpr uint32_t kExecCodeLowOffset = 0x04;     // u32 dpu_control_code_host_addr_low
inline constexpr uint32_t kExecCodeHighOffset = 0x08;    // u32 dpu_control_code_host_addr_high
inline constexpr uint32_t kExecArgsLenOffset = 0x0C;     // u16 (XRT 2.25: always 0)
inline constexpr uint32_t kExecDtraceHighOffset = 0x0E;  // u16
inline constexpr uint32_t kExecArgsLowOffset = 0x10;     // u32 (XRT 2.25: 0)
inline constexpr uint32_t kExecArgsHighOffset = 0x14;    // u32 (XRT 2.25: 0)

// ---- indirect payload [host_queue.h] ----------------------------------------------------
// Entry: u32 host_addr_low; u32 host_addr_high:25 | uc_index:7 << 25.
inline constexpr uint32_t kIndirectEntryBytes = 8;
inline constexpr uint32_t kIndirectAddrHighMask = 0x01FFFFFF;
inline constexpr unsigned kIndirectUcShift = 25;
inline constexpr unsigned kMaxIndirectEntries = 6;       // HSA_MAX_LEVEL1_INDIRECT_ENTRIES
inline constexpr uint32_t kInvalidIndirectAddr = 0xFFFFFFFF;   // INVALID_INDIRECT_ADDR (entry unused [inferred])
inline constexpr unsigned kMaxUcIndex = 5;               // XRT throws above 5 [shim-bin] (§4.2)
// struct host_indirect_data: 8-byte common_header, then exec_buf.
inline constexpr uint32_t kIndirectDataHeaderBytes = 8;
inline constexpr uint32_t kIndirectDataBytes = kIndirectDataHeaderBytes + kExecBufBytes;

// ---- completion word (docs/spec/queue-and-cert.md §5.2) -------------------------------------------------------------
// enum hsa_cmd_state [host_queue.h] = ert_cmd_state [ert.h].
inline constexpr uint32_t kStateCompleted = 4;   // HSA_CMD_STATE_COMPLETED
inline constexpr uint32_t kStateError = 5;       // HSA_CMD_STATE_ERROR
inline constexpr uint32_t kStateAbort = 6;       // HSA_CMD_STATE_ABORT
inline constexpr uint32_t kStateTimeout = 8;     // HSA_CMD_STATE_TIMEOUT
inline constexpr uint32_t kStateMask = 0xF;      // XRT reads the low 4 bits; >= 4 is final (§5.2)
// HSA_ERR(e) = e << 4 | HSA_CMD_STATE_ERROR [host_queue.h].
constexpr uint32_t hsa_error(uint32_t e) { return (e << 4) | kStateError; }
inline constexpr uint32_t kExitPacket = hsa_error(0);     // HSA_EXIT_PKT
inline constexpr uint32_t kInvalidPacket = hsa_error(4);  // HSA_INVALID_PKT
// Per-uC codes: HSA_ERR(self_id * 100 + k), self_id = the uC's index [host_queue.h].
inline constexpr uint32_t kErrPdiNoMapping = 1;    // HSA_PDI_LOAD_NO_MAPPING
inline constexpr uint32_t kErrPdiLoadFailure = 2;  // HSA_PDI_LOAD_FAILURE
inline constexpr uint32_t kErrInvalidOpcode = 3;   // HSA_INVALID_OPCODE
inline constexpr uint32_t kErrInvalidPage = 5;     // HSA_INVALID_PAGE
inline constexpr uint32_t kErrPacketTimeout = 6;   // HSA_PKT_TIMEOUT
// Emulator codes in the same scheme for failures host_queue.h has no name for [ours]:
inline constexpr uint32_t kErrArrayFault = 7;      // the array reported an error on the partition's columns
inline constexpr uint32_t kErrBadAccess = 8;       // control code touched an address outside its partition
                                                   // or a handle/register it does not own
constexpr uint32_t uc_error(unsigned uc, uint32_t k) { return hsa_error(uc * 100 + k); }

} // namespace aie4emu::fw::cert::umq
