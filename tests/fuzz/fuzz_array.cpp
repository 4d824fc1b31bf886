// Fuzz target "array": BD and register writes into the AIE4 tile array (hw/aie), the way
// control code reaches it (WRITE_32, BLOCK_WRITE, MASK_WRITE, MASK_POLL, WAIT_TCTS), without
// CERT's decoder in front. The array (1 column: shim, memory tile, 4 compute rows) is built
// once; each input starts after a reset of the column, with a zeroed host memory attached.
//
// Input: records of 8 bytes [u8 op][u8 tile][u16 index][u32 value]; tile: column (tile >> 4) % 1,
// logical row (tile & 15) % 6. The register chosen by `index` comes from the tile's register map
// (register_map.hpp), so most records hit a real register:
//   op % 16  0  BD word: block index >> 15, BD ((index >> 4) & 0x7FF) % stored BDs (memory tile:
//               channel group * 16 + BD id), word (index & 15) % words
//            1  channel task queue: direction index & 1, channel (index >> 1) % channels
//            2  channel control (reset bit and others)
//            3  lock value write, lock index % locks
//            4  lock request (a read performs acquire/release): lock index, value's low 7 bits,
//               acquire when index bit 8
//            5  stream-switch master index % 32 (enable, packet, slave)
//            6  stream-switch slave index % 32
//            7  core control (mask write: mask = index, value)
//            8  data memory word at (index * 4), through the AXI address map
//            9  program memory word at (index * 4)
//            10 any register offset (index << 4 | value >> 28 << 2) of the tile, value
//            11 read of a channel status (index as in 1) or any offset
//            12 run for value % 20000 cycles
//            13 run until idle (at most value % 200000 cycles)
//            14 WAIT_TCTS on a channel (index as in 1) for value % 4 tokens, at most 50000 cycles
//            15 MASK_POLL of a channel status for idle, at most value % 50000 cycles
//            (records 12-15 together run at most 400,000 cycles per input: kInputCycleBudget)
// Checked: nothing crashes (sanitizers), every error names a tile inside the array, lock values
// stay in their 6-bit range, and the array goes idle within a bounded number of cycles once
// nothing more is written... or reports why not (a stalled channel is allowed, a runaway is not:
// run_until_idle returns, bounded).
#include "hw/aie/array.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/sim/log.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace aie4emu;
using namespace aie4emu::aie;

constexpr uint16_t kColumns = 1;   // one column resets in about half a millisecond; two would halve the rate
constexpr uint64_t kHostBase = 0x0;    // shim BD address = host address + shim_host_address_offset
constexpr size_t kHostSize = 64 * 1024;

[[noreturn]] void broken(const char* what)
{
    std::fprintf(stderr, "fuzz-array: INVARIANT BROKEN: %s\n", what);
    std::abort();
}

Geometry geometry()
{
    Geometry g;
    g.columns = kColumns;
    return g;
}

struct Rig {
    Array array{geometry()};
    BufferHostMemory host{kHostBase, kHostSize};
    Rig() { array.attach_host_memory(0, kColumns, &host); }
};

std::unique_ptr<Rig> g_rig;
uint64_t g_inputs = 0, g_records = 0, g_errors = 0;

// Simulated cycles one input may ask for in its run records (12-15) together. Without it an
// input of 60 "run until idle" records around a BD chained to itself (which never goes idle and,
// releasing a lock past 63, reports an error on every pass) ran 12 million cycles and 10,000
// formatted errors: 3 s per input, and the run's rate fell from 1,400 to 60 inputs per second.
constexpr uint64_t kInputCycleBudget = 400'000;
uint64_t g_cycles_left = 0;
uint32_t take_cycles(uint32_t want)
{
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(want, g_cycles_left));
    g_cycles_left -= n;
    return n;
}

const regs::TileMap& map_of(uint16_t row)
{
    const Geometry g = geometry();
    if (row == g.shim_row)
        return regs::kShimMap;
    if (row >= g.mem_row_start && row < g.mem_row_start + g.mem_rows)
        return regs::kMemMap;
    return regs::kCoreMap;
}

