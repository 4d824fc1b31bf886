#include "hw/aie/array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <fmt/format.h>

#include "hw/aie/bd.hpp"
#include "hw/aie/kernels.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::aie {

const char* error_kind_name(ErrorKind k)
{
    switch (k) {
    case ErrorKind::dma_fault: return "dma_fault";
    case ErrorKind::bad_route: return "bad_route";
    case ErrorKind::bad_bd: return "bad_bd";
    case ErrorKind::queue_overflow: return "queue_overflow";
    case ErrorKind::core_error: return "core_error";
    case ErrorKind::lock_overflow: return "lock_overflow";
    }
    return "?";
}

const char* write_class_name(WriteClass c)
{
    switch (c) {
    case WriteClass::bd: return "bd";
    case WriteClass::modelled: return "modelled";
    case WriteClass::stored_no_behaviour: return "stored, no behaviour";
    case WriteClass::unknown: return "unknown address";
    }
    return "?";
}

namespace {

constexpr unsigned kMaxRouteHops = 64;

int32_t sign7(uint32_t v)
{
    v &= 0x7F;
    return (v & 0x40) ? static_cast<int32_t>(v) - 128 : static_cast<int32_t>(v);
}

// Walks a BD's address pattern: D0 innermost; the first dimension with wrap 0
// is the outermost and unbounded.
struct AddrGen {
    Dim d[kMaxDims]{};
    unsigned outer = 0;
    uint32_t idx[kMaxDims]{};
    uint64_t base_words = 0;   // iteration offset

    void init(const Bd& b, uint64_t iteration_offset_words)
    {
        std::copy(std::begin(b.d), std::end(b.d), d);
        outer = 0;
        while (outer < kMaxDims - 1 && d[outer].wrap != 0)
            ++outer;
        std::fill(std::begin(idx), std::end(idx), 0u);
        base_words = iteration_offset_words;
    }
    [[nodiscard]] uint64_t offset_words() const
    {
        uint64_t o = base_words;
        for (unsigned k = 0; k <= outer; ++k)
            o += uint64_t{idx[k]} * d[k].step;
        return o;
    }
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

struct Tile;

struct Task {
    uint16_t start_bd;
    uint16_t repeat;
    bool token;
};

struct Channel {
    Tile* tile = nullptr;
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
    uint64_t burst_id = 0;                 // MM2S: the pending burst's id (Impl::burst_ids)
    uint32_t burst_words = 0;
    uint64_t tct_issued = 0;
    uint64_t tct_consumed = 0;
    uint32_t track = ~0u;
    sim::Cycle bd_start = 0;
    // MM2S route cache
    uint64_t route_epoch = ~0ull;
    Channel* route_sink = nullptr;
    unsigned route_hops = 0;
    std::string route_error;
};

// Who waits for a lock: a DMA channel retrying its BD's acquire, or a core retrying its
// kernel's acquires (valid while the core's epoch is unchanged).
struct Waiter {
    Channel* channel = nullptr;   // or
    Tile* core = nullptr;
    uint64_t epoch = 0;
};

struct Lock {
    int32_t value = 0;
    std::vector<Waiter> waiters;
};

struct CoreState {
    bool running = false;
    bool done = false;
    bool error = false;
    ProgramDescriptor desc;
    uint32_t iteration = 0;
    int stage = 0;
    unsigned acquires = 0;
    uint32_t track = ~0u;
    uint64_t epoch = 0;   // bumped when the core stops or its tile resets: its pending events and lock waits lapse
    sim::Cycle compute_start = 0;
};

// Bytes [lo, hi) of a tile memory written since its last reset: a reset zeroes only those
// (a memory tile is 3 MB; CERT resets a partition after every failed command, a fuzz target
// after every input). Every write into Tile::data or Tile::program records itself here.
struct WrittenRange {
    size_t lo = SIZE_MAX, hi = 0;
    void add(size_t offset, size_t bytes)
    {
        lo = std::min(lo, offset);
        hi = std::max(hi, offset + bytes);
    }
    // `mem` back to `size` zero bytes, touching only what was written when the size is unchanged.
    void zero(std::vector<uint8_t>& mem, size_t size) const
    {
        if (mem.size() != size)
            mem.assign(size, 0);
        else if (lo < hi)
            std::memset(mem.data() + lo, 0, std::min(hi, size) - lo);
    }
};

struct Tile {
    TileKind kind = TileKind::core;
    uint16_t col = 0, row = 0, arow = 0;
    const regs::TileMap* map = nullptr;
    const TileResources* res = nullptr;
    std::vector<uint8_t> data;
    std::vector<uint8_t> program;
    WrittenRange data_written, program_written;
    std::vector<uint32_t> bd_words;    // per block: block_bd_first[b] * words
    std::vector<uint16_t> bd_iter;     // current iteration per stored BD
    std::vector<Bd> bd_decoded;        // decode_bd of each stored BD, valid if bd_fresh
    std::vector<uint8_t> bd_fresh;     // cleared by any write to the BD's words
    unsigned block_bd_first[2]{};
    std::vector<Channel> s2mm, mm2s;
    std::vector<Lock> locks;
    std::vector<uint32_t> ss_master, ss_slave;
    uint32_t core_control = 0;
    std::map<uint32_t, uint32_t> stored;   // writes to known blocks without behaviour (bounded by the blocks' sizes)
    CoreState core;
    uint64_t generation = 0;
    HostMemory* host = nullptr;
};

enum class RegKind : uint8_t {
    none, data, program, bd, ctrl, queue, status, lock_value, lock_request, ss_master, ss_slave,
    core_control, core_status, stored,
};

struct Reg {
    RegKind kind = RegKind::none;
    unsigned block = 0;
    unsigned index = 0;    // BD / channel / lock / port number, or byte offset for memories
    unsigned word = 0;     // BD word
    Direction dir = Direction::s2mm;
};

} // namespace

struct Array::Impl {
    Geometry geo;
    CostParams cost;
    sim::EventQueue events;
    sim::Counters counters;
    sim::TraceWriter trace;
    std::vector<Tile> tiles;   // col-major: col * rows + row
    std::vector<uint32_t> injected_faults;   // per column: shim host bursts left to fail
    std::vector<ArrayError> errors;
    std::function<void(const ArrayError&)> error_cb;
    std::function<void(const ChannelId&)> tct_cb;
    std::function<void(uint64_t, uint32_t, WriteClass)> write_obs;
    uint64_t route_epoch = 0;
    std::vector<uint8_t> scratch;
    // address row -> (logical row, window); window 0 = registers, k>0 = memtile data slot k-1
    struct ARow {
        int row = -1;
        unsigned window = 0;
    };
    std::vector<ARow> arows;
    std::vector<uint16_t> row_to_arow;

    uint64_t burst_ids = 0;
    std::vector<Waiter> woken;   // wake()'s scratch list, kept for its capacity
    // Hot counters, looked up once.
    uint64_t& c_bytes = counters.get("dma.bytes");
    uint64_t& c_bds = counters.get("dma.bds");
    uint64_t& c_bd_words_mm2s = counters.get("dma.bd_words.mm2s");   // sum of the lengths of BDs started
    uint64_t& c_bd_words_s2mm = counters.get("dma.bd_words.s2mm");
    uint64_t& c_bursts = counters.get("dma.bursts");
    uint64_t& c_tasks = counters.get("dma.tasks");
    uint64_t& c_lock_stalls = counters.get("lock.stalls");
    uint64_t& c_tct = counters.get("tct.issued");
    uint64_t& c_invocations = counters.get("core.invocations");
    uint64_t& c_busy = counters.get("core.busy_cycles");

