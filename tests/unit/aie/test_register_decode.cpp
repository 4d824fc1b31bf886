// Register decode alone (hw/aie/register_decode.hpp): AXI address -> tile, block, register and
// the fields the address carries, and the class a write gets in reports. No array, no state.
#include <catch2/catch_test_macros.hpp>

#include "hw/aie/register_decode.hpp"
#include "hw/aie/register_map.hpp"

using namespace aie4emu::aie;

namespace {

constexpr uint16_t kShim = 0, kMem = 1, kCore = 2;

const RegisterDecoder& decoder()
{
    static const RegisterDecoder d{Geometry{}};
    return d;
}

Reg reg_at(uint16_t col, uint16_t row, uint32_t offset)
{
    const auto d = decoder().decode(decoder().tile_address(col, row, offset));
    REQUIRE(d.has_value());
    CHECK(d->col == col);
    CHECK(d->row == row);
    CHECK(d->offset == offset);
    return d->reg;
}

WriteClass class_at(uint16_t col, uint16_t row, uint32_t offset)
{
    return decoder().classify(decoder().tile_address(col, row, offset));
}

} // namespace

TEST_CASE("register decode: logical rows map to AIE4's address rows")
{
    const RegisterDecoder& d = decoder();
    CHECK(d.tile_address(0, kShim, 0x18000) == 0x18000);
    CHECK(d.tile_address(0, kMem, 0x8000) == 0x108000);
    CHECK(d.tile_address(0, kCore, 0) == 0x600000);        // compute rows move up by 4 per memory row
    CHECK(d.tile_address(3, 5, 0xA3000) == (3ull << 25 | 9ull << 20 | 0xA3000));
    // Address rows 2..5 are the memory tile's data windows; 10.. name no tile; nor does a
    // column beyond the array.
    const auto window = d.decode(0x300000 + 0x40);   // the second MB of data memory
    REQUIRE(window.has_value());
    CHECK(window->row == kMem);
    CHECK(window->reg.kind == RegKind::memory_window);
    CHECK(window->reg.index == 0x100040);
    CHECK_FALSE(d.decode(10ull << 20).has_value());
    CHECK_FALSE(d.decode(uint64_t{Geometry{}.columns} << 25).has_value());
}

TEST_CASE("register decode: DMA registers carry block, BD slot and word, channel and direction")
{
    // Compute-tile BD 3, word 2 (6 words at stride 0x20).
    Reg r = reg_at(0, kCore, 0xA8000 + 3 * 0x20 + 8);
    CHECK(r.kind == RegKind::bd);
    CHECK(r.block == 0);
    CHECK(r.index == 3);
    CHECK(r.word == 2);
    // Words 6 and 7 of the 0x20 stride are not BD words; an unaligned offset is nothing either.
    CHECK(reg_at(0, kCore, 0xA8000 + 0x18).kind == RegKind::none);
    CHECK(reg_at(0, kCore, 0xA8000 + 0x2).kind == RegKind::none);
    // Memory tile, half B: S2MM 4 owns BD group 0 of that half; BD slot 5 of the block.
    r = reg_at(0, kMem, 0x48000 + 5 * 0x30 + 40);
    CHECK(r.kind == RegKind::bd);
    CHECK(r.block == 1);
    CHECK(r.index == 5);
    CHECK(r.word == 10);
    // Channel control, task queue and status: tile-wide channel numbers.
    r = reg_at(0, kMem, 0x9E60);
    CHECK(r.kind == RegKind::ctrl);
    CHECK(r.dir == Direction::mm2s);
    CHECK(r.index == 0);
    r = reg_at(0, kMem, 0x9E64 + 8 * 2);
    CHECK(r.kind == RegKind::queue);
    CHECK(r.dir == Direction::mm2s);
    CHECK(r.index == 2);
    r = reg_at(0, kMem, 0x9F00 + 4 * 4);
    CHECK(r.kind == RegKind::status);
    CHECK(r.dir == Direction::mm2s);
    CHECK(r.index == 4);
    r = reg_at(0, kMem, 0x49F00 + 4 * 1);   // half B's MM2S 1 = tile-wide MM2S 6
    CHECK(r.kind == RegKind::status);
    CHECK(r.block == 1);
    CHECK(r.index == 6);
    r = reg_at(0, kShim, 0x18554);          // the shim queue AMD's programs push (MM2S 0)
    CHECK(r.kind == RegKind::queue);
    CHECK(r.dir == Direction::mm2s);
    CHECK(r.index == 0);
}

TEST_CASE("register decode: lock values and lock requests")
{
    Reg r = reg_at(0, kMem, 0x50000 + 0x10 * 3);   // half B's lock 3 = tile lock 35
    CHECK(r.kind == RegKind::lock_value);
    CHECK(r.index == 35);
    // Request address: id * 0x400 + acquire 0x200 + (value & 0x7F) << 2.
    r = reg_at(0, kMem, 0x18000 + 7 * 0x400 + 0x200 + (0x7F << 2));
    CHECK(r.kind == RegKind::lock_request);
    CHECK(r.index == 7);
    CHECK(r.acquire);
    CHECK(r.value == -1);
    r = reg_at(0, kCore, 0x40000 + 2 * 0x400 + (5 << 2));
    CHECK(r.kind == RegKind::lock_request);
    CHECK(r.index == 2);
    CHECK_FALSE(r.acquire);
    CHECK(r.value == 5);
}

TEST_CASE("register decode: stored-no-behaviour blocks are told apart from unknown addresses")
{
    // Known blocks the model keeps without behaviour (register_map.hpp StoredBlock).
    Reg r = reg_at(0, kCore, 0xAE0E0);
    CHECK(r.kind == RegKind::stored);
    CHECK(r.block == 1);
    CHECK(r.index == 0xE0);
    CHECK(class_at(0, kCore, 0xAE0E0) == WriteClass::stored_no_behaviour);
    CHECK(class_at(0, kCore, 0xAC010) == WriteClass::stored_no_behaviour);
    CHECK(class_at(0, kMem, 0x20004) == WriteClass::stored_no_behaviour);
    CHECK(class_at(0, kShim, 0x08000) == WriteClass::stored_no_behaviour);
    // Nothing known there.
    CHECK(class_at(0, kCore, 0x70000) == WriteClass::unknown);
    CHECK(class_at(0, kMem, 0x70000) == WriteClass::unknown);
    CHECK(class_at(0, kShim, 0x09000) == WriteClass::unknown);   // just past the shim's stored block
    CHECK(decoder().classify(10ull << 20) == WriteClass::unknown);
    // Modelled registers and BD words.
    CHECK(class_at(0, kCore, 0xA3000) == WriteClass::modelled);   // core control
    CHECK(class_at(0, kCore, 0x1FFFC) == WriteClass::modelled);   // last data word
    CHECK(class_at(0, kMem, 0xB0000) == WriteClass::modelled);    // stream-switch master 0
    CHECK(class_at(0, kShim, 0x18000) == WriteClass::bd);
    CHECK(class_at(0, kMem, 0x8000 + 143 * 0x30 + 40) == WriteClass::bd);   // last stored BD, last word
    // The memory tile's data windows: modelled up to its 3 MB, unknown beyond.
    const uint64_t data = decoder().tile_address(0, kMem, 0) + (1ull << 20);
    CHECK(decoder().classify(data + kMemTile.data_memory_bytes - 4) == WriteClass::modelled);
    CHECK(decoder().classify(data + kMemTile.data_memory_bytes) == WriteClass::unknown);
}
