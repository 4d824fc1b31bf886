// Per-tile-kind resources and cost constants of the AIE4 array model: the one
// table of "how big / how many / how fast". Every entry names its source and
// is marked:
//   [AIE4]     aie-codegen src/global/xaie4gbl_reginit.c / xaie4mdsgbl_reginit.c
//              (docs/spec/array.md §A.2)
//   [AIE4-cg]  aiebu-asm -t aie4 2.25 actor names (firmware-stub/cert/control_code.hpp kTctActors)
//   [AIE-ML]   AM020 / aie-rt xaiemlgbl (§A.1, §A.3) where AIE4 is not public
//   [ours]     a modelling assumption, not from any source
// Address layout lives in register_map.hpp; the array shape in geometry.hpp.
#pragma once

#include <cstdint>

#include "hw/sim/event_queue.hpp"

namespace aie4emu::aie {

enum class TileKind : uint8_t { shim, mem, core };
enum class Direction : uint8_t { s2mm, mm2s };   // s2mm: stream -> memory; mm2s: memory -> stream

struct TileResources {
    uint32_t data_memory_bytes;
    uint32_t program_memory_bytes;
    uint8_t s2mm_channels;
    uint8_t mm2s_channels;
    uint8_t address_dims;      // dimensions a BD may use (the outermost one is unbounded)
    uint16_t locks;
    // Stream-switch lanes: masters going north/south, and east/west per side.
    uint8_t north_lanes_up;    // masters to the tile above (its south slaves)
    uint8_t south_lanes_down;  // masters to the tile below (its north slaves)
    uint8_t east_west_lanes;   // 0: no E/W ports
};

// Compute tile: DM 128 KB, PM 32 KB, 2 S2MM + 1 MM2S, 16 BDs, 3D [AIE4].
// Locks 16: aie-codegen's LockMod entry [AIE4]; its DMA view says 64 — the
// sources disagree (§A.2), we take LockMod. Lanes 6 up / 4 down / 4 E-W [AIE-ML AM020].
inline constexpr TileResources kCoreTile{128 * 1024, 32 * 1024, 2, 1, 3, 16, 6, 4, 4};
// Memory tile: 3 MB on Medusa (4 MB generic AIE4) [AIE4]; two halves (App A/B)
// of 4 S2MM + 5 MM2S each = 8 + 10 channels [AIE4][AIE4-cg MEM_S2MM_0..7,
// MEM_MM2S_0..9]; 4D [AIE4]; locks 32 per half (LockMod) = 64 [AIE4];
// no E/W ports [AIE-ML].
inline constexpr TileResources kMemTile{3 * 1024 * 1024, 0, 8, 10, 4, 64, 6, 4, 0};
// Shim: no memory; 1 S2MM + 2 MM2S per half = 2 + 4 [AIE4][AIE4-cg SHIM_S2MM_0..1,
// SHIM_MM2S_0..3]; 4D [AIE4]; 16 locks [AIE4 LockMod]; lanes [AIE-ML].
inline constexpr TileResources kShimTile{0, 0, 2, 4, 4, 16, 6, 4, 4};

constexpr const TileResources& resources(TileKind k)
{
    return k == TileKind::core ? kCoreTile : k == TileKind::mem ? kMemTile : kShimTile;
}

// Lock state is a 6-bit unsigned counter [AIE-ML AM020 "Tile Architecture"]; AIE4's acquire
// and release values are 7-bit signed (register_map.hpp).
inline constexpr int32_t kLockMax = 63;
// Largest burst one DMA event moves (64 Ki words = 256 KiB) [ours]: a BD's length (up to
// 2^32 words on the shim) never sizes a host buffer or one event's work; longer transfers
// move in several bursts (each with its own switch latency).
inline constexpr uint32_t kMaxBurstWords = 64 * 1024;
// Task queue depth per channel: 16 on AIE4 [R: aie-codegen xaie_dma_aie4.c
// _XAie4_DmaWaitForBdTaskQueue polls bit 24, the MSB of TASK_QUEUE_SIZE [24:20], to wait for
// "queue not full", so the queue is full at 16; AIE-ML's depth 4 is likewise the MSB of its
// 3-bit field]. [D: AMD's op_Add_qdq_BroadCast_uint16xuint16xuint16_layer_id_721 queues six
// tasks on one memory-tile S2MM channel before any data moves; depth 4 refused the sixth.]
inline constexpr unsigned kTaskQueueDepth = 16;

// Cost constants (docs/array-model.md "Time"). All overridable.
struct CostParams {
    // Stream switch: 32 bits per cycle per port [AIE-ML AM020 "AXI4-Stream Interconnect"].
    double stream_bytes_per_cycle = 4.0;
    // Shim DMA: 4 B/cycle per channel [AIE-ML AM020 "Array Interface DMA"].
    double shim_dma_bytes_per_cycle = 4.0;
    // Memory-tile and compute-tile DMA channels feed one stream each: the
    // stream is the limit [ours, consistent with AM020's 30 GB/s per memtile direction].
    double mem_dma_bytes_per_cycle = 4.0;
    double core_dma_bytes_per_cycle = 4.0;
    // One switch crossing: 4 cycles [AIE-ML AM020 "Stream Switch Buffering and Latency"].
    sim::Cycle switch_hop_cycles = 4;
    // Fetching and decoding a BD before data moves [ours].
    sim::Cycle bd_setup_cycles = 8;
    // One lock acquire or release handshake [ours].
    sim::Cycle lock_cycles = 1;
    // Fixed cost of one kernel invocation (call, loop prologue/epilogue) [ours].
    sim::Cycle kernel_overhead_cycles = 64;
    // int8 x int8 MACs per cycle per core: 512 [AIE2P, driver NPU4_DPM_TOPS = 4096 ops/col/cycle
    // over 4 cores]; AIE4's figure is not public.
    uint32_t int8_macs_per_cycle = 512;
    // bf16 MACs per cycle per core: 128 [AIE-ML AM020 "AIE-ML Processor"].
    uint32_t bf16_macs_per_cycle = 128;
    // Element-wise vector kernels: one 512-bit load/op/store per cycle [AIE-ML v2 AM027 loads 2x512 bit].
    uint32_t vector_bytes_per_cycle = 64;
    // Shim BD addresses carry host address + 0x80000000 (XRT patch57_aie4,
    // docs/spec/queue-and-cert.md §8.3); the shim subtracts it before reaching host memory.
    uint64_t shim_host_address_offset = 0x80000000ull;
};

} // namespace aie4emu::aie