    Impl(const Geometry& g, const CostParams& c) : geo(g), cost(c) { build(); }

    // ---------- construction / reset ----------
    [[nodiscard]] TileKind kind_of(uint16_t row) const
    {
        if (row == geo.shim_row)
            return TileKind::shim;
        if (row >= geo.mem_row_start && row < geo.mem_row_start + geo.mem_rows)
            return TileKind::mem;
        return TileKind::core;
    }

    void build()
    {
        const uint16_t rows = geo.rows();
        // aie-codegen XAie_GetTileAddr remap (register_map.hpp header).
        row_to_arow.resize(rows);
        arows.assign(32, ARow{});
        for (uint16_t r = 0; r < rows; ++r) {
            unsigned ar = r;
            const TileKind k = kind_of(r);
            if (k == TileKind::mem && r > geo.mem_row_start)
                ar = r * 5u - 4u;
            else if (k == TileKind::core)
                ar = r + 4u * geo.mem_rows;
            row_to_arow[r] = static_cast<uint16_t>(ar);
            const unsigned windows = k == TileKind::mem ? 5 : 1;
            for (unsigned w = 0; w < windows && ar + w < arows.size(); ++w)
                arows[ar + w] = ARow{r, w};
        }
        tiles.resize(size_t{geo.columns} * rows);
        for (uint16_t c = 0; c < geo.columns; ++c)
            for (uint16_t r = 0; r < rows; ++r) {
                Tile& t = tile(c, r);
                t.col = c;
                t.row = r;
                t.arow = row_to_arow[r];
                t.kind = kind_of(r);
                init_tile(t);
            }
    }

    void init_tile(Tile& t)
    {
        const uint64_t gen = t.generation + 1;
        const uint64_t core_epoch = t.core.epoch + 1;
        HostMemory* host = t.host;
        const TileKind kind = t.kind;
        const uint16_t col = t.col, row = t.row, arow = t.arow;
        // Channels keep their addresses for the life of the array: pending events and lock
        // waiters point at them, and a reset must leave those pointers valid (the events then
        // lapse on their generation or burst-id guard).
        std::vector<Channel> s2mm = std::move(t.s2mm), mm2s = std::move(t.mm2s);
        // Memories keep their storage: a reset zeroes them in place instead of freeing and
        // allocating megabytes again (a memory tile is 3 MB; CERT resets a partition after
        // every failed command).
        std::vector<uint8_t> data = std::move(t.data), program = std::move(t.program);
        const WrittenRange data_written = t.data_written, program_written = t.program_written;
        // BD storage too (a memory tile stores 288 BDs); the decoded copies need no clearing:
        // bd_fresh = 0 makes the next use decode the BD's words again.
        std::vector<uint32_t> bd_words = std::move(t.bd_words);
        std::vector<Bd> bd_decoded = std::move(t.bd_decoded);
        t = Tile{};
        t.kind = kind;
        t.col = col;
        t.row = row;
        t.arow = arow;
        t.generation = gen;
        t.core.epoch = core_epoch;
        t.host = host;
        t.res = &resources(kind);
        t.map = kind == TileKind::core ? &regs::kCoreMap : kind == TileKind::mem ? &regs::kMemMap : &regs::kShimMap;
        data_written.zero(data, t.res->data_memory_bytes);
        program_written.zero(program, t.res->program_memory_bytes);
        t.data = std::move(data);
        t.program = std::move(program);
        unsigned total = 0;
        for (unsigned b = 0; b < t.map->dma_blocks; ++b) {
            t.block_bd_first[b] = total;
            total += t.map->dma[b].bd_storage;
        }
        bd_words.assign(size_t{total} * t.map->bd_words, 0);
        t.bd_words = std::move(bd_words);
        t.bd_iter.assign(total, 0);
        bd_decoded.resize(total);
        t.bd_decoded = std::move(bd_decoded);
        t.bd_fresh.assign(total, 0);
        // Copied from an empty channel, not Channel{}: a fresh task-queue deque allocates,
        // an assignment from an empty one keeps the storage.
        static const Channel empty_channel{};
        for (auto* list : {&s2mm, &mm2s})
            for (Channel& ch : *list)
                ch = empty_channel;
        s2mm.resize(t.res->s2mm_channels);   // no-ops after the first build
        mm2s.resize(t.res->mm2s_channels);
        t.s2mm = std::move(s2mm);
        t.mm2s = std::move(mm2s);
        for (unsigned b = 0; b < t.map->dma_blocks; ++b) {
            const auto& blk = t.map->dma[b];
            for (unsigned k = 0; k < blk.s2mm_count; ++k) {
                Channel& ch = t.s2mm[blk.s2mm_first + k];
                ch.tile = &t;
                ch.dir = Direction::s2mm;
                ch.index = static_cast<uint8_t>(blk.s2mm_first + k);
                ch.block = static_cast<uint8_t>(b);
            }
            for (unsigned k = 0; k < blk.mm2s_count; ++k) {
                Channel& ch = t.mm2s[blk.mm2s_first + k];
                ch.tile = &t;
                ch.dir = Direction::mm2s;
                ch.index = static_cast<uint8_t>(blk.mm2s_first + k);
                ch.block = static_cast<uint8_t>(b);
            }
        }
        t.locks.resize(t.res->locks);
        t.ss_master.assign(port_count(master_groups(kind)), 0);
        t.ss_slave.assign(port_count(slave_groups(kind)), 0);
    }

    Tile& tile(uint16_t c, uint16_t r) { return tiles[size_t{c} * geo.rows() + r]; }
    Tile* find_tile(uint16_t c, uint16_t r)
    {
        return c < geo.columns && r < geo.rows() ? &tile(c, r) : nullptr;
    }

    void reset_columns(uint16_t start, uint16_t count)
    {
        const unsigned end = std::min<unsigned>(geo.columns, unsigned{start} + count);
        auto in_reset = [&](const Channel* ch) { return ch && ch->tile->col >= start && ch->tile->col < end; };
        // Unhook channels of surviving tiles from the ones being reset.
        for (auto& t : tiles) {
            if (t.col >= start && t.col < end)
                continue;
            for (auto* list : {&t.s2mm, &t.mm2s})
                for (auto& ch : *list) {
                    if (in_reset(ch.waiting_producer))
                        ch.waiting_producer = nullptr;
                    if (in_reset(ch.peer)) {
                        ch.peer = nullptr;
                        ch.phase = Phase::ready;
                    }
                }
        }
        for (unsigned c = start; c < end; ++c)
            for (uint16_t r = 0; r < geo.rows(); ++r)
                init_tile(tile(static_cast<uint16_t>(c), r));
        ++route_epoch;
        AIE4_LOG(array, "array", events.now(), "reset columns [{}, {})", start, end);
    }

