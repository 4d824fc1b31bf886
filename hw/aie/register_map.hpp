// AIE4 array register map: THE one place that says where each block lives.
// Address of a register = col << 25 | address_row << 20 | offset.
//
// AIE4's map is not public (docs/spec/array.md §A.2). Each entry
// is marked with its provenance so a real map can replace this file:
//   [AIE4-inf]  inferred from AMD's published AIE4 control code (§A.2b)
//   [AIE-ML]    AIE-ML (AM020/AM025, aie-rt xaiemlgbl_params.h) offset (§A.3)
//   [ours]      our own choice, fitted around the evidence; no source
//
// Row remap [AIE4, aie-codegen xaie_helper.c XAie_GetTileAddr]: the memory
// tile takes 5 address rows (row R, and R*5-4 for later memory rows); compute
// rows move up by 4 per memory row, so logical row 2 is address row 6.
// Memory-tile data lives in the 4 address rows after its register row [ours:
// fits the 5-slot remap and the 4 MB generic / 3 MB Medusa size].
//
// BD formats (all [ours] except words 0/1 of the shim BD):
//  9-word BD (shim, compute tile); 11-word BD (memory tile) = the same 9 words + 2 reserved.
//   w0 [24:0] address bits 56:32           [XRT patch57_aie4: word0[24:0] = addr 56:32]
//   w1        address bits 31:0 (bytes)     [XRT patch57_aie4: word1 = addr 31:0]
//             shim: host address + CostParams::shim_host_address_offset; others: tile-local byte address
//   w2        length in 32-bit words
//   w3..w5    D0..D2: wrap[31:20] (count, 0 = dimension unused) | step-1 [19:0] (words)
//   w6        D3 step-1 [19:0] | iteration wrap-1 [25:20] | iteration current [31:26]
//   w7        iteration step-1 [19:0] | next_bd [27:20] | use_next [28] | valid [31]
//   w8        acq_en [31] | acq_val [30:24] (7-bit signed) | acq_id [23:16]
//             | rel_val [14:8] (7-bit signed, 0 = no release) | rel_id [7:0]
//   w9, w10   (memory tile only) reserved, stored, not interpreted
//  Lock values: acquire v < 0 = acquire_greater_equal(-v) (state >= -v, then state += v);
//  v >= 0 = acquire_equal(v) (state == v, unchanged); release adds rel_val [AIE-ML, mlir-aie
//  negates AcquireGreaterEqual values for AIE2].
//
// Channel registers:
//   CTRL       reset [1] [AIE-ML]; other bits stored
//   TASK QUEUE (CTRL+4) token [31] | repeat_count [23:16] | start_bd [7:0] [AIE-ML field
//              positions; start_bd widened to 8 bits, ours]
//   STATUS     state [1:0] | stalled_lock_acq [2] | stalled_lock_rel [3] | stream_starvation [4]
//              | stalled_tct [5] | error [10] | running [19] | queue_size [24:20] | cur_bd [31:26]
//              [ours, fitted so that the control-code idle poll mask 0x01F8003C == 0 means idle]
//   Lock request (read performs it, bit0 = success): base + id*0x400 + (acquire ? 0x200 : 0)
//              + ((value & 0x7F) << 2) [AIE-ML aie-codegen xaie_locks_aieml.c]
//   Stream switch master m at ss_master + 4m: enable [31] | packet [30] | slave [4:0];
//              slave s at ss_slave + 4s: enable [31] [AIE-ML AM025]
//   Core control: enable [0] | reset [1]; core status: done [20] | error_halt [19] | running [0]
//              [AIE-ML bit positions; AIE4 address 0xA3000 inferred, status at +4 ours]
#pragma once

#include <cstdint>

