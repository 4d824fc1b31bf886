#include "hw/aie/dma.hpp"

#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "hw/aie/locks.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"
#include "hw/aie/tile.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::aie {

namespace {

// Events are plain calls (EventQueue::schedule_call_in) carrying the channel and a guard: the
// DMA tile generation (a column reset drops them) or the burst id (a channel reset or error
// drops the burst).
uint64_t ptr_arg(const void* p) { return reinterpret_cast<uintptr_t>(p); }
template <typename T>
T* arg_ptr(uint64_t a) { return reinterpret_cast<T*>(static_cast<uintptr_t>(a)); }

const char* dir_name(Direction d) { return d == Direction::s2mm ? "s2mm" : "mm2s"; }

// True if the next `words` of ch's pattern stay inside its tile's data memory.
bool pattern_in_memory(const Channel& ch, uint32_t words)
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
void copy_between_tiles(Channel& p, Channel& s, uint32_t words)
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

// The channel drops its transfer: its peer (if any) goes back to waiting for data.
void unpair(Channel& ch)
{
    if (ch.peer) {
        ch.peer->phase = Phase::ready;
        ch.peer->peer = nullptr;
        ch.peer = nullptr;
    }
}

} // namespace

void AddrGen::init(const Bd& b, uint64_t iteration_offset_words)
{
    std::copy(std::begin(b.d), std::end(b.d), d);
    outer = 0;
    while (outer < kMaxDims - 1 && d[outer].wrap != 0)
        ++outer;
    std::fill(std::begin(idx), std::end(idx), 0u);
    base_words = iteration_offset_words;
}

DmaEngine::DmaEngine(ArrayContext& ctx, TileGrid& tiles, LockUnit& locks, const StreamRoutes& routes)
    : ctx_(ctx), tiles_(tiles), locks_(locks), routes_(routes), dma_(tiles.all().size()),
      injected_faults_(tiles.geometry().columns, 0), c_bytes_(ctx.counters.get("dma.bytes")),
      c_bds_(ctx.counters.get("dma.bds")), c_bd_words_mm2s_(ctx.counters.get("dma.bd_words.mm2s")),
      c_bd_words_s2mm_(ctx.counters.get("dma.bd_words.s2mm")), c_bursts_(ctx.counters.get("dma.bursts")),
      c_tasks_(ctx.counters.get("dma.tasks")), c_lock_stalls_(ctx.counters.get("lock.stalls")),
      c_tct_(ctx.counters.get("tct.issued"))
{
    for (Tile& t : tiles_.all())
        reset_tile(t);
}

DmaTile& DmaEngine::at(const Tile& t) { return dma_[tiles_.index(t)]; }
const DmaTile& DmaEngine::at(const Tile& t) const { return dma_[tiles_.index(t)]; }

// ---------- reset ----------

void DmaEngine::reset_tile(Tile& t)
{
    DmaTile& d = at(t);
    d.generation += 1;
    unsigned total = 0;
    for (unsigned b = 0; b < t.map->dma_blocks; ++b) {
        d.block_bd_first[b] = total;
        total += t.map->dma[b].bd_storage;
    }
    d.bd_words.assign(size_t{total} * t.map->bd_words, 0);
    d.bd_iter.assign(total, 0);
    d.bd_decoded.assign(total, Bd{});
    d.bd_fresh.assign(total, 0);
    // Copied from an empty channel, not Channel{}: a fresh task-queue deque allocates, an
    // assignment from an empty one keeps the storage (a fuzz target resets after every input).
    static const Channel empty_channel{};
    for (auto* list : {&d.s2mm, &d.mm2s})
        for (Channel& ch : *list)
            ch = empty_channel;
    d.s2mm.resize(t.res->s2mm_channels);   // no-ops after the first reset
    d.mm2s.resize(t.res->mm2s_channels);
    for (unsigned b = 0; b < t.map->dma_blocks; ++b) {
        const auto& blk = t.map->dma[b];
        for (Direction dir : {Direction::s2mm, Direction::mm2s}) {
            const regs::ChannelRange range = regs::channels(blk, dir);
            for (unsigned c = range.first; c < range.first + range.count; ++c) {
                Channel& ch = d.channel(dir, c);
                ch.tile = &t;
                ch.dma = &d;
                ch.dir = dir;
                ch.index = static_cast<uint8_t>(c);
                ch.block = static_cast<uint8_t>(b);
            }
        }
    }
}