    // ---------- events / errors ----------
    // Events are plain calls (EventQueue::schedule_call_in) carrying the channel or tile and
    // a guard: the tile generation (a column reset drops them), the core epoch (a core stop
    // or reset drops them) or the burst id (a channel reset or error drops the burst).
    static uint64_t ptr_arg(const void* p) { return reinterpret_cast<uintptr_t>(p); }
    template <typename T>
    static T* arg_ptr(uint64_t a) { return reinterpret_cast<T*>(static_cast<uintptr_t>(a)); }

    // A channel's BD setup is over, or a lock it waits for changed: (re)try the acquire.
    void schedule_acquire(Channel& ch, sim::Cycle delay)
    {
        events.schedule_call_in(delay, [](void* self, uint64_t c, uint64_t gen) {
            Channel* ch = arg_ptr<Channel>(c);
            if (ch->tile->generation == gen)
                static_cast<Impl*>(self)->acquire(*ch);
        }, this, ptr_arg(&ch), ch.tile->generation);
    }
    // A lock a core waits for changed: retry its acquires.
    void schedule_core_step(Tile& t, uint64_t epoch, sim::Cycle delay)
    {
        events.schedule_call_in(delay, [](void* self, uint64_t tp, uint64_t ep) {
            Tile* t = arg_ptr<Tile>(tp);
            if (t->core.epoch == ep)
                static_cast<Impl*>(self)->core_step(*t);
        }, this, ptr_arg(&t), epoch);
    }

    void report(ErrorKind kind, const Tile& t, Direction dir, uint8_t ch, std::string msg)
    {
        ArrayError e{events.now(), kind, t.col, t.row, dir, ch, std::move(msg)};
        AIE4_LOG(array, "array", e.at, "error {} tile({},{}): {}", error_kind_name(kind), t.col, t.row, e.message);
        counters.add("errors");
        if (errors.size() < 10000)
            errors.push_back(e);
        if (error_cb)
            error_cb(e);   // an exception leaves through run_for() to the caller (array.hpp)
    }

    void channel_error(Channel& ch, ErrorKind kind, std::string msg)
    {
        report(kind, *ch.tile, ch.dir, ch.index, std::move(msg));
        ch.phase = Phase::error;
        ch.queue.clear();
        ch.lock_stall = false;
        if (ch.peer) {
            ch.peer->phase = Phase::ready;
            ch.peer->peer = nullptr;
            ch.peer = nullptr;
        }
    }

    uint32_t channel_track(Channel& ch)
    {
        if (ch.track == ~0u)
            ch.track = trace.track(fmt::format("col {}", ch.tile->col),
                                   fmt::format("tile({},{}) {}{}", ch.tile->col, ch.tile->row,
                                               ch.dir == Direction::s2mm ? "s2mm" : "mm2s", ch.index));
        return ch.track;
    }

    // ---------- locks ----------
    // AIE-ML semantics (register_map.hpp): v < 0 acquire_ge(-v) and add v; v >= 0 acquire_equal(v).
    bool try_acquire(Tile& t, unsigned id, int32_t v)
    {
        Lock& l = t.locks[id];
        if (v < 0) {
            if (l.value < -v)
                return false;
            l.value += v;
            wake(t, id);
            return true;
        }
        return l.value == v;
    }

    void release(Tile& t, unsigned id, int32_t v)
    {
        Lock& l = t.locks[id];
        int32_t nv = l.value + v;
        if (nv < 0 || nv > kLockMax) {
            report(ErrorKind::lock_overflow, t, Direction::s2mm, 0,
                   fmt::format("lock {} value {} + {} outside 0..{}", id, l.value, v, kLockMax));
            nv = std::clamp(nv, 0, kLockMax);
        }
        l.value = nv;
        wake(t, id);
    }

    void set_lock(Tile& t, unsigned id, int32_t v)
    {
        t.locks[id].value = std::clamp(v, 0, kLockMax);
        wake(t, id);
    }

    void wake(Tile& t, unsigned id)
    {
        auto& w = t.locks[id].waiters;
        if (w.empty())
            return;
        woken.swap(w);
        for (const Waiter& x : woken) {
            if (x.channel)
                schedule_acquire(*x.channel, cost.lock_cycles);
            else
                schedule_core_step(*x.core, x.epoch, cost.lock_cycles);
        }
        woken.clear();
    }

    // ---------- DMA ----------
    // `slot` is a block-local BD slot (memory tile: group * 16 + BD id).
    uint32_t* bd_ptr(Tile& t, unsigned block, unsigned slot)
    {
        return &t.bd_words[(size_t{t.block_bd_first[block]} + slot) * t.map->bd_words];
    }
    // The block-local slot of BD `bd` as channel `ch` names it.
    static unsigned bd_slot(const Channel& ch, unsigned bd)
    {
        const auto& blk = ch.tile->map->dma[ch.block];
        const bool s = ch.dir == Direction::s2mm;
        const unsigned local = ch.index - (s ? blk.s2mm_first : blk.mm2s_first);
        return regs::bd_group(blk, s, local) * blk.bd_count + bd;
    }

    double channel_rate(const Channel& ch) const
    {
        switch (ch.tile->kind) {
        case TileKind::shim: return cost.shim_dma_bytes_per_cycle;
        case TileKind::mem: return cost.mem_dma_bytes_per_cycle;
        case TileKind::core: return cost.core_dma_bytes_per_cycle;
        }
        return cost.stream_bytes_per_cycle;
    }

    void push_task(Channel& ch, uint32_t v)
    {
        namespace q = regs::queue;
        const Task task{static_cast<uint16_t>(v & q::kStartBdMask),
                        static_cast<uint16_t>((v >> q::kRepeatShift) & q::kRepeatMask), (v & q::kToken) != 0};
        if (v & q::kUnknownBits) {
            // A repeat count beyond the 8-bit field or bits whose meaning is unknown: refuse the
            // task rather than run something else (register_map.hpp queue).
            report(ErrorKind::bad_bd, *ch.tile, ch.dir, ch.index,
                   fmt::format("task-queue word {:#010x} sets bits {:#x} outside START_BD_ID, REPEAT_COUNT (cap {} "
                               "repeats) and ENABLE_TOKEN_ISSUE; task refused",
                               v, v & q::kUnknownBits, q::kRepeatMask + 1));
            return;
        }
        if (ch.phase == Phase::error) {
            // A new task restarts a channel that faulted (software recovery).
            ch.phase = Phase::idle;
            ch.busy = false;
        }
        if (ch.queue.size() >= kTaskQueueDepth) {
            report(ErrorKind::queue_overflow, *ch.tile, ch.dir, ch.index,
                   fmt::format("task queue full ({} pending), task for BD {} dropped", ch.queue.size(), task.start_bd));
            return;
        }
        ch.queue.push_back(task);
        if (!ch.busy)
            next_task(ch);
    }

    void next_task(Channel& ch)
    {
        if (ch.queue.empty()) {
            ch.busy = false;
            ch.phase = Phase::idle;
            return;
        }
        ch.busy = true;
        ch.task = ch.queue.front();
        ch.queue.pop_front();
        ch.repeats_left = ch.task.repeat;
        ++c_tasks;
        start_bd(ch, ch.task.start_bd);
    }

