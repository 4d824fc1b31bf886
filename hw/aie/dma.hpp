// The DMA engine of the array: every tile's BD storage, channels and task queues, and the
// bursts that move data between two channels joined by a stream route (docs/array-model.md
// "DMA" and "Time"). It owns:
//  * BD fetch and decode: a BD's words as written, decoded once per write (bd.hpp), with the
//    fields the model refuses (ErrorKind::bad_bd naming the field);
//  * channels: CTRL (reset), status (register_map.hpp status), the task queue (depth
//    kTaskQueueDepth, a task-queue word with unknown bits refused), BD chains, repeats, the
//    iteration dimension, task-completion tokens;
//  * bursts: an MM2S channel ready with data pairs with the S2MM its route ends at
//    (StreamRoutes) and moves at most kMaxBurstWords per event, so a guest-chosen BD length
//    never sizes a host buffer or one event's work;
//  * the shim's path to host memory (HostMemory per column, injected faults).
// Locks are acquired and released through LockUnit; tile memories are the grid's (tile.hpp).
// Everything is driven by register writes that register decode routes here (array.cpp), or
// directly by a test.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "hw/aie/array_context.hpp"
#include "hw/aie/bd.hpp"
#include "hw/aie/host_memory.hpp"
#include "hw/aie/params.hpp"
#include "hw/sim/event_queue.hpp"

namespace aie4emu::aie {

struct Tile;
class TileGrid;
class LockUnit;
class StreamRoutes;

// Identifies a DMA channel for task-completion tokens.
struct ChannelId {
    uint16_t col, row;       // logical row
    Direction dir;
    uint8_t channel;         // tile-wide channel number (memory tile: 0..7 S2MM, 0..9 MM2S)
};

// Walks a BD's address pattern: D0 innermost; the first dimension with wrap 0
// is the outermost and unbounded.
struct AddrGen {
    Dim d[kMaxDims]{};
    unsigned outer = 0;
    uint32_t idx[kMaxDims]{};
    uint64_t base_words = 0;   // iteration offset

    void init(const Bd& b, uint64_t iteration_offset_words);
    [[nodiscard]] uint64_t offset_words() const
    {
        uint64_t o = base_words;
        for (unsigned k = 0; k <= outer; ++k)
            o += uint64_t{idx[k]} * d[k].step;
        return o;
    }
    // Words that can move before the pattern jumps (at most `max`).
    [[nodiscard]] uint32_t run(uint32_t max) const
    {
        if (outer == 0)
            return max;
        return std::min(max, d[0].wrap - idx[0]);
    }
    void advance(uint32_t n)
    {
        idx[0] += n;
        for (unsigned k = 0; k < outer; ++k) {
            if (idx[k] < d[k].wrap)
                break;
            idx[k] = 0;
            ++idx[k + 1];
        }
    }
};

enum class Phase : uint8_t { idle, setup, acquiring, ready, transferring, error };

struct Task {
    uint16_t start_bd;
    uint16_t repeat;
    bool token;
};

struct DmaTile;

struct Channel {
    Tile* tile = nullptr;
    DmaTile* dma = nullptr;
    Direction dir = Direction::s2mm;
    uint8_t index = 0;
    uint8_t block = 0;
    uint32_t ctrl = 0;
    std::deque<Task> queue;
    bool busy = false;
    Task task{};
    uint32_t repeats_left = 0;
    int bd = -1;   // block-local BD id
    Bd cfg;
    AddrGen gen;
    uint32_t remaining = 0;
    Phase phase = Phase::idle;
    bool lock_stall = false;
    Channel* waiting_producer = nullptr;   // S2MM: an MM2S ready and routed to us
    Channel* peer = nullptr;               // during a transfer
    uint64_t burst_id = 0;                 // MM2S: the pending burst's id (DmaEngine::burst_ids_)
    uint32_t burst_words = 0;
    uint64_t tct_issued = 0;
    uint64_t tct_consumed = 0;
    uint32_t track = ~0u;
    sim::Cycle bd_start = 0;
    // MM2S route cache, valid while route_epoch == StreamRoutes::epoch()
    uint64_t route_epoch = ~0ull;
    Channel* route_sink = nullptr;
    unsigned route_hops = 0;
    std::string route_error;
};

// One tile's DMA state.
struct DmaTile {
    uint64_t generation = 0;   // bumped by a reset: the tile's pending DMA events lapse
    HostMemory* host = nullptr;   // shim: host memory of the column's partition
    std::vector<uint32_t> bd_words;    // per block: block_bd_first[b] * words
    std::vector<uint16_t> bd_iter;     // current iteration per stored BD
    std::vector<Bd> bd_decoded;        // decode_bd of each stored BD, valid if bd_fresh
    std::vector<uint8_t> bd_fresh;     // cleared by any write to the BD's words
    unsigned block_bd_first[2]{};
    // Channels keep their addresses for the life of the engine: pending events and lock
    // waiters point at them, and a reset leaves those pointers valid (the events then lapse on
    // their generation or burst-id guard).
    std::vector<Channel> s2mm, mm2s;

