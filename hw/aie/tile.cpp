#include "hw/aie/tile.hpp"

#include <algorithm>
#include <cstring>

namespace aie4emu::aie {

bool Tile::program_loaded() const
{
    return !std::all_of(program.begin(), program.end(), [](uint8_t b) { return b == 0; });
}

TileGrid::TileGrid(const Geometry& geometry) : geo_(geometry)
{
    const uint16_t rows = geo_.rows();
    tiles_.resize(size_t{geo_.columns} * rows);
    for (uint16_t c = 0; c < geo_.columns; ++c)
        for (uint16_t r = 0; r < rows; ++r) {
            Tile& t = at(c, r);
            t.col = c;
            t.row = r;
            t.kind = geo_.kind_of(r);
            t.res = &resources(t.kind);
            t.map = &regs::tile_map(t.kind);
            reset(t);
        }
}

void WrittenRange::zero(std::vector<uint8_t>& mem, size_t size)
{
    if (mem.size() != size)
        mem.assign(size, 0);
    else if (lo < hi)
        std::memset(mem.data() + lo, 0, std::min(hi, size) - lo);
    *this = WrittenRange{};
}

unsigned TileGrid::column_end(uint16_t start, uint16_t count) const
{
    return std::min<unsigned>(geo_.columns, unsigned{start} + count);
}

void TileGrid::reset(Tile& t)
{
    t.data_written.zero(t.data, t.res->data_memory_bytes);
    t.program_written.zero(t.program, t.res->program_memory_bytes);
    t.locks = std::vector<Lock>(t.res->locks);
    t.stored.clear();
}

} // namespace aie4emu::aie