    void start_bd(Channel& ch, unsigned bd)
    {
        Tile& t = *ch.tile;
        const auto& blk = t.map->dma[ch.block];
        ch.bd = static_cast<int>(bd);
        if (bd >= blk.bd_count) {
            channel_error(ch, ErrorKind::bad_bd,
                          fmt::format("BD {} out of range ({} has {})", bd,
                                      blk.bds_per_channel ? "the channel" : "the block", blk.bd_count));
            return;
        }
        const unsigned slot = t.block_bd_first[ch.block] + bd_slot(ch, bd);
        if (!t.bd_fresh[slot]) {
            t.bd_decoded[slot] = decode_bd(t.kind, std::span<const uint32_t>(bd_ptr(t, ch.block, bd_slot(ch, bd)),
                                                                     t.map->bd_words),
                                           t.locks.size());
            t.bd_fresh[slot] = 1;
        }
        ch.cfg = t.bd_decoded[slot];
        if (!ch.cfg.refused.empty()) {
            channel_error(ch, ErrorKind::bad_bd, fmt::format("BD {}: {}", bd, ch.cfg.refused));
            return;
        }
        unsigned dims = 1;
        while (dims < kMaxDims && ch.cfg.d[dims - 1].wrap != 0)
            ++dims;
        if (dims > t.res->address_dims) {
            channel_error(ch, ErrorKind::bad_bd,
                          fmt::format("BD {} uses {} dimensions, tile supports {}", bd, dims, t.res->address_dims));
            return;
        }
        const uint32_t iter = t.bd_iter[slot] % ch.cfg.iterations;
        t.bd_iter[slot] = static_cast<uint16_t>((iter + 1) % ch.cfg.iterations);
        ch.gen.init(ch.cfg, uint64_t{iter} * ch.cfg.iter_step);
        ch.remaining = ch.cfg.length;
        ch.phase = Phase::setup;
        ch.bd_start = events.now();
        ++c_bds;
        (ch.dir == Direction::mm2s ? c_bd_words_mm2s : c_bd_words_s2mm) += ch.cfg.length;
        AIE4_LOG(dma, "array", events.now(), "tile({},{}) {}{} BD {} start: {} words at {:#x}", t.col, t.row,
                 ch.dir == Direction::s2mm ? "s2mm" : "mm2s", ch.index, bd, ch.cfg.length, ch.cfg.address);
        schedule_acquire(ch, cost.bd_setup_cycles);
    }

    void acquire(Channel& ch)
    {
        if (ch.phase != Phase::setup && ch.phase != Phase::acquiring)
            return;
        if (ch.cfg.acq_en && !try_acquire(*ch.tile, ch.cfg.acq_id, ch.cfg.acq_val)) {
            ch.phase = Phase::acquiring;
            ch.lock_stall = true;
            ++c_lock_stalls;
            ch.tile->locks[ch.cfg.acq_id].waiters.push_back(Waiter{&ch, nullptr, 0});
            return;
        }
        ch.lock_stall = false;
        ch.phase = Phase::ready;
        if (ch.remaining == 0) {
            bd_done(ch);
            return;
        }
        if (ch.dir == Direction::mm2s) {
            try_pair(ch);
        } else if (ch.waiting_producer) {
            Channel* p = ch.waiting_producer;
            ch.waiting_producer = nullptr;
            if (p->phase == Phase::ready)
                try_pair(*p);
        }
    }

    // Follow the circuit route from MM2S `ch` to the S2MM channel it feeds.
    bool resolve(Channel& ch)
    {
        if (ch.route_epoch == route_epoch)
            return ch.route_sink != nullptr;
        ch.route_epoch = route_epoch;
        ch.route_sink = nullptr;
        ch.route_hops = 0;
        Tile* t = ch.tile;
        auto slave = port_number(slave_groups(t->kind), Port{PortType::dma, ch.index});
        for (unsigned hop = 1; hop <= kMaxRouteHops; ++hop) {
            if (!slave) {
                ch.route_error = fmt::format("no such slave port at tile({},{})", t->col, t->row);
                return false;
            }
            int found = -1;
            unsigned matches = 0;
            for (unsigned m = 0; m < t->ss_master.size(); ++m) {
                const uint32_t v = t->ss_master[m];
                if ((v & regs::ss::kEnable) && (v & regs::ss::kSlaveMask) == *slave && !(v & regs::ss::kPacket)) {
                    ++matches;
                    if (found < 0)
                        found = static_cast<int>(m);
                }
            }
            if (matches == 0) {
                ch.route_error = fmt::format("dead end at tile({},{}) slave port {}", t->col, t->row, *slave);
                return false;
            }
            if (matches > 1) {
                ch.route_error = fmt::format("fan-out at tile({},{}) slave port {} (broadcast not modelled)", t->col,
                                             t->row, *slave);
                return false;
            }
            const auto port = port_at(master_groups(t->kind), static_cast<unsigned>(found));
            int dc = 0, dr = 0;
            PortType in_type{};
            switch (port->type) {
            case PortType::dma:
                if (port->index >= t->s2mm.size()) {
                    ch.route_error = "route ends at a missing S2MM channel";
                    return false;
                }
                ch.route_sink = &t->s2mm[port->index];
                ch.route_hops = hop;
                return true;
            case PortType::core:
                ch.route_error = fmt::format("route ends at the core stream port of tile({},{}) (not modelled)",
                                             t->col, t->row);
                return false;
            case PortType::north: dr = 1; in_type = PortType::south; break;
            case PortType::south: dr = -1; in_type = PortType::north; break;
            case PortType::east: dc = 1; in_type = PortType::west; break;
            case PortType::west: dc = -1; in_type = PortType::east; break;
            }
            const int nc = t->col + dc, nr = t->row + dr;
            Tile* next = (nc < 0 || nr < 0) ? nullptr : find_tile(static_cast<uint16_t>(nc), static_cast<uint16_t>(nr));
            if (!next) {
                ch.route_error = fmt::format("route leaves the array at tile({},{})", t->col, t->row);
                return false;
            }
            slave = port_number(slave_groups(next->kind), Port{in_type, port->index});
            t = next;
        }
        ch.route_error = "route longer than 64 switches (loop?)";
        return false;
    }

    void try_pair(Channel& p)
    {
        if (p.phase != Phase::ready)
            return;
        if (!resolve(p)) {
            channel_error(p, ErrorKind::bad_route,
                          fmt::format("MM2S{} of tile({},{}): {}", p.index, p.tile->col, p.tile->row, p.route_error));
            return;
        }
        Channel& s = *p.route_sink;
        if (s.phase != Phase::ready || s.peer) {
            s.waiting_producer = &p;
            return;
        }
        // Bursts move at most kMaxBurstWords: a BD's length (up to 2^32 words on the shim) never
        // sizes a host buffer or one event's work (issue: bounded guest-chosen sizes).
        const uint32_t words = std::min({p.remaining, s.remaining, kMaxBurstWords});
        const double rate = std::min({channel_rate(p), channel_rate(s), cost.stream_bytes_per_cycle});
        const auto cycles = static_cast<sim::Cycle>(std::ceil(4.0 * words / rate)) + p.route_hops * cost.switch_hop_cycles;
        p.phase = s.phase = Phase::transferring;
        p.peer = &s;
        s.peer = &p;
        p.burst_id = ++burst_ids;
        p.burst_words = words;
        // Lapses if either side was reset or faulted (peer cleared, or a new burst started).
        events.schedule_call_in(cycles, [](void* self, uint64_t pp, uint64_t id) {
            Channel* p = arg_ptr<Channel>(pp);
            if (p->burst_id == id && p->peer)
                static_cast<Impl*>(self)->complete(*p, *p->peer, p->burst_words);
        }, this, ptr_arg(&p), p.burst_id);
    }

