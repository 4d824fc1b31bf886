// Helpers that produce the register writes for AIE4's BD layouts, task-queue
// pushes and stream routes (register_map.hpp, stream_switch.hpp). Used by
// tests, the demo and benchmarks; a control-code producer can use them too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hw/aie/array.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"

namespace aie4emu::aie {

struct BdDim {
    uint32_t wrap = 0;   // elements (32-bit words) before the next dimension steps; 0 = unused
    uint32_t step = 1;   // words
};

struct BdFields {
    uint64_t address = 0;     // bytes (shim: host address + shim_host_address_offset)
    uint32_t length = 0;      // words
    BdDim d[4]{};             // d[3].wrap is ignored (outermost)
    uint32_t iterations = 1;
    uint32_t iter_step = 1;
    bool use_next = false;
    uint8_t next_bd = 0;
    bool acquire = false;
    int8_t acq_val = 0;       // < 0: acquire_greater_equal(-v); >= 0: acquire_equal(v)
    uint8_t acq_id = 0;
    int8_t rel_val = 0;       // 0: no release
    uint8_t rel_id = 0;
};

using regs::tile_map;

// A BD in the AIE4 layout of tile kind `k` (register_map.hpp). `error` names a field the
// layout cannot express (e.g. shim lock fields, whose bit positions are unknown).
struct EncodedBd {
    std::array<uint32_t, regs::kMemBdWords> words{};
    unsigned count = 0;
    std::string error;
    [[nodiscard]] std::span<const uint32_t> span() const { return {words.data(), count}; }
};

inline EncodedBd encode_bd(TileKind k, const BdFields& f)
{
    using regs::BdField;
    const auto& map = tile_map(k);
    EncodedBd e;
    e.count = map.bd_words;
    std::span<uint32_t> w(e.words.data(), e.count);
    auto put = [&](BdField id, uint64_t v, const char* what) {
        const regs::Field* fd = regs::find_field(map.bd_fields, id);
        if (!fd || v > regs::field_mask(*fd)) {
            if (e.error.empty())
                e.error = fmt::format("{} = {} cannot be expressed in the {} BD layout", what, v,
                                      k == TileKind::shim ? "shim" : k == TileKind::mem ? "memory-tile" : "compute-tile");
            return;
        }
        regs::set_field(w, *fd, static_cast<uint32_t>(v));
    };
    auto put_if = [&](BdField id, uint64_t v, uint64_t dflt, const char* what) {
        if (v != dflt)
            put(id, v, what);
    };
    if (k == TileKind::shim) {
        put(BdField::base_address, f.address & 0xFFFFFFFFu, "address");
        put(BdField::address_high, f.address >> 32, "address");
    } else {
        if (f.address % 4 != 0 && e.error.empty())
            e.error = fmt::format("address {:#x} is not word aligned", f.address);
        put(BdField::base_address, f.address / 4, "address");
        if (k == TileKind::mem)
            put(BdField::local_tile, 1, "local tile");
    }
    put(BdField::length, f.length, "length");
    put_if(BdField::d0_wrap, f.d[0].wrap, 0, "D0 wrap");
    put_if(BdField::d1_wrap, f.d[1].wrap, 0, "D1 wrap");
    put_if(BdField::d2_wrap, f.d[2].wrap, 0, "D2 wrap");
    if (f.d[0].step != 1 && e.error.empty())
        e.error = "D0 step is fixed at 1";
    put(BdField::d1_step, f.d[1].step, "D1 step");
    put(BdField::d2_step, f.d[2].step, "D2 step");
    if (regs::find_field(map.bd_fields, BdField::d3_step))
        put(BdField::d3_step, f.d[3].step, "D3 step");
    else if (f.d[3].step != 1 && f.d[2].wrap != 0 && e.error.empty())
        e.error = "D3 step: this tile has 3 dimensions";
    put_if(BdField::iter_wrap, f.iterations - 1, 0, "iteration wrap");
    put(BdField::iter_step, f.iter_step, "iteration step");
    put_if(BdField::use_next, f.use_next ? 1 : 0, 0, "use next BD");
    put_if(BdField::next_bd, f.next_bd, 0, "next BD");
    const uint32_t lock_base = k == TileKind::mem ? regs::kMemLocalLockFirst : 0;
    if (f.acquire) {
        put(BdField::acq_enable, 1, "lock acquire enable");
        put(BdField::acq_id, f.acq_id + lock_base, "lock acquire id");
        put_if(BdField::acq_value, static_cast<uint32_t>(f.acq_val) & 0x7F, 0, "lock acquire value");
    }
    if (f.rel_val != 0) {
        put(BdField::rel_id, f.rel_id + lock_base, "lock release id");
        put(BdField::rel_value, static_cast<uint32_t>(f.rel_val) & 0x7F, "lock release value");
    }
    return e;
}

// The DMA block (memory tile: half) that drives a tile-wide channel.
inline const regs::DmaBlock& dma_block_of(TileKind k, Direction d, unsigned channel)
{
    const auto& m = tile_map(k);
    return m.dma[regs::block_of(m, d, channel)];
}

class ArrayProgrammer {
public:
    explicit ArrayProgrammer(Array& a) : a_(a) {}

