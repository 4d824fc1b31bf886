#pragma once
// User-mode-queue, ERT command and control-code facts the guest programs write.
//
// Sources (see docs/spec/queue-and-cert.md for the evidence behind each):
//  - XRT 2.25 shim queue v1.0 (libxrt_driver_xdna.so.2.25.00, hwq_umq::hwq_umq,
//    issue_single_exec_buf; xdna-driver src/shim/umq/host_queue.h): §1.1, §4.1, §4.2.
//  - kernel 7.3.4 struct host_queue_header (drivers/accel/amdxdna/aie4_host_queue.h): §1.1.
//  - ERT header/ert_dpu_data (XRT xrt/detail/ert.h, ert_start_kernel_cmd, ERT_START_DPU): §7.
//  - HSA completion codes (xdna-driver host_queue.h): §5.2.
//  - Control-code page format and relocations (aiebu 2.25, run): §8.1–§8.3.

#include <cstdint>

namespace aie4emu::guest::umq {

// ---- queue header, XRT 2.25 layout (host_queue.h v1.0) ----
namespace xrt_v1 {
inline constexpr std::uint32_t header_size = 0x80;
inline constexpr std::uint32_t read_index_offset = 0x00;   // u64, written by the device
inline constexpr std::uint32_t version_major_offset = 0x08; // u16
inline constexpr std::uint32_t version_minor_offset = 0x0A; // u16
inline constexpr std::uint32_t capacity_offset = 0x0C;      // u32
inline constexpr std::uint32_t write_index_offset = 0x40;   // u64
inline constexpr std::uint32_t data_address_offset = 0x78;  // u64 = BO xdna address + header_size
inline constexpr std::uint16_t version_major = 1;
inline constexpr std::uint16_t version_minor = 0;
inline constexpr std::uint32_t capacity = 32;               // nslots immediate in hwctx_umq
// Indirect payload buffers start 0x800 after data_address (32 slots x 64 bytes).
inline constexpr std::uint32_t indirect_offset_from_data = 0x800;
inline constexpr std::uint32_t indirect_uc_count = 6;        // host_indirect_data per slot, one per uC
inline constexpr std::uint32_t indirect_entry_size = 32;     // sizeof(host_indirect_data)
// BO size XRT allocates: 0x80 + 32*64 + 6*32*32 = 0x2080.
inline constexpr std::uint32_t bo_size = header_size + capacity * 64 + indirect_uc_count * capacity * indirect_entry_size;
static_assert(bo_size == 0x2080);
} // namespace xrt_v1

// ---- queue header, kernel 7.3.4 layout (struct host_queue_header, 32 bytes) ----
namespace kernel_v0 {
inline constexpr std::uint32_t header_size = 0x20;
inline constexpr std::uint32_t read_index_offset = 0x00;
inline constexpr std::uint32_t version_major_offset = 0x08;
inline constexpr std::uint32_t version_minor_offset = 0x0A;
inline constexpr std::uint32_t capacity_offset = 0x0C;
inline constexpr std::uint32_t write_index_offset = 0x10;
inline constexpr std::uint32_t data_address_offset = 0x18;
inline constexpr std::uint16_t version_major = 0;
inline constexpr std::uint16_t version_minor = 0;
inline constexpr std::uint32_t capacity = 32;
} // namespace kernel_v0

// ---- 64-byte packet slot (host_queue_packet) ----
inline constexpr std::uint32_t slot_size = 64;
inline constexpr std::uint32_t slot_type_offset = 0x00;             // u8
inline constexpr std::uint32_t slot_opcode_offset = 0x02;           // u8
inline constexpr std::uint32_t slot_chain_flag_offset = 0x03;       // u8
inline constexpr std::uint32_t slot_count_offset = 0x04;            // u16, payload bytes
inline constexpr std::uint32_t slot_distribute_offset = 0x06;       // u8
inline constexpr std::uint32_t slot_indirect_offset = 0x07;         // u8
inline constexpr std::uint32_t slot_completion_signal_offset = 0x08; // u64
inline constexpr std::uint32_t slot_data_offset = 0x10;             // 48 bytes of payload
inline constexpr std::uint8_t slot_type_vendor_specific = 0;        // HOST_QUEUE_PACKET_TYPE_VENDOR_SPECIFIC
inline constexpr std::uint8_t slot_opcode_exec_buf = 1;             // HOST_QUEUE_PACKET_EXEC_BUF
inline constexpr std::uint8_t slot_opcode_test = 2;
inline constexpr std::uint8_t slot_opcode_exit = 3;

// exec_buf (direct payload, 24 bytes) inside slot data.
inline constexpr std::uint32_t exec_buf_size = 24;
inline constexpr std::uint32_t exec_dtrace_low_offset = 0x00;   // u32
inline constexpr std::uint32_t exec_ctrlcode_low_offset = 0x04; // u32 dpu_control_code_host_addr_low
inline constexpr std::uint32_t exec_ctrlcode_high_offset = 0x08; // u32
inline constexpr std::uint32_t exec_args_len_offset = 0x0C;     // u16 (XRT: 0)
inline constexpr std::uint32_t exec_dtrace_high_offset = 0x0E;  // u16
inline constexpr std::uint32_t exec_args_low_offset = 0x10;     // u32 (XRT: 0)
inline constexpr std::uint32_t exec_args_high_offset = 0x14;    // u32 (XRT: 0)

// ---- ERT command BO (ert_start_kernel_cmd + ert_dpu_data) ----
namespace ert {
inline constexpr std::uint32_t state_shift = 0, state_mask = 0xF;        // bits 3:0
inline constexpr std::uint32_t count_shift = 12, count_mask = 0x7FF;     // bits 22:12, payload dwords
inline constexpr std::uint32_t opcode_shift = 23, opcode_mask = 0x1F;    // bits 27:23
inline constexpr std::uint32_t type_shift = 28, type_mask = 0xF;         // bits 31:28
inline constexpr std::uint32_t extra_cu_masks_shift = 10, extra_cu_masks_mask = 0x3; // bits 11:10
inline constexpr std::uint32_t opcode_start_dpu = 18; // ERT_START_DPU
inline constexpr std::uint32_t opcode_cmd_chain = 19; // ERT_CMD_CHAIN
inline constexpr std::uint32_t type_cu = 0;           // ERT_CU
// enum ert_cmd_state
inline constexpr std::uint32_t state_new = 1;
inline constexpr std::uint32_t state_queued = 2;
inline constexpr std::uint32_t state_running = 3;
inline constexpr std::uint32_t state_completed = 4;
inline constexpr std::uint32_t state_error = 5;
inline constexpr std::uint32_t state_abort = 6;
inline constexpr std::uint32_t state_timeout = 8;
// first ert_dpu_data sits after the header word and cu_mask (+4 per extra cu mask).
inline constexpr std::uint32_t dpu_data_offset = 8;
inline constexpr std::uint32_t dpu_data_size = 24;
inline constexpr std::uint32_t dpu_dtrace_offset = 0x00;       // u64
inline constexpr std::uint32_t dpu_instruction_offset = 0x08;  // u64 xdna address of the control code
inline constexpr std::uint32_t dpu_instruction_size_offset = 0x10; // u32
inline constexpr std::uint32_t dpu_uc_index_offset = 0x14;     // u16
inline constexpr std::uint32_t dpu_chained_offset = 0x16;      // u16
// XRT's shim check on the header: ((header >> 16) & 0xF80) == 0x900 <=> opcode 18.
inline constexpr std::uint32_t shim_start_dpu_mask = 0xF80, shim_start_dpu_value = 0x900;
} // namespace ert

// HSA completion word values written by CERT (host_queue.h).
inline constexpr std::uint32_t hsa_completed = 4;     // HSA_CMD_STATE_COMPLETED
constexpr std::uint32_t hsa_error(std::uint32_t code) { return (code << 4) | ert::state_error; } // HSA_ERR
inline constexpr std::uint32_t hsa_invalid_packet = hsa_error(4);

// ---- control code (aiebu aie2ps ISA as used for aie4) ----
namespace ctrlcode {
inline constexpr std::uint32_t page_size = 8192;       // TASK_PAGE_SIZE
inline constexpr std::uint32_t page_header_size = 16;  // PAGE_HEADER_SIZE
inline constexpr std::uint16_t page_marker = 0xFFFF;
inline constexpr std::uint32_t header_marker_offset = 0;
inline constexpr std::uint32_t header_index_offset = 2;
inline constexpr std::uint32_t header_used_length_offset = 8;
inline constexpr std::uint32_t header_next_length_offset = 10;
// Label operands and .rela.dyn r_offset are page offsets minus the page header size.
inline constexpr std::uint32_t label_base = page_header_size;
inline constexpr std::uint8_t op_start_job = 0x00;
inline constexpr std::uint8_t op_uc_dma_write_des_sync = 0x09;
inline constexpr std::uint8_t op_end_job = 0x07;
inline constexpr std::uint8_t op_apply_offset_57 = 0x0E;
inline constexpr std::uint8_t op_eof = 0xFF;
// ELF produced by aiebu-asm -t aie4 (run: 2.25): 32-bit LE, OSABI 0x46, ABI version 2.
inline constexpr std::uint8_t elf_osabi_aie2ps_legacy = 70;
inline constexpr std::uint8_t elf_osabi_aie4 = 75;
// .rela.dyn types (XRT elf_patcher symbol_type).
inline constexpr std::uint32_t reloc_shim_dma_base_addr = 2;      // patch57 (aie2ps)
inline constexpr std::uint32_t reloc_shim_dma_aie4_base_addr = 6; // patch57_aie4
// patch57_aie4: the AIE4 shim DMA sees host memory at xdna address + 2 GiB
// (XRT get_ddr_aie_addr_offset(); 0 under XCL_EMULATION_DEVICE_TARGET=npu3_snl).
inline constexpr std::uint64_t ddr_aie_addr_offset = 0x80000000ULL;
inline constexpr std::uint32_t patch57_aie4_high_mask = 0x1FFFFFF; // BD word 0 bits 24:0 = address bits 56:32
} // namespace ctrlcode

} // namespace aie4emu::guest::umq
