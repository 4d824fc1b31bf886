// Helpers that produce the register writes for our BD format, task-queue
// pushes and stream routes (register_map.hpp, stream_switch.hpp). Used by
// tests, the demo and benchmarks; a control-code producer can use them too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

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

inline std::array<uint32_t, regs::kMemBdWords> encode_bd(const BdFields& f)
{
    namespace b = regs::bd;
    auto dim = [](const BdDim& d) { return (d.wrap << b::kWrapShift) | ((d.step - 1) & b::kStepMask); };
    std::array<uint32_t, regs::kMemBdWords> w{};
    w[0] = static_cast<uint32_t>(f.address >> 32) & b::kAddrHighMask;
    w[1] = static_cast<uint32_t>(f.address);
    w[2] = f.length;
    w[3] = dim(f.d[0]);
    w[4] = dim(f.d[1]);
    w[5] = dim(f.d[2]);
    w[6] = ((f.d[3].step - 1) & b::kStepMask) | (((f.iterations - 1) & b::kIterWrapMask) << b::kIterWrapShift);
    w[7] = ((f.iter_step - 1) & b::kStepMask) | (uint32_t{f.next_bd} << b::kNextBdShift) |
           (f.use_next ? b::kUseNext : 0) | b::kValid;
    w[8] = (f.acquire ? b::kAcqEnable : 0) | ((static_cast<uint32_t>(f.acq_val) & 0x7F) << 24) |
           (uint32_t{f.acq_id} << 16) | ((static_cast<uint32_t>(f.rel_val) & 0x7F) << 8) | f.rel_id;
    return w;
}

inline const regs::TileMap& tile_map(TileKind k)
{
    return k == TileKind::core ? regs::kCoreMap : k == TileKind::mem ? regs::kMemMap : regs::kShimMap;
}

// The DMA block (memory tile: half) that drives a tile-wide channel.
inline const regs::DmaBlock& dma_block_of(TileKind k, Direction d, unsigned channel)
{
    const auto& m = tile_map(k);
    for (unsigned b = 0; b < m.dma_blocks; ++b) {
        const auto& blk = m.dma[b];
        const unsigned first = d == Direction::s2mm ? blk.s2mm_first : blk.mm2s_first;
        const unsigned n = d == Direction::s2mm ? blk.s2mm_count : blk.mm2s_count;
        if (channel >= first && channel < first + n)
            return blk;
    }
    return m.dma[0];
}

class ArrayProgrammer {
public:
    explicit ArrayProgrammer(Array& a) : a_(a) {}

    TileKind kind(uint16_t row) const
    {
        const auto& g = a_.geometry();
        return row == g.shim_row ? TileKind::shim
               : (row >= g.mem_row_start && row < g.mem_row_start + g.mem_rows) ? TileKind::mem
                                                                                 : TileKind::core;
    }
    // BD `bd` of the DMA block that serves (dir, channel).
    void write_bd(uint16_t col, uint16_t row, Direction dir, unsigned channel, unsigned bd, const BdFields& f)
    {
        const auto& blk = dma_block_of(kind(row), dir, channel);
        const auto words = encode_bd(f);
        const unsigned n = tile_map(kind(row)).bd_words;
        a_.block_write(a_.tile_address(col, row, blk.bd_base + bd * regs::kBdStride), std::span(words.data(), n));
    }
    uint64_t queue_address(uint16_t col, uint16_t row, Direction dir, unsigned channel) const
    {
        const auto& blk = dma_block_of(kind(row), dir, channel);
        const bool s = dir == Direction::s2mm;
        const uint32_t base = s ? blk.s2mm_ctrl : blk.mm2s_ctrl;
        const unsigned first = s ? blk.s2mm_first : blk.mm2s_first;
        return a_.tile_address(col, row, base + 8 * (channel - first) + 4);
    }
    uint64_t status_address(uint16_t col, uint16_t row, Direction dir, unsigned channel) const
    {
        const auto& blk = dma_block_of(kind(row), dir, channel);
        const bool s = dir == Direction::s2mm;
        const uint32_t base = s ? blk.s2mm_status : blk.mm2s_status;
        const unsigned first = s ? blk.s2mm_first : blk.mm2s_first;
        return a_.tile_address(col, row, base + 4 * (channel - first));
    }
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
