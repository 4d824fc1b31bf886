// AIE4 array register map and register layouts: THE one place that says where each block
// lives and which bits of a BD, task-queue word, status word or lock register mean what.
// Address of a register = col << 25 | address_row << 20 | offset.
//
// AIE4's register manual is not public. Every entry carries its evidence (docs/spec/array.md
// §A.2, §A.2b, §A.2c):
//   [R]       read in AMD's AIE4 driver code (Xilinx/aie-codegen src/dma/xaie_dma_aie4.c,
//             src/global/xaie4gbl_reginit.c, src/locks/xaie_locks_aie4.c): which word holds a
//             field, widths, strides, counts; the bit positions there live in a file no copy has
//   [D]       decoded from the BDs and register writes of AMD's published AIE4 control code
//             (Xilinx/aiebu test/aie4-ctrlcode/, compile_time operators and 1col_preempt) and
//             checked for consistency (lock pairs, next-BD chains, wrap products = lengths,
//             repeat counts = iteration wraps)
//   [I]       inferred from those programs, not checked by a second fact
//   [AIE-ML]  the AIE-ML offset or semantics (AM020/AM025, aie-rt) where nothing AIE4 exists
//   [ours]    our own choice where the evidence leaves a field open
//
// The model refuses (ErrorKind::bad_bd / bad_register, message naming the field) any BD or
// task-queue word that sets a field it cannot honour: fields whose bit positions are unknown
// (Field::Use::refuse_nonzero), packet and padding modes, lock ids outside the tile.
//
// Row remap [R, aie-codegen xaie_helper.c XAie_GetTileAddr]: the memory tile takes 5 address
// rows (row R, and R*5-4 for later memory rows); compute rows move up by 4 per memory row, so
// logical row 2 is address row 6. Memory-tile data lives in the 4 address rows after its
// register row [ours: fits the 5-slot remap and the 3 MB Medusa size].
//
// ---- BD semantics common to all tiles [R: xaie_dma_aie4.c] ----
//  * No VALID bit: a BD is whatever its words say (an all-zero BD moves nothing).
//  * D0 step is always 1 (no field): D0 walks contiguous words.
//  * Other step sizes are stored raw (default 1); a wrap of 0 leaves the dimension (and all
//    outer ones but the outermost step) unused.
//  * The iteration wrap is stored as wrap - 1; iteration step raw.
//  * Memory-tile and compute-tile addresses and lengths are in 32-bit words; shim addresses
//    are byte addresses (XRT patch57_aie4 adds 0x80000000, CostParams), lengths in words [D].
//  * Memory-tile address: 0x800000 | word offset = "this tile" [D/I]; other tiles' memories
//    (bit 23 clear) are not modelled and refused.
//  * Locks: acquire value v < 0 = acquire_greater_equal(-v) (state >= -v, then state += v);
//    v >= 0 = acquire_equal(v); release adds its value, 0 = no release [AIE-ML; the samples'
//    pairs (acquire -1 on a lock initialised to 1, release +1) fit]. Acquire and release
//    values are 7-bit signed, -64..63 [R]; the lock state stays 0..63 [AIE-ML].
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "hw/aie/params.hpp"

