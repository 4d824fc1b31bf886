#include "hw/aie/array.hpp"

#include <cstring>
#include <fmt/format.h>

#include "hw/aie/cores.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"
#include "hw/aie/tile.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::aie {

namespace {

// A 32-bit word of a memory at byte `offset`; false (nothing done) if it does not lie inside.
bool store_word(std::vector<uint8_t>& memory, WrittenRange& written, uint64_t offset, uint32_t v)
{
    if (offset + 4 > memory.size())
        return false;
    std::memcpy(memory.data() + offset, &v, 4);
    written.add(offset, 4);
    return true;
}
uint32_t load_word(const std::vector<uint8_t>& memory, uint64_t offset)
{
    uint32_t v = 0;
    if (offset + 4 <= memory.size())
        std::memcpy(&v, memory.data() + offset, 4);
    return v;
}

} // namespace

// The pieces, in the order they depend on each other: the clock first, the tiles, then what
// works on them.
struct Array::Impl {
    ArrayContext ctx;
    TileGrid tiles;
    RegisterDecoder decoder;
    LockUnit locks{ctx};
    StreamSwitch streams;
    DmaEngine dma{ctx, tiles, locks, streams};
    Cores cores{ctx, tiles, locks};
    std::function<void(uint64_t, uint32_t, WriteClass)> write_obs;

    Impl(const Geometry& g, const CostParams& c) : ctx(c), tiles(g), decoder(g), streams(g) {}

    // A write into a known block whose behaviour the model does not have: kept (reads return
    // it) and counted apart from writes to unknown addresses.
    void stored_write(Tile& t, const Decoded& d, uint64_t addr, uint32_t v)
    {
        ctx.counters.add("stored_no_behaviour.writes");
        t.stored[d.offset] = v;
        AIE4_LOG(array, "array", ctx.events.now(), "stored, no behaviour: {:#x} <- {:#x} ({})", addr, v,
                 t.map->stored[d.reg.block].name);
    }

    void unmodelled_write(uint64_t addr, uint32_t v)
    {
        ctx.counters.add("unmodelled.writes");
        AIE4_LOG(array, "array", ctx.events.now(), "unmodelled write {:#x} <- {:#x}", addr, v);
    }

    void write32(uint64_t addr, uint32_t v)
    {
        const std::optional<Decoded> d = decoder.decode(addr);
        if (write_obs)
            write_obs(addr, v, decoder.classify(d));
        if (!d) {
            unmodelled_write(addr, v);
            return;
        }
        Tile& t = tiles.at(d->col, d->row);
        const Reg& r = d->reg;
        switch (r.kind) {
        case RegKind::memory_window:
            if (r.index % 4 != 0 || !store_word(t.data, t.data_written, r.index, v))
                unmodelled_write(addr, v);
            return;
        case RegKind::data: store_word(t.data, t.data_written, r.index, v); return;
        case RegKind::program: store_word(t.program, t.program_written, r.index, v); return;
        case RegKind::bd: dma.write_bd_word(t, r.block, r.index, r.word, v); return;
        case RegKind::ctrl: dma.write_control(t, r.dir, r.index, v); return;
        case RegKind::queue: dma.push_task(t, r.dir, r.index, v); return;
        case RegKind::lock_value: locks.set(t, r.index, regs::sign7(v)); return;
        case RegKind::stored: stored_write(t, *d, addr, v); return;
        case RegKind::ss_master: streams.write_master(t.col, t.row, r.index, v); return;
        case RegKind::ss_slave: streams.write_slave(t.col, t.row, r.index, v); return;
        case RegKind::core_control: cores.write_control(t, v); return;
        case RegKind::none:
        case RegKind::status:
        case RegKind::lock_request:
        case RegKind::core_status: unmodelled_write(addr, v); return;
        }
    }

    uint32_t read32(uint64_t addr)
    {
        const std::optional<Decoded> d = decoder.decode(addr);
        if (!d) {
            ctx.counters.add("unmodelled.reads");
            return 0;
        }
        Tile& t = tiles.at(d->col, d->row);
        const Reg& r = d->reg;
        switch (r.kind) {
        case RegKind::memory_window: return r.index % 4 == 0 ? load_word(t.data, r.index) : 0;
        case RegKind::data: return load_word(t.data, r.index);
        case RegKind::program: return load_word(t.program, r.index);
        case RegKind::bd: return dma.bd_word(t, r.block, r.index, r.word);
        case RegKind::ctrl: return dma.control(t, r.dir, r.index);
        case RegKind::queue: return 0;
        case RegKind::status: return dma.status(t, r.dir, r.index);
        case RegKind::lock_value: return static_cast<uint32_t>(t.locks[r.index].value);
        case RegKind::lock_request: return locks.request(t, r.index, r.acquire, r.value);
        case RegKind::ss_master: return streams.master(t.col, t.row, r.index);
        case RegKind::ss_slave: return streams.slave(t.col, t.row, r.index);
        case RegKind::stored: {
            const auto it = t.stored.find(d->offset);
            return it == t.stored.end() ? 0 : it->second;
        }
        case RegKind::core_control: return cores.control(t);
        case RegKind::core_status: return cores.status(t);
        case RegKind::none: break;
        }
        ctx.counters.add("unmodelled.reads");
        return 0;
    }