    // Moves `words` through ch's address pattern between tile/host memory and buf.
    bool move(Channel& ch, uint32_t words, uint8_t* buf, bool into_memory)
    {
        Tile& t = *ch.tile;
        while (words > 0) {
            const uint32_t n = ch.gen.run(words);
            const uint64_t off = ch.gen.offset_words() * 4;
            const size_t bytes = size_t{n} * 4;
            if (t.kind == TileKind::shim) {
                const uint64_t addr = ch.cfg.address + off;
                if (!t.host || addr < cost.shim_host_address_offset) {
                    channel_error(ch, ErrorKind::dma_fault,
                                  fmt::format("{} host address {:#x} {}", into_memory ? "write to" : "read from", addr,
                                              t.host ? "below the shim address offset" : "with no host memory attached"));
                    return false;
                }
                const uint64_t host = addr - cost.shim_host_address_offset;
                if (ch.tile->col < injected_faults.size() && injected_faults[ch.tile->col] > 0) {
                    --injected_faults[ch.tile->col];
                    channel_error(ch, ErrorKind::dma_fault,
                                  fmt::format("{} host address {:#x}+{}: injected DMA fault",
                                              into_memory ? "write to" : "read from", host, bytes));
                    return false;
                }
                const bool ok = into_memory ? t.host->write(host, buf, bytes) : t.host->read(host, buf, bytes);
                if (!ok) {
                    channel_error(ch, ErrorKind::dma_fault,
                                  fmt::format("{} host address {:#x}+{} not mapped", into_memory ? "write to" : "read from",
                                              host, bytes));
                    return false;
                }
            } else {
                const uint64_t addr = ch.cfg.address + off;
                if (addr > t.data.size() || bytes > t.data.size() - addr) {
                    channel_error(ch, ErrorKind::dma_fault,
                                  fmt::format("tile memory access {:#x}+{} beyond {} bytes", addr, bytes, t.data.size()));
                    return false;
                }
                if (into_memory) {
                    std::memcpy(t.data.data() + addr, buf, bytes);
                    t.data_written.add(addr, bytes);
                } else
                    std::memcpy(buf, t.data.data() + addr, bytes);
            }
            ch.gen.advance(n);
            buf += bytes;
            words -= n;
        }
        return true;
    }

    // True if the next `words` of ch's pattern stay inside its tile's data memory.
    static bool pattern_in_memory(const Channel& ch, uint32_t words)
    {
        AddrGen g = ch.gen;
        const size_t size = ch.tile->data.size();
        while (words > 0) {
            const uint32_t n = g.run(words);
            const uint64_t addr = ch.cfg.address + g.offset_words() * 4;
            if (addr > size || size_t{n} * 4 > size - addr)
                return false;
            g.advance(n);
            words -= n;
        }
        return true;
    }

    // Tile memory to another tile's memory, run by run, without the scratch buffer.
    static void copy_between_tiles(Channel& p, Channel& s, uint32_t words)
    {
        while (words > 0) {
            const uint32_t n = std::min(p.gen.run(words), s.gen.run(words));
            std::memcpy(s.tile->data.data() + s.cfg.address + s.gen.offset_words() * 4,
                        p.tile->data.data() + p.cfg.address + p.gen.offset_words() * 4, size_t{n} * 4);
            s.tile->data_written.add(s.cfg.address + s.gen.offset_words() * 4, size_t{n} * 4);
            p.gen.advance(n);
            s.gen.advance(n);
            words -= n;
        }
    }

    void complete(Channel& p, Channel& s, uint32_t words)
    {
        p.peer = s.peer = nullptr;
        p.phase = s.phase = Phase::ready;
        // Between two different tiles' memories (no overlap possible) and with both patterns
        // in range, copy directly; otherwise (host memory, same tile, a fault to report) go
        // through the scratch buffer, which reads the whole burst before writing any of it.
        if (p.tile != s.tile && p.tile->kind != TileKind::shim && s.tile->kind != TileKind::shim &&
            pattern_in_memory(p, words) && pattern_in_memory(s, words)) {
            copy_between_tiles(p, s, words);
        } else {
            scratch.resize(size_t{words} * 4);
            if (!move(p, words, scratch.data(), false))
                return;
            if (!move(s, words, scratch.data(), true))
                return;
        }
        c_bytes += uint64_t{words} * 4;
        ++c_bursts;
        p.remaining -= words;
        s.remaining -= words;
        // Consumer first: its lock release may be what the producer's next BD waits for.
        if (s.remaining == 0)
            bd_done(s);
        if (p.remaining == 0)
            bd_done(p);
        else
            try_pair(p);
        if (s.phase == Phase::ready && s.waiting_producer) {
            Channel* w = s.waiting_producer;
            s.waiting_producer = nullptr;
            try_pair(*w);
        }
    }

    void bd_done(Channel& ch)
    {
        Tile& t = *ch.tile;
        if (ch.cfg.rel_val != 0)
            release(t, ch.cfg.rel_id, ch.cfg.rel_val);
        if (trace.enabled())
            trace.complete(channel_track(ch), fmt::format("bd {}", ch.bd), ch.bd_start, events.now() - ch.bd_start);
        AIE4_LOG(dma, "array", events.now(), "tile({},{}) {}{} BD {} done", t.col, t.row,
                 ch.dir == Direction::s2mm ? "s2mm" : "mm2s", ch.index, ch.bd);
        ch.phase = Phase::setup;
        if (ch.cfg.use_next) {
            start_bd(ch, ch.cfg.next_bd);
            return;
        }
        if (ch.repeats_left > 0) {
            --ch.repeats_left;
            start_bd(ch, ch.task.start_bd);
            return;
        }
        if (ch.task.token) {
            ++ch.tct_issued;
            ++c_tct;
            if (tct_cb)
                tct_cb(ChannelId{t.col, t.row, ch.dir, ch.index});
        }
        ch.busy = false;
        ch.phase = Phase::idle;
        next_task(ch);
    }

    uint32_t channel_status(const Channel& ch) const
    {
        namespace st = regs::status;
        uint32_t v = 0;
        switch (ch.phase) {
        case Phase::idle: break;
        case Phase::setup: v |= 1; break;
        case Phase::error: v |= st::kError; break;
        default: v |= 2; break;
        }
        if (ch.lock_stall)
            v |= st::kStalledLockAcq;
        if (ch.busy && ch.phase != Phase::error)
            v |= st::kRunning;
        if (ch.dir == Direction::s2mm && ch.phase == Phase::ready)
            v |= st::kStreamStarvation;
        v |= static_cast<uint32_t>(std::min<size_t>(ch.queue.size(), 31)) << st::kQueueSizeShift;
        v |= (static_cast<uint32_t>(std::max(ch.bd, 0)) & 0x3F) << st::kCurBdShift;
        return v;
    }

    // ---------- cores ----------
    void core_write(Tile& t, uint32_t v)
    {
        const uint32_t old = t.core_control;
        t.core_control = v;
        if (v & regs::core::kReset) {
            stop_core(t);
            return;
        }
        if ((v & regs::core::kEnable) && !(old & regs::core::kEnable))
            start_core(t);
        else if (!(v & regs::core::kEnable) && (old & regs::core::kEnable))
            stop_core(t);
    }