namespace aie4emu::aie::regs {

inline constexpr unsigned kBdStride = 0x30;              // [AIE4-inf] 0x18000 + n*0x30
inline constexpr unsigned kShimBdWords = 9;              // [AIE4-inf] UC-DMA BD length 9
inline constexpr unsigned kMemBdWords = 11;              // [AIE4-inf] 11-word memtile BD writes
inline constexpr unsigned kCoreBdWords = 9;              // [ours]
inline constexpr uint32_t kIdlePollMask = 0x01F8003C;    // [AIE4-inf] MASK_POLL_32 value 0

// One DMA register block (one half of a memory tile, or a whole shim/compute DMA).
struct DmaBlock {
    uint32_t bd_base;          // BD n at bd_base + n*kBdStride
    uint16_t bd_count;         // BDs in this block (usable by its channels)
    uint16_t bd_storage;       // BD slots stored (extra ones: control/trace BDs, not run)
    uint32_t s2mm_ctrl;        // channel k CTRL at s2mm_ctrl + 8k, TASK QUEUE at +4
    uint32_t mm2s_ctrl;
    uint32_t s2mm_status;      // channel k STATUS at s2mm_status + 4k
    uint32_t mm2s_status;
    uint8_t s2mm_first, s2mm_count;   // tile-wide channel numbers this block drives
    uint8_t mm2s_first, mm2s_count;
    uint32_t lock_value;       // LOCKn_VALUE at lock_value + 0x10*n (this block's locks)
    uint16_t lock_first, lock_count;
};

struct TileMap {
    uint8_t dma_blocks;
    DmaBlock dma[2];
    uint32_t lock_request;     // see header
    uint32_t ss_master;
    uint32_t ss_slave;
    uint32_t data_memory;      // offset of data memory in the register row (core tile) or ~0
    uint32_t program_memory;   // ~0 if none
    uint32_t core_control;     // ~0 if none
    uint32_t core_status;
    uint8_t bd_words;
};

inline constexpr uint32_t kNone = ~0u;
inline constexpr uint32_t kLockValueStride = 0x10;       // [AIE4-inf] 0x10000, 0x10010, ...
inline constexpr uint32_t kLockRequestIdStride = 0x400;  // [AIE-ML]
inline constexpr uint32_t kLockRequestAcquire = 0x200;   // [AIE-ML]

// Shim (row 0):
//  BDs 0x18000 + n*0x30 [AIE4-inf]; 16 run-able BDs [AIE4]; 12 more slots
//  (control MM2S 8 + trace S2MM 4 [AIE4 counts]) fill 0x18300..0x1853F, which is
//  why channel registers begin at 0x18540 [ours].
//  Channel slots at 0x18540 + 8k: S2MM0, S2MM1, MM2S0..3 [ours; covers the observed
//  queue writes 0x18544/0x18554/0x1855C]; status 0x18570 + 4k in the same order [ours;
//  covers the observed polls 0x18570/0x18580/0x18584].
//  Locks 0x10000 + 0x10n [AIE4-inf]; lock request 0x40000, stream switch 0x3F000/0x3F100 [AIE-ML].
inline constexpr TileMap kShimMap{
    1,
    {DmaBlock{0x18000, 16, 28, 0x18540, 0x18550, 0x18570, 0x18578, 0, 2, 0, 4, 0x10000, 0, 16}, DmaBlock{}},
    0x40000, 0x3F000, 0x3F100, kNone, kNone, kNone, kNone, kShimBdWords};

// Memory tile (row 1 register window; App B half at +0x40000 [AIE4-inf]):
//  BDs 0x8000 + n*0x30, 9 groups of 16 = 144 per half [AIE4-inf]; any channel of a half
//  may use any BD of that half [ours].
//  S2MM k ctrl 0x9E00 + 8k, MM2S k ctrl 0x9E60 + 8k (queues at +4) [AIE4-inf: writes at
//  0x109E04.. and 0x109E64..]; status S2MM 0x9ED0 + 4k, MM2S 0x9F00 + 4k [ours; covers
//  polls 0x109ED0/0x109ED4/0x109F10].
//  Locks 0x10000 + 0x10n (half A ids 0..31), 0x50000 (half B ids 32..63) [AIE4-inf].
//  Lock request 0xD0000, stream switch 0xB0000/0xB0100 [AIE-ML].
inline constexpr TileMap kMemMap{
    2,
    {DmaBlock{0x08000, 144, 144, 0x09E00, 0x09E60, 0x09ED0, 0x09F00, 0, 4, 0, 5, 0x10000, 0, 32},
     DmaBlock{0x48000, 144, 144, 0x49E00, 0x49E60, 0x49ED0, 0x49F00, 4, 4, 5, 5, 0x50000, 32, 32}},
    0xD0000, 0xB0000, 0xB0100, kNone, kNone, kNone, kNone, kMemBdWords};

// Compute tile (address rows 6..9):
//  Data memory 0x00000..0x1FFFF (128 KB [AIE4] at offset 0 [AIE-ML]); program memory
//  0x20000 (32 KB [AIE4] at the AIE-ML offset).
//  Core control 0xA3000 [AIE4-inf: MASK_WRITE bit 0]; status 0xA3004 [ours].
//  DMA block 0xA8000 (BDs), channels 0xA8540 (S2MM0, S2MM1, MM2S0), status 0xA8570 [ours,
//  mirroring the shim block]; locks 0xA1000 + 0x10n [ours]; lock request 0x40000 and stream
//  switch 0x3F000/0x3F100 [AIE-ML].
inline constexpr TileMap kCoreMap{
    1,
    {DmaBlock{0xA8000, 16, 16, 0xA8540, 0xA8550, 0xA8570, 0xA8578, 0, 2, 0, 1, 0xA1000, 0, 16}, DmaBlock{}},
    0x40000, 0x3F000, 0x3F100, 0x00000, 0x20000, 0xA3000, 0xA3004, kCoreBdWords};

// Column-relative address of (address_row, offset).
constexpr uint64_t tile_address(uint16_t col, uint16_t address_row, uint32_t offset)
{
    return (uint64_t{col} << 25) | (uint64_t{address_row} << 20) | offset;
}

// BD word fields (see header).
namespace bd {
inline constexpr uint32_t kAddrHighMask = 0x01FFFFFF;
inline constexpr unsigned kWrapShift = 20;
inline constexpr uint32_t kStepMask = 0xFFFFF;
inline constexpr unsigned kIterWrapShift = 20;
inline constexpr uint32_t kIterWrapMask = 0x3F;
inline constexpr unsigned kIterCurShift = 26;
inline constexpr unsigned kNextBdShift = 20;
inline constexpr uint32_t kNextBdMask = 0xFF;
inline constexpr uint32_t kUseNext = 1u << 28;
inline constexpr uint32_t kValid = 1u << 31;
inline constexpr uint32_t kAcqEnable = 1u << 31;
} // namespace bd

namespace queue {
inline constexpr uint32_t kToken = 1u << 31;
inline constexpr unsigned kRepeatShift = 16;
inline constexpr uint32_t kStartBdMask = 0xFF;
} // namespace queue

namespace status {
inline constexpr uint32_t kStalledLockAcq = 1u << 2;
inline constexpr uint32_t kStalledLockRel = 1u << 3;
inline constexpr uint32_t kStreamStarvation = 1u << 4;
inline constexpr uint32_t kError = 1u << 10;
inline constexpr uint32_t kRunning = 1u << 19;
inline constexpr unsigned kQueueSizeShift = 20;
inline constexpr unsigned kCurBdShift = 26;
} // namespace status

namespace core {
inline constexpr uint32_t kEnable = 1u << 0;
inline constexpr uint32_t kReset = 1u << 1;
inline constexpr uint32_t kStatusRunning = 1u << 0;
inline constexpr uint32_t kStatusErrorHalt = 1u << 19;
inline constexpr uint32_t kStatusDone = 1u << 20;
} // namespace core

namespace ss {
inline constexpr uint32_t kEnable = 1u << 31;
inline constexpr uint32_t kPacket = 1u << 30;
inline constexpr uint32_t kSlaveMask = 0x1F;
} // namespace ss

} // namespace aie4emu::aie::regs