namespace aie4emu::aie::regs {

inline constexpr uint32_t kIdlePollMask = 0x01F8003C;    // [D] MASK_POLL_32 value 0 = idle
inline constexpr uint32_t kNone = ~0u;

// ---------------------------------------------------------------------------------------
// BD layouts: one table per tile kind. A field is `width` bits at `lsb` of word `word`.
// ---------------------------------------------------------------------------------------
enum class Evidence : uint8_t { read, decoded, inferred, ours };
inline constexpr const char* evidence_tag(Evidence e)
{
    return e == Evidence::read ? "R" : e == Evidence::decoded ? "D" : e == Evidence::inferred ? "I" : "ours";
}

enum class BdField : uint8_t {
    base_address,      // shim: bits 31:0 of the byte address; others: word address
    address_high,      // shim: bits 56:32
    local_tile,        // memory tile: 1 = this tile's memory
    length,            // words
    d0_wrap, d1_wrap, d2_wrap,
    d1_step, d2_step, d3_step,
    iter_wrap,         // stored as wrap - 1
    iter_step,
    iter_current,
    next_bd, use_next,
    acq_enable, acq_value, acq_id,
    rel_value, rel_id,
    // stored, no behaviour in the model (timing/AXI attributes, out-of-order id)
    burst_length, axcache, axi_attributes, ooo_bd_id, tlast_suppress,
    // fields (or groups of fields) the model cannot honour or whose bits are unknown
    unknown,
};

struct Field {
    BdField id;
    uint8_t word, lsb, width;
    Evidence evidence;
    enum class Use : uint8_t { value, stored, refuse_nonzero } use;
    const char* name;   // names the field (and for `unknown`, what AMD's code places there)
};

namespace detail {
using U = Field::Use;
using E = Evidence;
using F = BdField;
} // namespace detail

// Memory-tile BD: 11 words at bd_base + group*0x300 + n*0x30 [R placement, D bits].
inline constexpr unsigned kMemBdWords = 11;
inline constexpr std::array kMemBdFields = {
    Field{detail::F::base_address, 0, 0, 23, detail::E::decoded, detail::U::value, "BASE_ADDRESS"},
    Field{detail::F::local_tile, 0, 23, 1, detail::E::inferred, detail::U::value, "LOCAL_TILE (0x800000)"},
    Field{detail::F::unknown, 0, 24, 8, detail::E::ours, detail::U::refuse_nonzero, "word 0 bits 31:24"},
    Field{detail::F::length, 1, 0, 25, detail::E::decoded, detail::U::value, "BUFFER_LENGTH"},
    Field{detail::F::acq_value, 1, 25, 7, detail::E::decoded, detail::U::value, "LOCK_ACQ_VALUE"},
    Field{detail::F::acq_enable, 2, 0, 1, detail::E::decoded, detail::U::value, "LOCK_ACQ_ENABLE"},
    Field{detail::F::rel_id, 2, 1, 10, detail::E::decoded, detail::U::value, "LOCK_REL_ID"},
    Field{detail::F::rel_value, 2, 11, 7, detail::E::decoded, detail::U::value, "LOCK_REL_VALUE"},
    Field{detail::F::unknown, 2, 18, 2, detail::E::ours, detail::U::refuse_nonzero, "word 2 bits 19:18"},
    Field{detail::F::acq_id, 2, 20, 10, detail::E::decoded, detail::U::value, "LOCK_ACQ_ID"},
    Field{detail::F::unknown, 2, 30, 2, detail::E::ours, detail::U::refuse_nonzero, "word 2 bits 31:30"},
    Field{detail::F::d1_step, 3, 0, 23, detail::E::decoded, detail::U::value, "D1_STEPSIZE"},
    Field{detail::F::unknown, 3, 23, 9, detail::E::ours, detail::U::refuse_nonzero, "word 3 bits 31:23"},
    Field{detail::F::d2_step, 4, 0, 23, detail::E::decoded, detail::U::value, "D2_STEPSIZE"},
    Field{detail::F::unknown, 4, 23, 9, detail::E::ours, detail::U::refuse_nonzero, "word 4 bits 31:23"},
    Field{detail::F::d3_step, 5, 0, 23, detail::E::decoded, detail::U::value, "D3_STEPSIZE"},
    Field{detail::F::unknown, 5, 23, 9, detail::E::ours, detail::U::refuse_nonzero, "word 5 bits 31:23"},
    Field{detail::F::iter_step, 6, 0, 23, detail::E::decoded, detail::U::value, "ITERATION_STEPSIZE"},
    Field{detail::F::unknown, 6, 23, 9, detail::E::ours, detail::U::refuse_nonzero, "word 6 bits 31:23"},
    Field{detail::F::unknown, 7, 0, 32, detail::E::read, detail::U::refuse_nonzero,
          "word 7 (iteration current, packet enable/id, D0 padding: bits unknown)"},
    Field{detail::F::unknown, 8, 0, 32, detail::E::read, detail::U::refuse_nonzero,
          "word 8 (D1/D2 padding: bits unknown)"},
    Field{detail::F::ooo_bd_id, 9, 0, 6, detail::E::inferred, detail::U::stored, "OUT_OF_ORDER_BD_ID"},
    Field{detail::F::d0_wrap, 9, 6, 12, detail::E::decoded, detail::U::value, "D0_WRAP"},
    Field{detail::F::d1_wrap, 9, 18, 12, detail::E::decoded, detail::U::value, "D1_WRAP"},
    Field{detail::F::unknown, 9, 30, 2, detail::E::ours, detail::U::refuse_nonzero, "word 9 bits 31:30"},
    Field{detail::F::iter_wrap, 10, 0, 8, detail::E::decoded, detail::U::value, "ITERATION_WRAP"},
    Field{detail::F::unknown, 10, 8, 6, detail::E::ours, detail::U::refuse_nonzero, "word 10 bits 13:8"},
    Field{detail::F::d2_wrap, 10, 14, 12, detail::E::decoded, detail::U::value, "D2_WRAP"},
    Field{detail::F::use_next, 10, 26, 1, detail::E::decoded, detail::U::value, "USE_NEXT_BD"},
    Field{detail::F::next_bd, 10, 27, 4, detail::E::decoded, detail::U::value, "NEXT_BD"},
    Field{detail::F::unknown, 10, 31, 1, detail::E::ours, detail::U::refuse_nonzero, "word 10 bit 31"},
};

// Shim BD: 9 words at 0x18000 + n*0x30 [R placement; D bits where noted].
inline constexpr unsigned kShimBdWords = 9;
inline constexpr std::array kShimBdFields = {
    Field{detail::F::address_high, 0, 0, 25, detail::E::read, detail::U::value, "BASE_ADDRESS_HIGH (56:32)"},
    Field{detail::F::axi_attributes, 0, 25, 7, detail::E::read, detail::U::stored, "AXUSER/KEY_IDX"},
    Field{detail::F::base_address, 1, 0, 32, detail::E::read, detail::U::value, "BASE_ADDRESS_LOW"},
    Field{detail::F::length, 2, 0, 32, detail::E::decoded, detail::U::value, "BUFFER_LENGTH"},
    Field{detail::F::unknown, 3, 0, 24, detail::E::read, detail::U::refuse_nonzero,
          "word 3 bits 23:0 (lock acquire id/enable, D1/D2 wrap: bits unknown)"},
    Field{detail::F::burst_length, 3, 24, 2, detail::E::inferred, detail::U::stored, "BURST_LENGTH"},
    Field{detail::F::unknown, 3, 26, 6, detail::E::read, detail::U::refuse_nonzero,
          "word 3 bits 31:26 (lock acquire id/enable, D1/D2 wrap: bits unknown)"},
    Field{detail::F::unknown, 4, 0, 19, detail::E::read, detail::U::refuse_nonzero,
          "word 4 bits 18:0 (lock acquire/release values and release id: bits unknown)"},
    Field{detail::F::d0_wrap, 4, 19, 12, detail::E::inferred, detail::U::value, "D0_WRAP"},
    Field{detail::F::unknown, 4, 31, 1, detail::E::ours, detail::U::refuse_nonzero, "word 4 bit 31"},
    Field{detail::F::d1_step, 5, 0, 22, detail::E::decoded, detail::U::value, "D1_STEPSIZE"},
    Field{detail::F::unknown, 5, 22, 4, detail::E::read, detail::U::refuse_nonzero,
          "word 5 bits 25:22 (packet enable, AXQOS: bits unknown)"},
    Field{detail::F::use_next, 5, 26, 1, detail::E::decoded, detail::U::value, "USE_NEXT_BD"},
    Field{detail::F::next_bd, 5, 27, 4, detail::E::decoded, detail::U::value, "NEXT_BD"},
    Field{detail::F::unknown, 5, 31, 1, detail::E::read, detail::U::refuse_nonzero,
          "word 5 bit 31 (packet enable, AXQOS: bits unknown)"},
    Field{detail::F::d2_step, 6, 0, 22, detail::E::decoded, detail::U::value, "D2_STEPSIZE"},
    Field{detail::F::unknown, 6, 22, 10, detail::E::read, detail::U::refuse_nonzero,
          "word 6 bits 31:22 (compression, TLAST suppress, iteration current, data reuse: bits unknown)"},
    Field{detail::F::iter_step, 7, 0, 22, detail::E::decoded, detail::U::value, "ITERATION_STEPSIZE"},
    Field{detail::F::iter_wrap, 7, 22, 6, detail::E::decoded, detail::U::value, "ITERATION_WRAP"},
    Field{detail::F::axcache, 7, 28, 4, detail::E::decoded, detail::U::stored, "AXCACHE"},
    Field{detail::F::unknown, 8, 0, 10, detail::E::read, detail::U::refuse_nonzero,
          "word 8 bits 9:0 (I/O coherence, out-of-order id, packet id: bits unknown)"},
    Field{detail::F::d3_step, 8, 10, 22, detail::E::inferred, detail::U::value, "D3_STEPSIZE"},
};

// Compute-tile BD: 6 words at bd_base + n*0x20 [R: word placement, 16 BDs]; AMD has published
// no compute-tile BD, so every bit position below is [ours].
inline constexpr unsigned kCoreBdWords = 6;
inline constexpr std::array kCoreBdFields = {
    Field{detail::F::length, 0, 0, 17, detail::E::ours, detail::U::value, "BUFFER_LENGTH"},
    Field{detail::F::base_address, 0, 17, 15, detail::E::ours, detail::U::value, "BASE_ADDRESS"},
    Field{detail::F::unknown, 1, 0, 32, detail::E::read, detail::U::refuse_nonzero,
          "word 1 (packet enable/id/type, out-of-order id: packet mode not modelled)"},
    Field{detail::F::d1_step, 2, 0, 17, detail::E::ours, detail::U::value, "D1_STEPSIZE"},
    Field{detail::F::unknown, 2, 17, 15, detail::E::ours, detail::U::refuse_nonzero, "word 2 bits 31:17"},
    Field{detail::F::d2_step, 3, 0, 17, detail::E::ours, detail::U::value, "D2_STEPSIZE"},
    Field{detail::F::d0_wrap, 3, 17, 9, detail::E::ours, detail::U::value, "D0_WRAP"},
    Field{detail::F::iter_current, 3, 26, 6, detail::E::ours, detail::U::value, "ITERATION_CURRENT"},
    Field{detail::F::iter_step, 4, 0, 17, detail::E::ours, detail::U::value, "ITERATION_STEPSIZE"},
    Field{detail::F::d1_wrap, 4, 17, 9, detail::E::ours, detail::U::value, "D1_WRAP"},
    Field{detail::F::iter_wrap, 4, 26, 6, detail::E::ours, detail::U::value, "ITERATION_WRAP"},
    Field{detail::F::unknown, 5, 0, 3, detail::E::ours, detail::U::refuse_nonzero, "word 5 bits 2:0"},
    Field{detail::F::acq_id, 5, 3, 4, detail::E::ours, detail::U::value, "LOCK_ACQ_ID"},
    Field{detail::F::acq_value, 5, 7, 7, detail::E::ours, detail::U::value, "LOCK_ACQ_VALUE"},
    Field{detail::F::acq_enable, 5, 14, 1, detail::E::ours, detail::U::value, "LOCK_ACQ_ENABLE"},
    Field{detail::F::rel_id, 5, 15, 4, detail::E::ours, detail::U::value, "LOCK_REL_ID"},
    Field{detail::F::rel_value, 5, 19, 7, detail::E::ours, detail::U::value, "LOCK_REL_VALUE"},
    Field{detail::F::use_next, 5, 26, 1, detail::E::ours, detail::U::value, "USE_NEXT_BD"},
    Field{detail::F::next_bd, 5, 27, 4, detail::E::ours, detail::U::value, "NEXT_BD"},
    Field{detail::F::tlast_suppress, 5, 31, 1, detail::E::ours, detail::U::stored, "TLAST_SUPPRESS"},
};

constexpr uint32_t field_mask(const Field& f) { return f.width >= 32 ? ~0u : ((1u << f.width) - 1u); }
constexpr uint32_t get_field(std::span<const uint32_t> words, const Field& f)
{
    return (words[f.word] >> f.lsb) & field_mask(f);
}
constexpr void set_field(std::span<uint32_t> words, const Field& f, uint32_t v)
{
    words[f.word] = (words[f.word] & ~(field_mask(f) << f.lsb)) | ((v & field_mask(f)) << f.lsb);
}
// The field `id` of a layout (first match), or nullptr.
constexpr const Field* find_field(std::span<const Field> layout, BdField id)
{
    for (const Field& f : layout)
        if (f.id == id)
            return &f;
    return nullptr;
}

// Memory-tile lock ids in BDs [R: DMA_MEMTILE_LOCAL_LOCK_LOW/HIGH 448..479 = App A's 32];
// 480..511 = App B's 32 [D: App A BDs acquire 481 initialised at 0x150010]. Other ids name
// neighbouring tiles' locks, which the model does not have.
inline constexpr uint32_t kMemLocalLockFirst = 448;
inline constexpr uint32_t kMemLocalLockEnd = 512;

// ---------------------------------------------------------------------------------------
// Task-queue word (channel CTRL + 4) [D]
// ---------------------------------------------------------------------------------------
namespace queue {
inline constexpr uint32_t kStartBdMask = 0x3F;    // [D >= 5 bits (BD 16 appears); 6 ours]
inline constexpr unsigned kRepeatShift = 16;      // [D] REPEAT_COUNT = repeats - 1
inline constexpr uint32_t kRepeatMask = 0xFF;     // [D 23:16]; bits 27:24 may extend it [I], refused
inline constexpr uint32_t kToken = 1u << 31;      // [I] ENABLE_TOKEN_ISSUE as AIE2PS
inline constexpr uint32_t kUnknownBits = ~(kToken | (kRepeatMask << kRepeatShift) | kStartBdMask);
} // namespace queue

// ---------------------------------------------------------------------------------------
// Channel status [D: idle poll mask; R: TASK_Q_SIZE MSB 24]
// ---------------------------------------------------------------------------------------
namespace status {
inline constexpr uint32_t kStalledLockAcq = 1u << 2;     // [D]
inline constexpr uint32_t kStalledLockRel = 1u << 3;     // [D]
inline constexpr uint32_t kStreamStarvation = 1u << 4;   // [D]
inline constexpr uint32_t kStalledTct = 1u << 5;         // [D]
inline constexpr uint32_t kError = 1u << 10;             // [ours]
inline constexpr uint32_t kRunning = 1u << 19;           // [D]
inline constexpr unsigned kQueueSizeShift = 20;          // [D/R] TASK_QUEUE_SIZE 24:20
inline constexpr unsigned kCurBdShift = 26;              // [I] CUR_BD above bit 24
inline constexpr uint32_t kStateStarting = 1u << 0;      // [AIE-ML] STATUS 1:0 = 1: BD fetched, lock not yet held
inline constexpr uint32_t kStateRunning = 1u << 1;       // [AIE-ML] STATUS 1:0 = 2: lock held, data may move
} // namespace status

// ---------------------------------------------------------------------------------------
// Channel control word (channel CTRL)
// ---------------------------------------------------------------------------------------
namespace channel {
inline constexpr uint32_t kCtrlReset = 1u << 1;   // [AIE-ML] drops the queue and any transfer in flight
} // namespace channel

// ---------------------------------------------------------------------------------------
// Blocks of each tile kind
// ---------------------------------------------------------------------------------------
// One DMA register block (one half of a memory tile or shim, or a whole compute-tile DMA).
struct DmaBlock {
    uint32_t bd_base = kNone;   // BD slot n at bd_base + n*bd_stride
    uint16_t bd_count = 0;      // BD ids a channel may name (per channel when bds_per_channel)
    uint16_t bd_storage = 0;    // BD slots stored (extra ones: control/trace BDs, not run)
    bool bds_per_channel = false;   // memory tile: each channel owns a group of bd_count BDs
    uint32_t s2mm_ctrl = 0;     // channel k CTRL at s2mm_ctrl + 8k, TASK QUEUE at +4
    uint32_t mm2s_ctrl = 0;
    uint32_t s2mm_status = 0;   // channel k STATUS at s2mm_status + 4k
    uint32_t mm2s_status = 0;
    uint8_t s2mm_first = 0, s2mm_count = 0;   // tile-wide channel numbers this block drives
    uint8_t mm2s_first = 0, mm2s_count = 0;
    uint32_t lock_value = 0;    // LOCKn_VALUE at lock_value + 0x10*n (this block's locks)
    uint16_t lock_first = 0, lock_count = 0;
    uint32_t lock_request = kNone;   // this block's locks' request window
};

// A register range in a known block that the model stores without behaviour.
struct StoredBlock {
    uint32_t base = 0, size = 0;
    const char* name = "";
};

struct TileMap {
    uint8_t dma_blocks;
    DmaBlock dma[2];
    uint32_t bd_stride;
    uint8_t bd_words;
    std::span<const Field> bd_fields;
    uint32_t ss_master;
    uint32_t ss_slave;
    uint32_t data_memory;      // offset of data memory in the register row (core tile) or kNone
    uint32_t program_memory;   // kNone if none
    uint32_t core_control;     // kNone if none
    uint32_t core_status;
    std::span<const StoredBlock> stored;
};

inline constexpr uint32_t kLockValueStride = 0x10;       // [D] 0x10000, 0x10010, ...
inline constexpr uint32_t kLockRequestIdStride = 0x400;  // [R] xaie_locks_aie4.c
inline constexpr uint32_t kLockRequestAcquire = 0x200;   // [R]
inline constexpr unsigned kLockRequestValueShift = 2;    // [R] (value & 0x7F) << 2 in the request address
// A 7-bit signed lock value (acquire, release, lock-value write): -64..63 [R].
constexpr int32_t sign7(uint32_t v)
{
    v &= 0x7F;
    return (v & 0x40) ? static_cast<int32_t>(v) - 128 : static_cast<int32_t>(v);
}
// Lock state 0..kLockMax (params.hpp) [AIE-ML 6-bit state]; acquire/release values are 7-bit
// signed, -64..63 [R].

// Shim (row 0) [R: 16 BDs, 1 S2MM + 2 MM2S per half; D: addresses]:
//  BDs 0x18000 + n*0x30 [D]; 16 run-able BDs; 12 more slots (control MM2S 8 + trace S2MM 4
//  [R counts]) fill 0x18300..0x1853F [ours].
//  CTRL/TASK QUEUE at 0x18540 + 8k: S2MM0, S2MM1, MM2S0..3 [D: queue writes 0x18544,
//  0x18554, 0x1855C]. STATUS S2MM k at 0x18570 + 4k, MM2S k at 0x18580 + 4k [D: the samples
//  poll 0x18570 after pushing 0x18544, 0x18580 after 0x18554, 0x18584 after 0x1855C; R: MM2S
//  status = S2MM status base + a direction offset].
//  Locks 0x10000 + 0x10n [D]; lock request 0x40000 [AIE-ML]; stream switch 0x3F000/0x3F100
//  [AIE-ML, ours for AIE4]. App B (BDs 16-31 at 0x58000 [R]) is not modelled.
inline constexpr std::array kShimStored = {
    StoredBlock{0x08000, 0x1000, "stream-switch configuration [I: save code writes 0x8000]"},
};
inline constexpr TileMap kShimMap{
    1,
    {DmaBlock{0x18000, 16, 28, false, 0x18540, 0x18550, 0x18570, 0x18580, 0, 2, 0, 4, 0x10000, 0, 16, 0x40000},
     DmaBlock{}},
    0x30, kShimBdWords, kShimBdFields,
    0x3F000, 0x3F100, kNone, kNone, kNone, kNone, kShimStored};

// Memory tile (row 1 register window; App B half at +0x40000 [R]):
//  BDs: each channel owns 16 BDs [R]: S2MM k at 0x8000 + k*0x300, MM2S k at 0x8C00 + k*0x300
//  (groups 0x108000 ... 0x109800 in the samples [D]); BD ids in task-queue words and NEXT_BD
//  are 0..15 within the channel's group [D: S2MM2 BD1 chains 1->2->3->4 in its own group].
//  S2MM k CTRL 0x9E00 + 8k, MM2S k CTRL 0x9E60 + 8k (queues at +4) [D]; STATUS S2MM
//  0x9ED0 + 4k, MM2S 0x9F00 + 4k [D: polls 0x109ED0/0x109ED4 and 0x109F10 after MM2S4].
//  Locks 0x10000 + 0x10n (App A, ids 448..479), 0x50000 (App B, ids 480..511) [D].
//  Lock request 0x18000 (App A) / 0x58000 (App B) [I: the samples' mask-1 polls at
//  0x118604..0x118E08]. Stream switch 0xB0000/0xB0100 [AIE-ML, ours for AIE4].
inline constexpr std::array kMemStored = {
    StoredBlock{0x20000, 0x1000, "stream-switch configuration [I: save code writes 0x120000]"},
};
inline constexpr TileMap kMemMap{
    2,
    {DmaBlock{0x08000, 16, 144, true, 0x09E00, 0x09E60, 0x09ED0, 0x09F00, 0, 4, 0, 5, 0x10000, 0, 32, 0x18000},
     DmaBlock{0x48000, 16, 144, true, 0x49E00, 0x49E60, 0x49ED0, 0x49F00, 4, 4, 5, 5, 0x50000, 32, 32, 0x58000}},
    0x30, kMemBdWords, kMemBdFields,
    0xB0000, 0xB0100, kNone, kNone, kNone, kNone, kMemStored};

// Compute tile (address rows 6..9):
//  Data memory 0x00000..0x1FFFF (128 KB [R] at offset 0 [AIE-ML]); program memory 0x20000
//  (32 KB [R] at the AIE-ML offset). Core control 0xA3000 [D: MASK_WRITE bit 0]; status
//  0xA3004 [ours].
//  DMA: 16 BDs of 6 words at stride 0x20 [R], base 0xA8000 [ours]; channels 0xA8540 (S2MM0,
//  S2MM1, MM2S0), status 0xA8570 / 0xA8580 [ours, mirroring the shim]; locks 0xA1000 + 0x10n
//  [ours]; lock request 0x40000 and stream switch 0x3F000/0x3F100 [AIE-ML].
//  AMD's programs write a list framed by 0x66660001 ... 0x66660003 at 0x18000: inside data
//  memory here, so it is stored as data [I]. The registers at 0xAC000/0xAE000 that the list
//  names, and the single write at 0xAE0E0, are a known block without behaviour [I].
inline constexpr std::array kCoreStored = {
    StoredBlock{0xAC000, 0x1000, "tile registers named by the configuration list [I]"},
    StoredBlock{0xAE000, 0x1000, "tile registers named by the configuration list [I]"},
};
inline constexpr TileMap kCoreMap{
    1,
    {DmaBlock{0xA8000, 16, 16, false, 0xA8540, 0xA8550, 0xA8570, 0xA8580, 0, 2, 0, 1, 0xA1000, 0, 16, 0x40000},
     DmaBlock{}},
    0x20, kCoreBdWords, kCoreBdFields,
    0x3F000, 0x3F100, 0x00000, 0x20000, 0xA3000, 0xA3004, kCoreStored};

// The register map of a tile kind.
constexpr const TileMap& tile_map(TileKind k)
{
    return k == TileKind::core ? kCoreMap : k == TileKind::mem ? kMemMap : kShimMap;
}

// Column-relative address of (address_row, offset).
constexpr uint64_t tile_address(uint16_t col, uint16_t address_row, uint32_t offset)
{
    return (uint64_t{col} << 25) | (uint64_t{address_row} << 20) | offset;
}

// Memory-tile BD group of a block-local channel: S2MM k = group k, MM2S k = group s2mm_count + k.
constexpr unsigned bd_group(const DmaBlock& b, bool s2mm, unsigned local_channel)
{
    return b.bds_per_channel ? (s2mm ? local_channel : b.s2mm_count + local_channel) : 0;
}

// One direction's channels of a DMA block: tile-wide channels [first, first + count); channel
// c's CTRL at ctrl + 8 (c - first), its task queue 4 above, its STATUS at status + 4 (c - first).
struct ChannelRange {
    unsigned first = 0, count = 0;
    uint32_t ctrl = 0, status = 0;
    [[nodiscard]] constexpr bool holds(unsigned channel) const { return channel >= first && channel < first + count; }
    [[nodiscard]] constexpr uint32_t ctrl_of(unsigned channel) const { return ctrl + 8 * (channel - first); }
    [[nodiscard]] constexpr uint32_t queue_of(unsigned channel) const { return ctrl_of(channel) + 4; }
    [[nodiscard]] constexpr uint32_t status_of(unsigned channel) const { return status + 4 * (channel - first); }
};
constexpr ChannelRange channels(const DmaBlock& b, Direction d)
{
    return d == Direction::s2mm ? ChannelRange{b.s2mm_first, b.s2mm_count, b.s2mm_ctrl, b.s2mm_status}
                                : ChannelRange{b.mm2s_first, b.mm2s_count, b.mm2s_ctrl, b.mm2s_status};
}
// Index of the DMA block of `m` that drives tile-wide channel (d, channel); 0 if none does.
constexpr unsigned block_of(const TileMap& m, Direction d, unsigned channel)
{
    for (unsigned b = 0; b < m.dma_blocks; ++b)
        if (channels(m.dma[b], d).holds(channel))
            return b;
    return 0;
}
// Block-local slot of BD `bd` as tile-wide channel (d, channel) of block `b` names it (memory
// tile: in the channel's own group).
constexpr unsigned bd_slot(const DmaBlock& b, Direction d, unsigned channel, unsigned bd)
{
    const bool s = d == Direction::s2mm;
    return bd_group(b, s, channel - channels(b, d).first) * b.bd_count + bd;
}

namespace core {
inline constexpr uint32_t kEnable = 1u << 0;          // [D] MASK_WRITE bit 0 at 0xA3000
inline constexpr uint32_t kReset = 1u << 1;           // [AIE-ML]
inline constexpr uint32_t kStatusRunning = 1u << 0;   // [AIE-ML]
inline constexpr uint32_t kStatusErrorHalt = 1u << 19;
inline constexpr uint32_t kStatusDone = 1u << 20;
} // namespace core

namespace ss {
inline constexpr uint32_t kEnable = 1u << 31;   // [AIE-ML AM025]
inline constexpr uint32_t kPacket = 1u << 30;
inline constexpr uint32_t kSlaveMask = 0x1F;
} // namespace ss

} // namespace aie4emu::aie::regs
