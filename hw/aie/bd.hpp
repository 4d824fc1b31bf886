// Decoding of one AIE4 buffer descriptor through the layout table of its tile kind
// (register_map.hpp): what a BD asks the DMA to do, or which field the model refuses.
// Used by the array's DMA engine, its tests and the control-code corpus runner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "hw/aie/params.hpp"
#include "hw/aie/register_map.hpp"

namespace aie4emu::aie {

inline constexpr unsigned kMaxDims = 4;

struct Dim {
    uint32_t wrap;   // 0 = unused
    uint32_t step;   // words
};

struct Bd {
    uint64_t address = 0;  // bytes: host (shim, incl. the shim address offset) or tile-local
    uint32_t length = 0;   // words
    Dim d[kMaxDims]{};
    uint32_t iterations = 1;
    uint32_t iter_step = 1;
    uint32_t iter_current = 0;
    bool use_next = false;
    uint16_t next_bd = 0;
    bool acq_en = false;
    int32_t acq_val = 0;
    uint16_t acq_id = 0;     // tile-local lock index
    int32_t rel_val = 0;
    uint16_t rel_id = 0;
    std::string refused;     // non-empty: a field the model cannot honour (names it)
};

// Decodes a BD of tile kind `kind` (words: that kind's bd_words), checks the fields the
// model cannot honour (Bd::refused names the first) and maps lock ids to tile-local indices
// (the tile has `locks` locks).
Bd decode_bd(TileKind kind, std::span<const uint32_t> words, size_t locks);

} // namespace aie4emu::aie
