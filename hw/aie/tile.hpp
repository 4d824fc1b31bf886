// One tile's state that several pieces of the array share, and the grid of all tiles.
// A Tile holds what the DMA engine, the cores and register access all reach: its identity
// (kind, position, register map, resources), its memories, its locks, and the registers of
// known blocks stored without behaviour. What only one piece uses lives in that piece
// (channels and BDs in dma.hpp, switch registers in stream_switch.hpp, core state in
// cores.hpp), each in a vector parallel to the grid's (TileGrid::index).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "hw/aie/geometry.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/params.hpp"
#include "hw/aie/register_map.hpp"

namespace aie4emu::aie {

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
    void zero(std::vector<uint8_t>& mem, size_t size);
};

struct Tile {
    TileKind kind = TileKind::core;
    uint16_t col = 0, row = 0;   // logical row (0 shim, 1 memory tile, 2.. compute)
    const regs::TileMap* map = nullptr;
    const TileResources* res = nullptr;
    std::vector<uint8_t> data;
    std::vector<uint8_t> program;
    WrittenRange data_written, program_written;
    std::vector<Lock> locks;
    std::map<uint32_t, uint32_t> stored;   // writes to known blocks without behaviour (bounded by the blocks' sizes)

    // Program memory holds anything but zeros.
    [[nodiscard]] bool program_loaded() const;
};

class TileGrid {
public:
    explicit TileGrid(const Geometry& geometry);
    TileGrid(const TileGrid&) = delete;
    TileGrid& operator=(const TileGrid&) = delete;

    [[nodiscard]] const Geometry& geometry() const { return geo_; }
    [[nodiscard]] Tile& at(uint16_t col, uint16_t row) { return tiles_[size_t{col} * geo_.rows() + row]; }
    [[nodiscard]] const Tile& at(uint16_t col, uint16_t row) const { return tiles_[size_t{col} * geo_.rows() + row]; }
    // nullptr outside the array.
    [[nodiscard]] Tile* find(uint16_t col, uint16_t row) { return col < geo_.columns && row < geo_.rows() ? &at(col, row) : nullptr; }
    [[nodiscard]] const Tile* find(uint16_t col, uint16_t row) const
    {
        return col < geo_.columns && row < geo_.rows() ? &at(col, row) : nullptr;
    }
    // Position of a tile in all(): pieces keep their per-tile state in vectors of this order.
    [[nodiscard]] size_t index(const Tile& t) const { return static_cast<size_t>(&t - tiles_.data()); }
    [[nodiscard]] std::vector<Tile>& all() { return tiles_; }
    [[nodiscard]] const std::vector<Tile>& all() const { return tiles_; }
    // The end of columns [start, start+count) within the array.
    [[nodiscard]] unsigned column_end(uint16_t start, uint16_t count) const;

    // Memories zeroed, locks 0 with no waiters, stored registers dropped. Memories keep their
    // storage: a reset zeroes them in place instead of freeing and allocating megabytes again
    // (a memory tile is 3 MB; CERT resets a partition after every failed command).
    void reset(Tile& t);

private:
    Geometry geo_;
    std::vector<Tile> tiles_;   // col-major: col * rows + row
};

} // namespace aie4emu::aie