    void stop_core(Tile& t)
    {
        ++t.core.epoch;
        t.core.running = false;
    }

    void core_fail(Tile& t, std::string msg)
    {
        t.core.error = true;
        t.core.running = false;
        report(ErrorKind::core_error, t, Direction::s2mm, 0, std::move(msg));
    }

    void start_core(Tile& t)
    {
        const uint32_t track = t.core.track;
        const uint64_t epoch = t.core.epoch + 1;
        t.core = CoreState{};
        t.core.track = track;
        t.core.epoch = epoch;
        if (t.kind != TileKind::core) {
            core_fail(t, "core enable on a tile without a core");
            return;
        }
        if (std::all_of(t.program.begin(), t.program.end(), [](uint8_t b) { return b == 0; })) {
            core_fail(t, fmt::format("core program not loaded for tile ({},{})", t.col, t.row));
            return;
        }
        std::vector<uint32_t> words(kProgramWords);
        std::memcpy(words.data(), t.program.data(), words.size() * 4);
        std::string err;
        auto d = ProgramDescriptor::decode(words, &err);
        if (!d) {
            core_fail(t, err);
            return;
        }
        const auto shape = kernel_shape(*d);
        auto fits = [&](uint32_t addr, uint64_t bytes) { return bytes == 0 || (addr <= t.data.size() && bytes <= t.data.size() - addr); };
        if (!shape || !fits(d->in0, shape->in0_bytes) || !fits(d->in1, shape->in1_bytes) || !fits(d->out, shape->out_bytes)) {
            core_fail(t, fmt::format("kernel {} buffers outside data memory", kernel_name(d->kernel)));
            return;
        }
        for (const LockPair* lp : {&d->in0_locks, &d->in1_locks, &d->out_locks})
            if (lp->enabled && (lp->acquire >= t.locks.size() || lp->release >= t.locks.size())) {
                core_fail(t, "kernel descriptor names a lock beyond the tile's locks");
                return;
            }
        t.core.desc = *d;
        t.core.running = true;
        AIE4_LOG(core, "array", events.now(), "tile({},{}) start {} x{}", t.col, t.row, kernel_name(d->kernel), d->iterations);
        core_step(t);
    }

    static bool uses_in1(KernelId k)
    {
        return k == KernelId::add || k == KernelId::gemm_i8 || k == KernelId::gemm_bf16;
    }

    void core_step(Tile& t)
    {
        CoreState& c = t.core;
        if (!c.running)
            return;
        const LockPair* stages[3] = {&c.desc.in0_locks, uses_in1(c.desc.kernel) ? &c.desc.in1_locks : nullptr,
                                     &c.desc.out_locks};
        while (c.stage < 3) {
            const LockPair* lp = stages[c.stage];
            if (lp && lp->enabled) {
                if (!try_acquire(t, lp->acquire, -1)) {
                    ++c_lock_stalls;
                    t.locks[lp->acquire].waiters.push_back(Waiter{nullptr, &t, c.epoch});
                    return;
                }
                ++c.acquires;
            }
            ++c.stage;
        }
        const sim::Cycle cycles = kernel_cycles(c.desc, cost) + c.acquires * cost.lock_cycles;
        c.compute_start = events.now();
        events.schedule_call_in(cycles, [](void* self, uint64_t tp, uint64_t ep) {
            Tile* t = arg_ptr<Tile>(tp);
            if (t->core.epoch == ep)
                static_cast<Impl*>(self)->core_compute_done(*t);
        }, this, ptr_arg(&t), c.epoch);
    }

    void core_compute_done(Tile& t)
    {
        CoreState& c = t.core;
        const sim::Cycle start = c.compute_start;
        run_kernel(c.desc, t.data);
        t.data_written.add(0, t.data.size());   // a kernel writes where its descriptor says
        ++c_invocations;
        c_busy += events.now() - start;
        if (trace.enabled()) {
            if (c.track == ~0u)
                c.track = trace.track(fmt::format("col {}", t.col), fmt::format("tile({},{}) core", t.col, t.row));
            trace.complete(c.track, fmt::format("{} #{}", kernel_name(c.desc.kernel), c.iteration), start,
                           events.now() - start);
        }
        const LockPair* rel[3] = {&c.desc.in0_locks, uses_in1(c.desc.kernel) ? &c.desc.in1_locks : nullptr,
                                  &c.desc.out_locks};
        for (const LockPair* lp : rel)
            if (lp && lp->enabled)
                release(t, lp->release, 1);
        ++c.iteration;
        c.stage = 0;
        c.acquires = 0;
        if (c.desc.iterations != 0 && c.iteration >= c.desc.iterations) {
            c.running = false;
            c.done = true;
            AIE4_LOG(core, "array", events.now(), "tile({},{}) done after {} iterations", t.col, t.row, c.iteration);
            return;
        }
        core_step(t);
    }

    // ---------- register decode ----------
    struct Target {
        Tile* tile = nullptr;
        uint32_t offset = 0;
        unsigned window = 0;
    };

    Target target(uint64_t addr)
    {
        const uint64_t col = addr >> Geometry::kColumnShift;
        const unsigned arow = static_cast<unsigned>((addr >> Geometry::kRowShift) & 0x1F);
        if (col >= geo.columns || arows[arow].row < 0)
            return {};
        return Target{&tile(static_cast<uint16_t>(col), static_cast<uint16_t>(arows[arow].row)),
                      static_cast<uint32_t>(addr & 0xFFFFF), arows[arow].window};
    }

    static Reg decode_reg(const Tile& t, uint32_t o)
    {
        const auto& m = *t.map;
        auto in = [o](uint32_t base, uint64_t size) { return base != regs::kNone && o >= base && o < base + size; };
        if (t.kind == TileKind::core) {
            if (in(m.data_memory, t.data.size()))
                return Reg{RegKind::data, 0, o - m.data_memory};
            if (in(m.program_memory, t.program.size()))
                return Reg{RegKind::program, 0, o - m.program_memory};
            if (o == m.core_control)
                return Reg{RegKind::core_control};
            if (o == m.core_status)
                return Reg{RegKind::core_status};
        }
        for (unsigned b = 0; b < m.dma_blocks; ++b) {
            const auto& blk = m.dma[b];
            if (in(blk.bd_base, uint64_t{blk.bd_storage} * m.bd_stride)) {
                const uint32_t rel = o - blk.bd_base;
                const unsigned word = (rel % m.bd_stride) / 4;
                if (rel % 4 != 0 || word >= m.bd_words)
                    return {};
                return Reg{RegKind::bd, b, rel / m.bd_stride, word};
            }
            for (Direction d : {Direction::s2mm, Direction::mm2s}) {
                const bool s = d == Direction::s2mm;
                const uint32_t ctrl = s ? blk.s2mm_ctrl : blk.mm2s_ctrl;
                const unsigned n = s ? blk.s2mm_count : blk.mm2s_count;
                const unsigned first = s ? blk.s2mm_first : blk.mm2s_first;
                if (in(ctrl, 8u * n) && (o - ctrl) % 4 == 0)
                    return Reg{(o - ctrl) % 8 == 0 ? RegKind::ctrl : RegKind::queue, b, first + (o - ctrl) / 8, 0, d};
                const uint32_t st = s ? blk.s2mm_status : blk.mm2s_status;
                if (in(st, 4u * n) && (o - st) % 4 == 0)
                    return Reg{RegKind::status, b, first + (o - st) / 4, 0, d};
            }
            if (in(blk.lock_value, uint64_t{regs::kLockValueStride} * blk.lock_count) &&
                (o - blk.lock_value) % regs::kLockValueStride == 0)
                return Reg{RegKind::lock_value, b, blk.lock_first + (o - blk.lock_value) / regs::kLockValueStride};
            if (in(blk.lock_request, uint64_t{regs::kLockRequestIdStride} * blk.lock_count))
                return Reg{RegKind::lock_request, b, o - blk.lock_request};
        }
        if (in(m.ss_master, 4u * t.ss_master.size()) && o % 4 == 0)
            return Reg{RegKind::ss_master, 0, (o - m.ss_master) / 4};
        if (in(m.ss_slave, 4u * t.ss_slave.size()) && o % 4 == 0)
            return Reg{RegKind::ss_slave, 0, (o - m.ss_slave) / 4};
        for (unsigned k = 0; k < m.stored.size(); ++k)
            if (in(m.stored[k].base, m.stored[k].size))
                return Reg{RegKind::stored, k, o - m.stored[k].base};
        return {};
    }

