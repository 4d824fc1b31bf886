// The DMA engine alone (hw/aie/dma.hpp): BDs and task queues written straight into the engine,
// routes given by a fixed table instead of the stream switches, no register decode, no Array.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <vector>

#include "hw/aie/array_context.hpp"
#include "hw/aie/dma.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/program.hpp"
#include "hw/aie/stream_switch.hpp"
#include "hw/aie/tile.hpp"

using namespace aie4emu::aie;

namespace {

constexpr uint16_t kMem = 1, kCore = 2;

// Every MM2S stream ends at one S2MM, `hops` switches away.
struct FixedRoute final : StreamRoutes {
    RouteEnd end;
    [[nodiscard]] uint64_t epoch() const override { return 0; }
    [[nodiscard]] RouteEnd route_from_mm2s(uint16_t, uint16_t, uint8_t) const override { return end; }
};

Geometry one_column()
{
    Geometry g;
    g.columns = 1;
    return g;
}

struct Rig {
    ArrayContext ctx;
    TileGrid tiles{one_column()};
    LockUnit locks{ctx};
    FixedRoute route;
    DmaEngine dma{ctx, tiles, locks, route};

    Tile& tile(uint16_t row) { return tiles.at(0, row); }
    // BD `bd` as channel (dir, channel) of tile `row` names it, in that tile's layout.
    void write_bd(uint16_t row, Direction dir, unsigned channel, unsigned bd, const BdFields& f,
                  std::vector<std::pair<unsigned, uint32_t>> raw = {})
    {
        Tile& t = tile(row);
        const EncodedBd e = encode_bd(t.kind, f);
        REQUIRE(e.error.empty());
        const unsigned block = regs::block_of(*t.map, dir, channel);
        const unsigned slot = regs::bd_slot(t.map->dma[block], dir, channel, bd);
        std::vector<uint32_t> words(e.span().begin(), e.span().end());
        for (auto [word, value] : raw)
            words[word] = value;
        for (unsigned w = 0; w < words.size(); ++w)
            dma.write_bd_word(t, block, slot, w, words[w]);
    }
    void push(uint16_t row, Direction dir, unsigned channel, unsigned bd)
    {
        dma.push_task(tile(row), dir, channel, regs::queue::kToken | bd);
    }
};

std::vector<uint32_t> pattern(size_t n)
{
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = 0x5A000000u + static_cast<uint32_t>(i) * 7u;
    return v;
}

} // namespace

TEST_CASE("DMA engine: one BD moves bytes from the memory tile to a compute tile in the modelled cycles")
{
    Rig r;
    r.route.end = RouteEnd{0, kCore, 0, 2, {}};
    const auto src = pattern(64);
    std::memcpy(r.tile(kMem).data.data() + 0x1000, src.data(), 256);
    r.write_bd(kCore, Direction::s2mm, 0, 1, BdFields{.address = 0x400, .length = 64});
    r.write_bd(kMem, Direction::mm2s, 0, 0, BdFields{.address = 0x1000, .length = 64});
    r.push(kCore, Direction::s2mm, 0, 1);
    r.push(kMem, Direction::mm2s, 0, 0);
    REQUIRE(r.ctx.events.run_until_idle(10000));

    std::vector<uint32_t> dst(64);
    std::memcpy(dst.data(), r.tile(kCore).data.data() + 0x400, 256);
    CHECK(dst == src);
    // BD setup, 256 bytes at 4 B/cycle, two switches.
    const CostParams c;
    CHECK(r.ctx.events.now() == c.bd_setup_cycles + 256 / 4 + 2 * c.switch_hop_cycles);
    CHECK(r.ctx.errors.all().empty());
    CHECK(r.dma.channel({0, kCore, Direction::s2mm, 0})->tct_issued == 1);
    CHECK(r.dma.channel({0, kMem, Direction::mm2s, 0})->tct_issued == 1);
    CHECK((r.dma.status(r.tile(kMem), Direction::mm2s, 0) & regs::kIdlePollMask) == 0);
    CHECK(r.ctx.counters.value("dma.bytes") == 256);
}