// Channel registers of (direction, channel) in the tile: {ctrl, status}; channels are numbered
// tile-wide, each block drives its own range.
bool channel_regs(const regs::TileMap& m, unsigned dir, unsigned ch, uint32_t& ctrl, uint32_t& status)
{
    for (unsigned b = 0; b < m.dma_blocks; ++b) {
        const auto& blk = m.dma[b];
        const unsigned first = dir ? blk.mm2s_first : blk.s2mm_first;
        const unsigned count = dir ? blk.mm2s_count : blk.s2mm_count;
        if (ch >= first && ch < first + count) {
            ctrl = (dir ? blk.mm2s_ctrl : blk.s2mm_ctrl) + 8 * (ch - first);
            status = (dir ? blk.mm2s_status : blk.s2mm_status) + 4 * (ch - first);
            return true;
        }
    }
    return false;
}

unsigned channel_count(const regs::TileMap& m, unsigned dir)
{
    unsigned n = 0;
    for (unsigned b = 0; b < m.dma_blocks; ++b)
        n += dir ? m.dma[b].mm2s_count : m.dma[b].s2mm_count;
    return n;
}

void apply(Array& a, uint8_t op, uint8_t tile, uint16_t index, uint32_t value)
{
    const Geometry g = geometry();
    const uint16_t col = static_cast<uint16_t>((tile >> 4) % g.columns);
    const uint16_t row = static_cast<uint16_t>((tile & 15) % g.rows());
    const regs::TileMap& m = map_of(row);
    auto at = [&](uint32_t offset) { return a.tile_address(col, row, offset); };
    const unsigned dir = index & 1;
    const unsigned channels = channel_count(m, dir);
    uint32_t ctrl = 0, status = 0;
    const bool have_channel = channels != 0 && channel_regs(m, dir, (index >> 1) % channels, ctrl, status);
    switch (op % 16) {
    case 0: {
        const auto& blk = m.dma[(index >> 15) % m.dma_blocks];
        const unsigned bd = ((index >> 4) & 0x7FF) % blk.bd_storage;   // bit 15 chose the block
        const unsigned word = (index & 15) % m.bd_words;
        a.write32(at(blk.bd_base + bd * m.bd_stride + word * 4), value);
        break;
    }
    case 1:
        if (have_channel)
            a.write32(at(ctrl + 4), value);
        break;
    case 2:
        if (have_channel)
            a.write32(at(ctrl), value);
        break;
    case 3: {
        const auto& blk = m.dma[(index >> 15) % m.dma_blocks];
        a.write32(at(blk.lock_value + regs::kLockValueStride * (index % blk.lock_count)), value);
        break;
    }
    case 4: {
        const auto& blk = m.dma[(index >> 15) % m.dma_blocks];
        if (blk.lock_request == regs::kNone || blk.lock_count == 0)
            break;
        const uint32_t lock = index % blk.lock_count;
        const uint32_t off = blk.lock_request + lock * regs::kLockRequestIdStride +
                             ((index & 0x100) ? regs::kLockRequestAcquire : 0) + ((value & 0x7F) << 2);
        (void)a.read32(at(off));
        break;
    }
    case 5: a.write32(at(m.ss_master + 4 * (index % 32)), value); break;
    case 6: a.write32(at(m.ss_slave + 4 * (index % 32)), value); break;
    case 7:
        if (m.core_control != regs::kNone)
            a.mask_write32(at(m.core_control), index, value);
        break;
    case 8:
        if (m.data_memory != regs::kNone)
            a.write32(at(m.data_memory + index * 4u), value);
        else   // the memory tile: its data through the direct path, bounds-checked
            (void)a.write_tile_memory(col, row, index * 4u, &value, 4);
        break;
    case 9:
        if (m.program_memory != regs::kNone)
            a.write32(at(m.program_memory + (index * 4u) % 0x8000), value);
        break;
    case 10: a.write32(at(((uint32_t{index} << 4) | (value >> 28 << 2)) & 0xFFFFF), value); break;
    case 11:
        (void)a.read32(have_channel && (value & 1) ? at(status) : at((uint32_t{index} << 4 | (value & 0xC)) & 0xFFFFF));
        break;
    case 12: a.run_for(take_cycles(value % 20000)); break;
    case 13: (void)a.run_until_idle(take_cycles(value % 200000)); break;
    case 14:
        if (have_channel)
            (void)a.wait_tcts(ChannelId{col, row, dir ? Direction::mm2s : Direction::s2mm,
                                        static_cast<uint8_t>((index >> 1) % channels)},
                              value % 4, take_cycles(50000));
        break;
    case 15:
        if (have_channel)
            (void)a.mask_poll(at(status), regs::kIdlePollMask, 0, take_cycles(value % 50000));
        break;
    }
}