    // A write into a known block whose behaviour the model does not have: kept (reads return
    // it) and counted apart from writes to unknown addresses.
    void stored_write(Tile& t, const Reg& r, uint64_t addr, uint32_t v)
    {
        counters.add("stored_no_behaviour.writes");
        t.stored[static_cast<uint32_t>(addr & 0xFFFFF)] = v;
        AIE4_LOG(array, "array", events.now(), "stored, no behaviour: {:#x} <- {:#x} ({})", addr, v,
                 t.map->stored[r.block].name);
    }

    void unmodelled_write(uint64_t addr, uint32_t v)
    {
        counters.add("unmodelled.writes");
        AIE4_LOG(array, "array", events.now(), "unmodelled write {:#x} <- {:#x}", addr, v);
    }

    void write32(uint64_t addr, uint32_t v)
    {
        Target tg = target(addr);
        if (!tg.tile) {
            if (write_obs)
                write_obs(addr, v, WriteClass::unknown);
            unmodelled_write(addr, v);
            return;
        }
        Tile& t = *tg.tile;
        if (write_obs) {
            WriteClass c = WriteClass::modelled;
            if (tg.window == 0) {
                const RegKind k = decode_reg(t, tg.offset).kind;
                c = k == RegKind::none     ? WriteClass::unknown
                    : k == RegKind::stored ? WriteClass::stored_no_behaviour
                    : k == RegKind::bd     ? WriteClass::bd
                                           : WriteClass::modelled;
            } else if ((uint64_t{tg.window - 1} << Geometry::kRowShift) + tg.offset + 4 > t.data.size()) {
                c = WriteClass::unknown;
            }
            write_obs(addr, v, c);
        }
        if (tg.window > 0) {
            const uint64_t off = (uint64_t{tg.window - 1} << Geometry::kRowShift) + tg.offset;
            if (off % 4 == 0 && off + 4 <= t.data.size()) {
                std::memcpy(t.data.data() + off, &v, 4);
                t.data_written.add(off, 4);
                return;
            }
            unmodelled_write(addr, v);
            return;
        }
        const Reg r = decode_reg(t, tg.offset);
        switch (r.kind) {
        case RegKind::data:
            if (r.index + 4 <= t.data.size()) {
                std::memcpy(t.data.data() + r.index, &v, 4);
                t.data_written.add(r.index, 4);
            }
            return;
        case RegKind::program:
            if (r.index + 4 <= t.program.size()) {
                std::memcpy(t.program.data() + r.index, &v, 4);
                t.program_written.add(r.index, 4);
            }
            return;
        case RegKind::bd: {
            uint32_t* w = bd_ptr(t, r.block, r.index);
            w[r.word] = v;
            const unsigned slot = t.block_bd_first[r.block] + r.index;
            t.bd_fresh[slot] = 0;
            // Writing a BD restarts its iteration count at ITERATION_CURRENT (0 where the
            // layout has no such field).
            const regs::Field* cur = regs::find_field(t.map->bd_fields, regs::BdField::iter_current);
            t.bd_iter[slot] = cur ? static_cast<uint16_t>(
                                        regs::get_field(std::span<const uint32_t>(w, t.map->bd_words), *cur))
                                  : 0;
            return;
        }
        case RegKind::ctrl: {
            Channel& ch = r.dir == Direction::s2mm ? t.s2mm[r.index] : t.mm2s[r.index];
            ch.ctrl = v;
            if (v & 0x2) {   // channel reset [AIE-ML CTRL bit 1]
                ch.queue.clear();
                ch.busy = false;
                ch.phase = Phase::idle;
                ch.lock_stall = false;
                if (ch.peer) {
                    ch.peer->phase = Phase::ready;
                    ch.peer->peer = nullptr;
                    ch.peer = nullptr;
                }
            }
            return;
        }
        case RegKind::queue: push_task(r.dir == Direction::s2mm ? t.s2mm[r.index] : t.mm2s[r.index], v); return;
        case RegKind::lock_value: set_lock(t, r.index, sign7(v)); return;
        case RegKind::stored: stored_write(t, r, addr, v); return;
        case RegKind::ss_master:
            t.ss_master[r.index] = v;
            ++route_epoch;
            return;
        case RegKind::ss_slave:
            t.ss_slave[r.index] = v;
            ++route_epoch;
            return;
        case RegKind::core_control: core_write(t, v); return;
        default: unmodelled_write(addr, v); return;
        }
    }

    uint32_t read32(uint64_t addr)
    {
        Target tg = target(addr);
        if (!tg.tile) {
            counters.add("unmodelled.reads");
            return 0;
        }
        Tile& t = *tg.tile;
        uint32_t v = 0;
        if (tg.window > 0) {
            const uint64_t off = (uint64_t{tg.window - 1} << Geometry::kRowShift) + tg.offset;
            if (off % 4 == 0 && off + 4 <= t.data.size())
                std::memcpy(&v, t.data.data() + off, 4);
            return v;
        }
        const Reg r = decode_reg(t, tg.offset);
        switch (r.kind) {
        case RegKind::data:
            if (r.index + 4 <= t.data.size())
                std::memcpy(&v, t.data.data() + r.index, 4);
            return v;
        case RegKind::program:
            if (r.index + 4 <= t.program.size())
                std::memcpy(&v, t.program.data() + r.index, 4);
            return v;
        case RegKind::bd: return bd_ptr(t, r.block, r.index)[r.word];
        case RegKind::ctrl: return (r.dir == Direction::s2mm ? t.s2mm[r.index] : t.mm2s[r.index]).ctrl;
        case RegKind::queue: return 0;
        case RegKind::status: return channel_status(r.dir == Direction::s2mm ? t.s2mm[r.index] : t.mm2s[r.index]);
        case RegKind::lock_value: return static_cast<uint32_t>(t.locks[r.index].value);
        case RegKind::lock_request: {
            const unsigned id = t.map->dma[r.block].lock_first + r.index / regs::kLockRequestIdStride;
            const bool acq = (r.index & regs::kLockRequestAcquire) != 0;
            const int32_t val = sign7((r.index >> 2) & 0x7F);
            if (acq)
                return try_acquire(t, id, val) ? 1u : 0u;
            const int32_t nv = t.locks[id].value + val;
            if (nv < 0 || nv > kLockMax)
                return 0;
            release(t, id, val);
            return 1;
        }
        case RegKind::ss_master: return t.ss_master[r.index];
        case RegKind::ss_slave: return t.ss_slave[r.index];
        case RegKind::stored: {
            const auto it = t.stored.find(static_cast<uint32_t>(addr & 0xFFFFF));
            return it == t.stored.end() ? 0 : it->second;
        }
        case RegKind::core_control: return t.core_control;
        case RegKind::core_status: {
            namespace cs = regs::core;
            return (t.core.running ? cs::kStatusRunning : 0) | (t.core.done ? cs::kStatusDone : 0) |
                   (t.core.error ? cs::kStatusErrorHalt : 0);
        }
        default: counters.add("unmodelled.reads"); return 0;
        }
    }