    TileKind kind(uint16_t row) const { return a_.geometry().kind_of(row); }
    // BD `bd` of the DMA block that serves (dir, channel).
    // Throws std::invalid_argument if the layout cannot express `f` (a caller's bug).
    void write_bd(uint16_t col, uint16_t row, Direction dir, unsigned channel, unsigned bd, const BdFields& f)
    {
        const EncodedBd e = encode_bd(kind(row), f);
        if (!e.error.empty())
            throw std::invalid_argument("write_bd: " + e.error);
        a_.block_write(bd_address(col, row, dir, channel, bd), e.span());
    }
    // AXI address of BD `bd` as channel (dir, channel) names it (memory tile: in its group).
    uint64_t bd_address(uint16_t col, uint16_t row, Direction dir, unsigned channel, unsigned bd) const
    {
        const TileKind k = kind(row);
        const auto& blk = dma_block_of(k, dir, channel);
        return a_.tile_address(col, row, blk.bd_base + regs::bd_slot(blk, dir, channel, bd) * tile_map(k).bd_stride);
    }
    uint64_t queue_address(uint16_t col, uint16_t row, Direction dir, unsigned channel) const
    {
        return a_.tile_address(col, row, regs::channels(dma_block_of(kind(row), dir, channel), dir).queue_of(channel));
    }
    uint64_t status_address(uint16_t col, uint16_t row, Direction dir, unsigned channel) const
    {
        return a_.tile_address(col, row, regs::channels(dma_block_of(kind(row), dir, channel), dir).status_of(channel));
    }
    // `repeat` extra runs (the REPEAT_COUNT field stores repeats - 1).
    void push_task(uint16_t col, uint16_t row, Direction dir, unsigned channel, unsigned start_bd,
                   unsigned repeat = 0, bool token = true)
    {
        a_.write32(queue_address(col, row, dir, channel),
                   (token ? regs::queue::kToken : 0) | (repeat << regs::queue::kRepeatShift) | start_bd);
    }
    uint64_t lock_address(uint16_t col, uint16_t row, unsigned lock) const
    {
        const auto& m = tile_map(kind(row));
        for (unsigned b = 0; b < m.dma_blocks; ++b)
            if (lock >= m.dma[b].lock_first && lock < m.dma[b].lock_first + m.dma[b].lock_count)
                return a_.tile_address(col, row, m.dma[b].lock_value + regs::kLockValueStride * (lock - m.dma[b].lock_first));
        return a_.tile_address(col, row, m.dma[0].lock_value);
    }
    void set_lock(uint16_t col, uint16_t row, unsigned lock, uint32_t value) { a_.write32(lock_address(col, row, lock), value); }
    // Circuit connection in one switch: slave port `from` drives master port `to`.
    bool connect(uint16_t col, uint16_t row, Port from, Port to)
    {
        const TileKind k = kind(row);
        const auto s = port_number(slave_groups(k), from);
        const auto m = port_number(master_groups(k), to);
        if (!s || !m)
            return false;
        const auto& map = tile_map(k);
        a_.write32(a_.tile_address(col, row, map.ss_master + 4 * *m), regs::ss::kEnable | *s);
        a_.write32(a_.tile_address(col, row, map.ss_slave + 4 * *s), regs::ss::kEnable);
        return true;
    }
    // Route within one column from (col,from_row) MM2S to (col,to_row) S2MM, using lane `lane`.
    bool route_vertical(uint16_t col, uint16_t from_row, unsigned mm2s, uint16_t to_row, unsigned s2mm, uint8_t lane)
    {
        if (from_row == to_row)
            return connect(col, from_row, Port{PortType::dma, static_cast<uint8_t>(mm2s)},
                           Port{PortType::dma, static_cast<uint8_t>(s2mm)});
        const bool up = to_row > from_row;
        const PortType out = up ? PortType::north : PortType::south;
        const PortType in = up ? PortType::south : PortType::north;
        bool ok = connect(col, from_row, Port{PortType::dma, static_cast<uint8_t>(mm2s)}, Port{out, lane});
        for (int r = from_row + (up ? 1 : -1); r != to_row; r += up ? 1 : -1)
            ok = ok && connect(col, static_cast<uint16_t>(r), Port{in, lane}, Port{out, lane});
        return ok && connect(col, to_row, Port{in, lane}, Port{PortType::dma, static_cast<uint8_t>(s2mm)});
    }

private:
    Array& a_;
};

} // namespace aie4emu::aie