void check(Array& a)
{
    const Geometry g = geometry();
    for (const auto& e : a.errors())
        if (e.col >= g.columns || e.row >= g.rows())
            broken("an array error names a tile outside the array");
    g_errors += a.errors().size();
    for (uint16_t c = 0; c < g.columns; ++c)
        for (uint16_t r = 0; r < g.rows(); ++r) {
            const auto& res = r == g.shim_row ? kShimTile : &map_of(r) == &regs::kMemMap ? kMemTile : kCoreTile;
            for (uint16_t l = 0; l < res.locks; ++l) {
                const int32_t v = a.lock_value(c, r, l);
                if (v < 0 || v > kLockMax)
                    broken("a lock value left its 6-bit range");
            }
        }
}

} // namespace

const char* fuzz_name() { return "array"; }

void fuzz_init()
{
    aie4emu::log::set_sink([](std::string_view) {});
    g_rig = std::make_unique<Rig>();
}

void fuzz_one(const uint8_t* data, size_t size)
{
    Rig& rig = *g_rig;
    Array& a = rig.array;
    g_cycles_left = kInputCycleBudget;
    for (size_t pos = 0; pos + 8 <= size; pos += 8) {
        uint16_t index;
        uint32_t value;
        std::memcpy(&index, data + pos + 2, 2);
        std::memcpy(&value, data + pos + 4, 4);
        apply(a, data[pos], data[pos + 1], index, value);
        ++g_records;
    }
    (void)a.run_until_idle(200000);   // bounded: returns whether or not the array went idle
    check(a);
    a.reset_columns(0, kColumns);
    a.clear_errors();
    std::memset(rig.host.at(kHostBase), 0, kHostSize);
    ++g_inputs;
}

std::vector<uint8_t> fuzz_random_input(std::mt19937& rng)
{
    std::vector<uint8_t> in;
    const unsigned records = 1 + rng() % 40;
    for (unsigned r = 0; r < records; ++r) {
        const uint8_t op = static_cast<uint8_t>(rng() % 16);
        const uint8_t tile = static_cast<uint8_t>(rng());
        const uint16_t index = static_cast<uint16_t>(rng());
        // BD words and queue pushes with small fields most of the time, so DMAs really run.
        uint32_t value = rng();
        if (rng() % 2)
            value = (rng() % 64) | ((rng() % 4) << 20) | ((rng() % 3 == 0) ? regs::queue::kToken : 0u);
        in.push_back(op);
        in.push_back(tile);
        in.push_back(static_cast<uint8_t>(index));
        in.push_back(static_cast<uint8_t>(index >> 8));
        for (unsigned i = 0; i < 4; ++i)
            in.push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
    return in;
}

std::string fuzz_summary()
{
    return std::to_string(g_inputs) + " inputs, " + std::to_string(g_records) + " records, " +
           std::to_string(g_errors) + " array errors reported, all inside the array";
}

#include "tests/fuzz/fuzz_main.hpp"
