// Shape of the AIE4 tile array: the one source of truth for the array model
// and for what the firmware reports in AIE_TILE_INFO.
// Sources: XRT aie_halt_npu3.cpp (rows, row kinds, shifts); amdxdna
// aie4_pci.c AIE4_TOTAL_COLUMN (3 columns per VF partition). Per-kind
// resource counts live in hw/aie's parameter table.
#pragma once

#include <cstdint>

#include "hw/aie/params.hpp"

namespace aie4emu::aie {

struct Geometry {
    uint16_t columns = 12;        // 4 VFs x 3 columns (configurable)
    uint16_t shim_row = 0;        // XRT aie_halt_npu3.cpp
    uint16_t mem_row_start = 1;
    uint16_t mem_rows = 1;
    uint16_t core_row_start = 2;
    uint16_t core_rows = 4;
    static constexpr unsigned kColumnShift = 25;   // address = col<<25 | row<<20 | offset
    static constexpr unsigned kRowShift = 20;

    [[nodiscard]] constexpr uint16_t rows() const { return static_cast<uint16_t>(1 + mem_rows + core_rows); }
    // What kind of tile logical row `row` holds.
    [[nodiscard]] constexpr TileKind kind_of(uint16_t row) const
    {
        if (row == shim_row)
            return TileKind::shim;
        if (row >= mem_row_start && row < mem_row_start + mem_rows)
            return TileKind::mem;
        return TileKind::core;
    }
    // Bytes of AXI-MM address space one column spans (AIE_TILE_INFO "size").
    [[nodiscard]] static constexpr uint32_t column_size() { return 1u << kColumnShift; }
};

} // namespace aie4emu::aie