TEST_CASE("DMA engine: a BD setting a field the model cannot honour stops its channel, naming the field")
{
    Rig r;
    r.route.end = RouteEnd{0, kCore, 0, 2, {}};
    // Memory-tile BD word 7 holds iteration-current, packet and padding fields whose bits are unknown.
    r.write_bd(kMem, Direction::mm2s, 0, 0, BdFields{.address = 0x1000, .length = 64}, {{7, 0x10}});
    r.write_bd(kCore, Direction::s2mm, 0, 0, BdFields{.address = 0x400, .length = 64});
    r.push(kCore, Direction::s2mm, 0, 0);
    r.push(kMem, Direction::mm2s, 0, 0);
    r.ctx.events.run_until_idle(10000);

    REQUIRE(r.ctx.errors.all().size() == 1);
    const ArrayError& e = r.ctx.errors.all()[0];
    CHECK(e.kind == ErrorKind::bad_bd);
    CHECK(e.row == kMem);
    CHECK(e.dir == Direction::mm2s);
    CHECK(e.message.find("BD 0: word 7") == 0);
    CHECK((r.dma.status(r.tile(kMem), Direction::mm2s, 0) & regs::status::kError) != 0);
    CHECK(r.ctx.counters.value("dma.bytes") == 0);
    // The consumer still waits for data, the producer issued no token.
    CHECK(r.dma.channel({0, kMem, Direction::mm2s, 0})->tct_issued == 0);
    CHECK((r.dma.status(r.tile(kCore), Direction::s2mm, 0) & regs::status::kRunning) != 0);
}

TEST_CASE("DMA engine: caps on guest-chosen sizes")
{
    Rig r;
    SECTION("a BD longer than kMaxBurstWords moves in several bursts, each with its switch latency")
    {
        r.route.end = RouteEnd{0, kMem, 0, 1, {}};   // memory-tile loopback
        const uint32_t words = kMaxBurstWords + 1000;
        const auto src = pattern(words);
        std::memcpy(r.tile(kMem).data.data(), src.data(), size_t{words} * 4);
        r.write_bd(kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = words});
        r.write_bd(kMem, Direction::s2mm, 0, 0, BdFields{.address = 0x100000, .length = words});
        r.push(kMem, Direction::s2mm, 0, 0);
        r.push(kMem, Direction::mm2s, 0, 0);
        REQUIRE(r.ctx.events.run_until_idle(1'000'000));
        CHECK(r.ctx.counters.value("dma.bursts") == 2);
        const CostParams c;
        CHECK(r.ctx.events.now() == c.bd_setup_cycles + kMaxBurstWords + c.switch_hop_cycles + 1000 + c.switch_hop_cycles);
        CHECK(std::memcmp(r.tile(kMem).data.data() + 0x100000, src.data(), size_t{words} * 4) == 0);
        CHECK(r.ctx.errors.all().empty());
    }
    SECTION("a repeat count beyond the 8-bit field refuses the task")
    {
        r.dma.push_task(r.tile(kMem), Direction::s2mm, 0, (256u << regs::queue::kRepeatShift) | 1);
        REQUIRE(r.ctx.errors.all().size() == 1);
        CHECK(r.ctx.errors.all()[0].kind == ErrorKind::bad_bd);
        CHECK(r.ctx.errors.all()[0].message.find("cap 256 repeats") != std::string::npos);
        CHECK(r.ctx.counters.value("dma.tasks") == 0);
    }
    SECTION("a fifth pending task overflows the queue")
    {
        // The first task waits on lock 0 (never released), so the next four stay queued.
        r.write_bd(kCore, Direction::s2mm, 0, 0, BdFields{.length = 4, .acquire = true, .acq_val = -1, .acq_id = 0});
        for (unsigned i = 0; i < 1 + kTaskQueueDepth; ++i)
            r.push(kCore, Direction::s2mm, 0, 0);
        r.ctx.events.run_until_idle(1000);
        CHECK(r.ctx.errors.all().empty());
        r.push(kCore, Direction::s2mm, 0, 0);
        REQUIRE(r.ctx.errors.all().size() == 1);
        CHECK(r.ctx.errors.all()[0].kind == ErrorKind::queue_overflow);
        CHECK(r.dma.waits_on_lock(r.tile(kCore)));
    }
}