    Channel* channel(const ChannelId& id)
    {
        Tile* t = find_tile(id.col, id.row);
        if (!t)
            return nullptr;
        auto& list = id.dir == Direction::s2mm ? t->s2mm : t->mm2s;
        return id.channel < list.size() ? &list[id.channel] : nullptr;
    }
};

// ---------------- public API ----------------

Array::Array(const Geometry& geometry, const CostParams& costs) : impl_(std::make_unique<Impl>(geometry, costs)) {}
Array::~Array() = default;

const Geometry& Array::geometry() const { return impl_->geo; }
const CostParams& Array::costs() const { return impl_->cost; }

void Array::write32(uint64_t a, uint32_t v) { impl_->write32(a, v); }

uint32_t Array::read32(uint64_t a) { return impl_->read32(a); }

void Array::block_write(uint64_t a, std::span<const uint32_t> words)
{
    for (size_t i = 0; i < words.size(); ++i)
        write32(a + 4 * i, words[i]);
}

void Array::mask_write32(uint64_t a, uint32_t mask, uint32_t value)
{
    write32(a, (read32(a) & ~mask) | (value & mask));
}

uint64_t Array::tile_address(uint16_t col, uint16_t row, uint32_t offset) const
{
    const uint16_t ar = row < impl_->row_to_arow.size() ? impl_->row_to_arow[row] : row;
    return regs::tile_address(col, ar, offset);
}

void Array::inject_host_dma_faults(uint16_t start, uint16_t count, uint32_t n)
{
    auto& f = impl_->injected_faults;
    f.resize(impl_->geo.columns, 0);
    for (unsigned c = start; c < std::min<unsigned>(impl_->geo.columns, unsigned{start} + count); ++c)
        f[c] = n;
}

uint32_t Array::injected_host_dma_faults(uint16_t col) const
{
    return col < impl_->injected_faults.size() ? impl_->injected_faults[col] : 0;
}

void Array::attach_host_memory(uint16_t start, uint16_t count, HostMemory* memory)
{
    for (unsigned c = start; c < std::min<unsigned>(impl_->geo.columns, unsigned{start} + count); ++c)
        impl_->tile(static_cast<uint16_t>(c), impl_->geo.shim_row).host = memory;
}

sim::Cycle Array::now() const { return impl_->events.now(); }

bool Array::run_until_idle(sim::Cycle max_cycles)
{
    return impl_->events.run_until_idle(max_cycles);
}

void Array::run_for(sim::Cycle cycles)
{
    impl_->events.run_until(impl_->events.now() + cycles);
}

bool Array::mask_poll(uint64_t a, uint32_t mask, uint32_t value, sim::Cycle max_cycles)
{
    return impl_->events.run_until_true([&] { return (impl_->read32(a) & mask) == value; },
                                        impl_->events.now() + max_cycles);
}

uint64_t Array::tct_issued(const ChannelId& id) const
{
    const Channel* ch = impl_->channel(id);
    return ch ? ch->tct_issued : 0;
}

uint64_t Array::tct_pending(const ChannelId& id) const
{
    const Channel* ch = impl_->channel(id);
    return ch ? ch->tct_issued - ch->tct_consumed : 0;
}

bool Array::wait_tcts(const ChannelId& id, uint32_t count, sim::Cycle max_cycles)
{
    Channel* ch = impl_->channel(id);
    if (!ch)
        return false;
    const uint64_t gen = ch->tile->generation;
    Tile* t = ch->tile;
    const bool ok = impl_->events.run_until_true([&] { return ch->tct_issued - ch->tct_consumed >= count; },
                                                 impl_->events.now() + max_cycles);
    if (!ok || t->generation != gen)
        return false;
    ch->tct_consumed += count;
    return true;
}

void Array::set_write_observer(std::function<void(uint64_t, uint32_t, WriteClass)> o)
{
    impl_->write_obs = std::move(o);
}

std::vector<std::pair<uint16_t, uint16_t>> Array::cores_awaited() const
{
    std::vector<std::pair<uint16_t, uint16_t>> out;
    for (const Tile& t : impl_->tiles) {
        if (t.kind != TileKind::core || t.core.running)
            continue;
        bool waits = false;
        for (const auto* list : {&t.s2mm, &t.mm2s})
            for (const Channel& ch : *list)
                waits = waits || ch.lock_stall;
        if (waits && std::all_of(t.program.begin(), t.program.end(), [](uint8_t b) { return b == 0; }))
            out.emplace_back(t.col, t.row);
    }
    return out;
}

void Array::set_tct_callback(std::function<void(const ChannelId&)> cb) { impl_->tct_cb = std::move(cb); }
const std::vector<ArrayError>& Array::errors() const { return impl_->errors; }
void Array::clear_errors() { impl_->errors.clear(); }
void Array::set_error_callback(std::function<void(const ArrayError&)> cb) { impl_->error_cb = std::move(cb); }
void Array::reset_columns(uint16_t start, uint16_t count) { impl_->reset_columns(start, count); }
sim::Counters& Array::counters() { return impl_->counters; }
sim::TraceWriter& Array::trace() { return impl_->trace; }
sim::EventQueue& Array::events() { return impl_->events; }

bool Array::read_tile_memory(uint16_t col, uint16_t row, uint32_t offset, void* out, size_t bytes) const
{
    auto* t = impl_->find_tile(col, row);
    if (!t || offset > t->data.size() || bytes > t->data.size() - offset)
        return false;
    std::memcpy(out, t->data.data() + offset, bytes);
    return true;
}

bool Array::write_tile_memory(uint16_t col, uint16_t row, uint32_t offset, const void* in, size_t bytes)
{
    auto* t = impl_->find_tile(col, row);
    if (!t || offset > t->data.size() || bytes > t->data.size() - offset)
        return false;
    std::memcpy(t->data.data() + offset, in, bytes);
    t->data_written.add(offset, bytes);
    return true;
}

int32_t Array::lock_value(uint16_t col, uint16_t row, uint16_t lock) const
{
    auto* t = impl_->find_tile(col, row);
    return t && lock < t->locks.size() ? t->locks[lock].value : -1;
}

} // namespace aie4emu::aie