void DmaEngine::reset_columns(unsigned start, unsigned end)
{
    auto in_reset = [&](const Channel* ch) { return ch && ch->tile->col >= start && ch->tile->col < end; };
    // Unhook channels of surviving tiles from the ones being reset.
    for (Tile& t : tiles_.all()) {
        if (t.col >= start && t.col < end)
            continue;
        DmaTile& d = at(t);
        for (auto* list : {&d.s2mm, &d.mm2s})
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
        for (uint16_t r = 0; r < tiles_.geometry().rows(); ++r)
            reset_tile(tiles_.at(static_cast<uint16_t>(c), r));
}

// ---------- registers ----------

// `slot` is a block-local BD slot (memory tile: group * 16 + BD id).
uint32_t* DmaEngine::bd_ptr(Tile& t, unsigned block, unsigned slot)
{
    DmaTile& d = at(t);
    return &d.bd_words[(size_t{d.block_bd_first[block]} + slot) * t.map->bd_words];
}

// The block-local slot of BD `bd` as channel `ch` names it.
unsigned DmaEngine::bd_slot(const Channel& ch, unsigned bd)
{
    return regs::bd_slot(ch.tile->map->dma[ch.block], ch.dir, ch.index, bd);
}

void DmaEngine::write_bd_word(Tile& t, unsigned block, unsigned slot, unsigned word, uint32_t value)
{
    DmaTile& d = at(t);
    uint32_t* w = bd_ptr(t, block, slot);
    w[word] = value;
    const unsigned index = d.block_bd_first[block] + slot;
    d.bd_fresh[index] = 0;
    // Writing a BD restarts its iteration count at ITERATION_CURRENT (0 where the layout has
    // no such field).
    const regs::Field* cur = regs::find_field(t.map->bd_fields, regs::BdField::iter_current);
    d.bd_iter[index] =
        cur ? static_cast<uint16_t>(regs::get_field(std::span<const uint32_t>(w, t.map->bd_words), *cur)) : 0;
}

uint32_t DmaEngine::bd_word(const Tile& t, unsigned block, unsigned slot, unsigned word) const
{
    const DmaTile& d = at(t);
    return d.bd_words[(size_t{d.block_bd_first[block]} + slot) * t.map->bd_words + word];
}

void DmaEngine::write_control(Tile& t, Direction dir, unsigned channel, uint32_t value)
{
    Channel& ch = at(t).channel(dir, channel);
    ch.ctrl = value;
    if (value & regs::channel::kCtrlReset) {
        ch.queue.clear();
        ch.busy = false;
        ch.phase = Phase::idle;
        ch.lock_stall = false;
        unpair(ch);
    }
}

uint32_t DmaEngine::control(const Tile& t, Direction dir, unsigned channel) const
{
    return at(t).channel(dir, channel).ctrl;
}

void DmaEngine::push_task(Tile& t, Direction dir, unsigned channel, uint32_t v)
{
    namespace q = regs::queue;
    Channel& ch = at(t).channel(dir, channel);
    const Task task{static_cast<uint16_t>(v & q::kStartBdMask),
                    static_cast<uint16_t>((v >> q::kRepeatShift) & q::kRepeatMask), (v & q::kToken) != 0};
    if (v & q::kUnknownBits) {
        // A repeat count beyond the 8-bit field or bits whose meaning is unknown: refuse the
        // task rather than run something else (register_map.hpp queue).
        ctx_.errors.report(ErrorKind::bad_bd, t.col, t.row, ch.dir, ch.index,
                           fmt::format("task-queue word {:#010x} sets bits {:#x} outside START_BD_ID, REPEAT_COUNT "
                                       "(cap {} repeats) and ENABLE_TOKEN_ISSUE; task refused",
                                       v, v & q::kUnknownBits, q::kRepeatMask + 1));
        return;
    }
    if (ch.phase == Phase::error) {
        // A new task restarts a channel that faulted (software recovery).
        ch.phase = Phase::idle;
        ch.busy = false;
    }
    if (ch.queue.size() >= kTaskQueueDepth) {
        ctx_.errors.report(ErrorKind::queue_overflow, t.col, t.row, ch.dir, ch.index,
                           fmt::format("task queue full ({} pending), task for BD {} dropped", ch.queue.size(),
                                       task.start_bd));
        return;
    }
    ch.queue.push_back(task);
    if (!ch.busy)
        next_task(ch);
}

uint32_t DmaEngine::status(const Tile& t, Direction dir, unsigned channel) const
{
    namespace st = regs::status;
    const Channel& ch = at(t).channel(dir, channel);
    uint32_t v = 0;
    switch (ch.phase) {
    case Phase::idle: break;
    case Phase::setup: v |= st::kStateStarting; break;
    case Phase::error: v |= st::kError; break;
    default: v |= st::kStateRunning; break;
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

// ---------- host memory, tokens ----------

void DmaEngine::attach_host_memory(uint16_t col, HostMemory* memory)
{
    at(tiles_.at(col, tiles_.geometry().shim_row)).host = memory;
}

void DmaEngine::inject_host_faults(uint16_t col, uint32_t count)
{
    if (col < injected_faults_.size())
        injected_faults_[col] = count;
}

uint32_t DmaEngine::injected_host_faults(uint16_t col) const
{
    return col < injected_faults_.size() ? injected_faults_[col] : 0;
}

Channel* DmaEngine::channel(const ChannelId& id)
{
    Tile* t = tiles_.find(id.col, id.row);
    if (!t)
        return nullptr;
    auto& list = id.dir == Direction::s2mm ? at(*t).s2mm : at(*t).mm2s;
    return id.channel < list.size() ? &list[id.channel] : nullptr;
}

const Channel* DmaEngine::channel(const ChannelId& id) const
{
    return const_cast<DmaEngine*>(this)->channel(id);
}

bool DmaEngine::waits_on_lock(const Tile& t) const
{
    const DmaTile& d = at(t);
    for (const auto* list : {&d.s2mm, &d.mm2s})
        for (const Channel& ch : *list)
            if (ch.lock_stall)
                return true;
    return false;
}

// ---------- channels ----------

double DmaEngine::channel_rate(const Channel& ch) const
{
    switch (ch.tile->kind) {
    case TileKind::shim: return ctx_.cost.shim_dma_bytes_per_cycle;
    case TileKind::mem: return ctx_.cost.mem_dma_bytes_per_cycle;
    case TileKind::core: return ctx_.cost.core_dma_bytes_per_cycle;
    }
    return ctx_.cost.stream_bytes_per_cycle;
}

uint32_t DmaEngine::channel_track(Channel& ch)
{
    if (ch.track == ~0u)
        ch.track = ctx_.trace.track(fmt::format("col {}", ch.tile->col),
                                    fmt::format("tile({},{}) {}{}", ch.tile->col, ch.tile->row, dir_name(ch.dir), ch.index));
    return ch.track;
}

void DmaEngine::channel_error(Channel& ch, ErrorKind kind, std::string msg)
{
    ctx_.errors.report(kind, ch.tile->col, ch.tile->row, ch.dir, ch.index, std::move(msg));
    ch.phase = Phase::error;
    ch.queue.clear();
    ch.lock_stall = false;
    unpair(ch);
}

// A channel's BD setup is over, or a lock it waits for changed: (re)try the acquire.
void DmaEngine::schedule_acquire(Channel& ch, sim::Cycle delay)
{
    ctx_.events.schedule_call_in(delay, &DmaEngine::on_acquire, this, ptr_arg(&ch), ch.dma->generation);
}

void DmaEngine::on_acquire(void* self, uint64_t channel, uint64_t generation)
{
    Channel* ch = arg_ptr<Channel>(channel);
    if (ch->dma->generation == generation)
        static_cast<DmaEngine*>(self)->acquire(*ch);
}

void DmaEngine::next_task(Channel& ch)
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
    ++c_tasks_;
    start_bd(ch, ch.task.start_bd);
}

void DmaEngine::start_bd(Channel& ch, unsigned bd)
{
    Tile& t = *ch.tile;
    DmaTile& d = *ch.dma;
    const auto& blk = t.map->dma[ch.block];
    ch.bd = static_cast<int>(bd);
    if (bd >= blk.bd_count) {
        channel_error(ch, ErrorKind::bad_bd,
                      fmt::format("BD {} out of range ({} has {})", bd,
                                  blk.bds_per_channel ? "the channel" : "the block", blk.bd_count));
        return;
    }
    const unsigned slot = d.block_bd_first[ch.block] + bd_slot(ch, bd);
    if (!d.bd_fresh[slot]) {
        d.bd_decoded[slot] = decode_bd(t.kind, std::span<const uint32_t>(bd_ptr(t, ch.block, bd_slot(ch, bd)),
                                                                         t.map->bd_words),
                                       t.locks.size());
        d.bd_fresh[slot] = 1;
    }
    ch.cfg = d.bd_decoded[slot];
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
    const uint32_t iter = d.bd_iter[slot] % ch.cfg.iterations;
    d.bd_iter[slot] = static_cast<uint16_t>((iter + 1) % ch.cfg.iterations);
    ch.gen.init(ch.cfg, uint64_t{iter} * ch.cfg.iter_step);
    ch.remaining = ch.cfg.length;
    ch.phase = Phase::setup;
    ch.bd_start = ctx_.events.now();
    ++c_bds_;
    (ch.dir == Direction::mm2s ? c_bd_words_mm2s_ : c_bd_words_s2mm_) += ch.cfg.length;
    AIE4_LOG(dma, "array", ctx_.events.now(), "tile({},{}) {}{} BD {} start: {} words at {:#x}", t.col, t.row,
             dir_name(ch.dir), ch.index, bd, ch.cfg.length, ch.cfg.address);
    schedule_acquire(ch, ctx_.cost.bd_setup_cycles);
}

void DmaEngine::acquire(Channel& ch)
{
    if (ch.phase != Phase::setup && ch.phase != Phase::acquiring)
        return;
    if (ch.cfg.acq_en && !locks_.try_acquire(*ch.tile, ch.cfg.acq_id, ch.cfg.acq_val)) {
        ch.phase = Phase::acquiring;
        ch.lock_stall = true;
        ++c_lock_stalls_;
        locks_.wait(*ch.tile, ch.cfg.acq_id, LockWaiter{&DmaEngine::on_acquire, this, ptr_arg(&ch), ch.dma->generation});
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

// The S2MM channel that MM2S `ch` feeds, from the route cache or the stream switch.
bool DmaEngine::resolve(Channel& ch)
{
    if (ch.route_epoch == routes_.epoch())
        return ch.route_sink != nullptr;
    ch.route_epoch = routes_.epoch();
    ch.route_sink = nullptr;
    ch.route_hops = 0;
    RouteEnd end = routes_.route_from_mm2s(ch.tile->col, ch.tile->row, ch.index);
    if (!end.error.empty()) {
        ch.route_error = std::move(end.error);
        return false;
    }
    ch.route_sink = &at(tiles_.at(end.col, end.row)).s2mm[end.s2mm];
    ch.route_hops = end.hops;
    return true;
}

void DmaEngine::try_pair(Channel& p)
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
    const double rate = std::min({channel_rate(p), channel_rate(s), ctx_.cost.stream_bytes_per_cycle});
    const auto cycles =
        static_cast<sim::Cycle>(std::ceil(4.0 * words / rate)) + p.route_hops * ctx_.cost.switch_hop_cycles;
    p.phase = s.phase = Phase::transferring;
    p.peer = &s;
    s.peer = &p;
    p.burst_id = ++burst_ids_;
    p.burst_words = words;
    ctx_.events.schedule_call_in(cycles, &DmaEngine::on_burst_done, this, ptr_arg(&p), p.burst_id);
}

// Lapses if either side was reset or faulted (peer cleared, or a new burst started).
void DmaEngine::on_burst_done(void* self, uint64_t producer, uint64_t burst_id)
{
    Channel* p = arg_ptr<Channel>(producer);
    if (p->burst_id == burst_id && p->peer)
        static_cast<DmaEngine*>(self)->complete(*p, *p->peer, p->burst_words);
}

// Moves `words` through ch's address pattern between tile/host memory and buf.
bool DmaEngine::move(Channel& ch, uint32_t words, uint8_t* buf, bool into_memory)
{
    Tile& t = *ch.tile;
    HostMemory* host_memory = ch.dma->host;
    const char* what = into_memory ? "write to" : "read from";
    while (words > 0) {
        const uint32_t n = ch.gen.run(words);
        const uint64_t off = ch.gen.offset_words() * 4;
        const size_t bytes = size_t{n} * 4;
        const uint64_t addr = ch.cfg.address + off;
        if (t.kind == TileKind::shim) {
            if (!host_memory || addr < ctx_.cost.shim_host_address_offset) {
                channel_error(ch, ErrorKind::dma_fault,
                              fmt::format("{} host address {:#x} {}", what, addr,
                                          host_memory ? "below the shim address offset" : "with no host memory attached"));
                return false;
            }
            const uint64_t host = addr - ctx_.cost.shim_host_address_offset;
            if (injected_faults_[t.col] > 0) {
                --injected_faults_[t.col];
                channel_error(ch, ErrorKind::dma_fault,
                              fmt::format("{} host address {:#x}+{}: injected DMA fault", what, host, bytes));
                return false;
            }
            const bool ok = into_memory ? host_memory->write(host, buf, bytes) : host_memory->read(host, buf, bytes);
            if (!ok) {
                channel_error(ch, ErrorKind::dma_fault,
                              fmt::format("{} host address {:#x}+{} not mapped", what, host, bytes));
                return false;
            }
        } else {
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

void DmaEngine::complete(Channel& p, Channel& s, uint32_t words)
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
        scratch_.resize(size_t{words} * 4);
        if (!move(p, words, scratch_.data(), false))
            return;
        if (!move(s, words, scratch_.data(), true))
            return;
    }
    c_bytes_ += uint64_t{words} * 4;
    ++c_bursts_;
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

void DmaEngine::bd_done(Channel& ch)
{
    Tile& t = *ch.tile;
    if (ch.cfg.rel_val != 0)
        locks_.release(t, ch.cfg.rel_id, ch.cfg.rel_val);
    if (ctx_.trace.enabled())
        ctx_.trace.complete(channel_track(ch), fmt::format("bd {}", ch.bd), ch.bd_start, ctx_.events.now() - ch.bd_start);
    AIE4_LOG(dma, "array", ctx_.events.now(), "tile({},{}) {}{} BD {} done", t.col, t.row, dir_name(ch.dir), ch.index,
             ch.bd);
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
        ++c_tct_;
        if (tct_cb_)
            tct_cb_(ChannelId{t.col, t.row, ch.dir, ch.index});
    }
    ch.busy = false;
    ch.phase = Phase::idle;
    next_task(ch);
}

} // namespace aie4emu::aie