    // Partition destroy: every piece forgets columns [start, end).
    void reset_columns(uint16_t start, uint16_t count)
    {
        const unsigned end = tiles.column_end(start, count);
        dma.reset_columns(start, end);
        for (unsigned c = start; c < end; ++c)
            for (uint16_t r = 0; r < tiles.geometry().rows(); ++r)
                tiles.reset(tiles.at(static_cast<uint16_t>(c), r));
        cores.reset_columns(start, end);
        streams.reset_columns(start, end);
        AIE4_LOG(array, "array", ctx.events.now(), "reset columns [{}, {})", start, end);
    }
};

// ---------------- public API ----------------

Array::Array(const Geometry& geometry, const CostParams& costs) : impl_(std::make_unique<Impl>(geometry, costs)) {}
Array::~Array() = default;

const Geometry& Array::geometry() const { return impl_->tiles.geometry(); }
const CostParams& Array::costs() const { return impl_->ctx.cost; }

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
    return impl_->decoder.tile_address(col, row, offset);
}

void Array::inject_host_dma_faults(uint16_t start, uint16_t count, uint32_t n)
{
    for (unsigned c = start; c < impl_->tiles.column_end(start, count); ++c)
        impl_->dma.inject_host_faults(static_cast<uint16_t>(c), n);
}

uint32_t Array::injected_host_dma_faults(uint16_t col) const { return impl_->dma.injected_host_faults(col); }

void Array::attach_host_memory(uint16_t start, uint16_t count, HostMemory* memory)
{
    for (unsigned c = start; c < impl_->tiles.column_end(start, count); ++c)
        impl_->dma.attach_host_memory(static_cast<uint16_t>(c), memory);
}

sim::Cycle Array::now() const { return impl_->ctx.events.now(); }

bool Array::run_until_idle(sim::Cycle max_cycles) { return impl_->ctx.events.run_until_idle(max_cycles); }

void Array::run_for(sim::Cycle cycles) { impl_->ctx.events.run_until(impl_->ctx.events.now() + cycles); }

bool Array::mask_poll(uint64_t a, uint32_t mask, uint32_t value, sim::Cycle max_cycles)
{
    auto& events = impl_->ctx.events;
    return events.run_until_true([&] { return (impl_->read32(a) & mask) == value; }, events.now() + max_cycles);
}

uint64_t Array::tct_issued(const ChannelId& id) const
{
    const Channel* ch = impl_->dma.channel(id);
    return ch ? ch->tct_issued : 0;
}

uint64_t Array::tct_pending(const ChannelId& id) const
{
    const Channel* ch = impl_->dma.channel(id);
    return ch ? ch->tct_issued - ch->tct_consumed : 0;
}

bool Array::wait_tcts(const ChannelId& id, uint32_t count, sim::Cycle max_cycles)
{
    Channel* ch = impl_->dma.channel(id);
    if (!ch)
        return false;
    // A column reset while waiting zeroes the channel's counts: nothing is consumed then.
    const uint64_t gen = ch->dma->generation;
    auto& events = impl_->ctx.events;
    const bool ok = events.run_until_true([&] { return ch->tct_issued - ch->tct_consumed >= count; },
                                          events.now() + max_cycles);
    if (!ok || ch->dma->generation != gen)
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
    for (const Tile& t : impl_->tiles.all())
        if (t.kind == TileKind::core && !impl_->cores.state(t).running && impl_->dma.waits_on_lock(t) &&
            !t.program_loaded())
            out.emplace_back(t.col, t.row);
    return out;
}

void Array::set_tct_callback(std::function<void(const ChannelId&)> cb) { impl_->dma.set_tct_callback(std::move(cb)); }
const std::vector<ArrayError>& Array::errors() const { return impl_->ctx.errors.all(); }
void Array::clear_errors() { impl_->ctx.errors.clear(); }
void Array::set_error_callback(std::function<void(const ArrayError&)> cb) { impl_->ctx.errors.set_callback(std::move(cb)); }
void Array::reset_columns(uint16_t start, uint16_t count) { impl_->reset_columns(start, count); }
sim::Counters& Array::counters() { return impl_->ctx.counters; }
sim::TraceWriter& Array::trace() { return impl_->ctx.trace; }
sim::EventQueue& Array::events() { return impl_->ctx.events; }

bool Array::read_tile_memory(uint16_t col, uint16_t row, uint32_t offset, void* out, size_t bytes) const
{
    const Tile* t = impl_->tiles.find(col, row);
    if (!t || offset > t->data.size() || bytes > t->data.size() - offset)
        return false;
    std::memcpy(out, t->data.data() + offset, bytes);
    return true;
}

bool Array::write_tile_memory(uint16_t col, uint16_t row, uint32_t offset, const void* in, size_t bytes)
{
    Tile* t = impl_->tiles.find(col, row);
    if (!t || offset > t->data.size() || bytes > t->data.size() - offset)
        return false;
    std::memcpy(t->data.data() + offset, in, bytes);
    t->data_written.add(offset, bytes);
    return true;
}

int32_t Array::lock_value(uint16_t col, uint16_t row, uint16_t lock) const
{
    const Tile* t = impl_->tiles.find(col, row);
    return t && lock < t->locks.size() ? t->locks[lock].value : -1;
}

} // namespace aie4emu::aie