    Channel& channel(Direction d, unsigned index) { return d == Direction::s2mm ? s2mm[index] : mm2s[index]; }
    const Channel& channel(Direction d, unsigned index) const { return d == Direction::s2mm ? s2mm[index] : mm2s[index]; }
};

class DmaEngine {
public:
    DmaEngine(ArrayContext& ctx, TileGrid& tiles, LockUnit& locks, const StreamRoutes& routes);
    DmaEngine(const DmaEngine&) = delete;
    DmaEngine& operator=(const DmaEngine&) = delete;

    [[nodiscard]] DmaTile& at(const Tile& t);
    [[nodiscard]] const DmaTile& at(const Tile& t) const;

    // --- Registers (indices as register decode gives them: block-local BD slot, tile-wide channel) ---
    void write_bd_word(Tile& t, unsigned block, unsigned slot, unsigned word, uint32_t value);
    [[nodiscard]] uint32_t bd_word(const Tile& t, unsigned block, unsigned slot, unsigned word) const;
    void write_control(Tile& t, Direction dir, unsigned channel, uint32_t value);
    [[nodiscard]] uint32_t control(const Tile& t, Direction dir, unsigned channel) const;
    void push_task(Tile& t, Direction dir, unsigned channel, uint32_t word);
    [[nodiscard]] uint32_t status(const Tile& t, Direction dir, unsigned channel) const;

    // --- Host memory of shim DMAs, per column ---
    void attach_host_memory(uint16_t col, HostMemory* memory);
    void inject_host_faults(uint16_t col, uint32_t count);
    [[nodiscard]] uint32_t injected_host_faults(uint16_t col) const;

    // --- Task-completion tokens ---
    [[nodiscard]] Channel* channel(const ChannelId& id);
    [[nodiscard]] const Channel* channel(const ChannelId& id) const;
    void set_tct_callback(std::function<void(const ChannelId&)> callback) { tct_cb_ = std::move(callback); }

    // One of the tile's channels waits for a lock.
    [[nodiscard]] bool waits_on_lock(const Tile& t) const;

    // Columns [start, end): every channel stopped, BDs zeroed, tokens zeroed; channels of other
    // columns lose any link to them. Host memory and injected faults stay.
    void reset_columns(unsigned start, unsigned end);

private:
    void reset_tile(Tile& t);
    uint32_t* bd_ptr(Tile& t, unsigned block, unsigned slot);
    static unsigned bd_slot(const Channel& ch, unsigned bd);
    [[nodiscard]] double channel_rate(const Channel& ch) const;
    uint32_t channel_track(Channel& ch);
    void channel_error(Channel& ch, ErrorKind kind, std::string msg);
    void schedule_acquire(Channel& ch, sim::Cycle delay);
    static void on_acquire(void* self, uint64_t channel, uint64_t generation);
    static void on_burst_done(void* self, uint64_t producer, uint64_t burst_id);
    void next_task(Channel& ch);
    void start_bd(Channel& ch, unsigned bd);
    void acquire(Channel& ch);
    bool resolve(Channel& ch);
    void try_pair(Channel& p);
    bool move(Channel& ch, uint32_t words, uint8_t* buf, bool into_memory);
    void complete(Channel& p, Channel& s, uint32_t words);
    void bd_done(Channel& ch);

    ArrayContext& ctx_;
    TileGrid& tiles_;
    LockUnit& locks_;
    const StreamRoutes& routes_;
    std::vector<DmaTile> dma_;               // parallel to tiles_.all()
    std::vector<uint32_t> injected_faults_;  // per column: shim host bursts left to fail
    std::function<void(const ChannelId&)> tct_cb_;
    uint64_t burst_ids_ = 0;
    std::vector<uint8_t> scratch_;
    // Hot counters, looked up once.
    uint64_t& c_bytes_;
    uint64_t& c_bds_;
    uint64_t& c_bd_words_mm2s_;   // sum of the lengths of BDs started
    uint64_t& c_bd_words_s2mm_;
    uint64_t& c_bursts_;
    uint64_t& c_tasks_;
    uint64_t& c_lock_stalls_;
    uint64_t& c_tct_;
};

} // namespace aie4emu::aie
