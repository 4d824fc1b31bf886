// Register decode of the array: an AXI-MM address -> the tile, the block and the register it
// names, with the fields the address itself carries (BD slot and word, channel, lock id, a
// lock request's operation). Only that: decoding has no state and no side effects, and every
// layout fact it uses comes from register_map.hpp (the one place for them) and the tile
// kinds' sizes from params.hpp. array.cpp hands each decoded access to the piece that owns
// the register (dma.hpp, stream_switch.hpp, cores.hpp, locks.hpp, the tile's memories).
//
// It also classifies writes for reports (WriteClass): a register with behaviour, a BD word,
// a known block the model stores without behaviour (register_map.hpp StoredBlock), or an
// address no known block covers.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hw/aie/geometry.hpp"
#include "hw/aie/params.hpp"

namespace aie4emu::aie {

// How the array treated an AXI-MM write (for reports: the control-code corpus runner).
enum class WriteClass : uint8_t {
    bd,                    // a DMA buffer-descriptor word
    modelled,              // any other register or memory with modelled behaviour
    stored_no_behaviour,   // a known block the model stores without behaviour (register_map.hpp)
    unknown,               // no known block at that address
};
const char* write_class_name(WriteClass c);

enum class RegKind : uint8_t {
    none,            // no known block at this offset
    data,            // data memory in the register row (compute tile): index = byte offset
    memory_window,   // memory-tile data through address rows 1..4 after its register row: index = byte offset
                     // (may lie beyond the memory: such an access does nothing)
    program,         // program memory: index = byte offset
    bd,              // BD word: block, index = block-local BD slot, word
    ctrl,            // channel CTRL: block, dir, index = tile-wide channel
    queue,           // channel task queue
    status,          // channel status
    lock_value,      // index = tile-local lock id
    lock_request,    // index = tile-local lock id, acquire, value
    ss_master,       // index = master port register
    ss_slave,        // index = slave port register
    core_control,
    core_status,
    stored,          // block = register_map StoredBlock index, index = offset in that block
};

struct Reg {
    RegKind kind = RegKind::none;
    unsigned block = 0;
    unsigned index = 0;
    unsigned word = 0;
    Direction dir = Direction::s2mm;
    bool acquire = false;    // lock request: acquire (else release)
    int32_t value = 0;       // lock request: the signed 7-bit value
};

// An address inside the array.
struct Decoded {
    uint16_t col = 0, row = 0;   // logical row
    uint32_t offset = 0;         // address bits 19:0
    Reg reg;
};

class RegisterDecoder {
public:
    explicit RegisterDecoder(const Geometry& geometry);

    // nullopt: the address names no tile of the array.
    [[nodiscard]] std::optional<Decoded> decode(uint64_t axi_addr) const;
    // A register-row offset of a tile of kind `kind`.
    [[nodiscard]] static Reg decode_offset(TileKind kind, uint32_t offset);
    [[nodiscard]] WriteClass classify(const std::optional<Decoded>& d) const;
    [[nodiscard]] WriteClass classify(uint64_t axi_addr) const { return classify(decode(axi_addr)); }
    // AXI address of (col, logical row, offset).
    [[nodiscard]] uint64_t tile_address(uint16_t col, uint16_t row, uint32_t offset) const;

private:
    // address row -> (logical row, window); window 0 = registers, k>0 = memory-tile data slot k-1
    struct AddressRow {
        int row = -1;
        unsigned window = 0;
    };
    Geometry geo_;
    std::vector<AddressRow> address_rows_;
    std::vector<uint16_t> row_to_address_row_;
};

} // namespace aie4emu::aie
