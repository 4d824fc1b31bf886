// The stream switches alone (hw/aie/stream_switch.hpp): configuration registers and the circuit
// routes they form, with every way a route can fail named.
#include <catch2/catch_test_macros.hpp>

#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"

using namespace aie4emu::aie;

namespace {

constexpr uint16_t kShim = 0, kMem = 1, kCore = 2;

// In tile (col, row), slave port `from` drives master port `to`.
void connect(StreamSwitch& sw, uint16_t col, uint16_t row, Port from, Port to, uint32_t extra = 0)
{
    const TileKind k = Geometry{}.kind_of(row);
    const auto s = port_number(slave_groups(k), from);
    const auto m = port_number(master_groups(k), to);
    REQUIRE(s);
    REQUIRE(m);
    sw.write_master(col, row, *m, regs::ss::kEnable | extra | *s);
}

} // namespace

TEST_CASE("stream switch: a route set switch by switch ends at the S2MM it names")
{
    StreamSwitch sw{Geometry{}};
    const uint64_t e0 = sw.epoch();
    // Memory tile MM2S 2 -> north lane 1 -> compute tile (0,2) -> north lane 1 -> (0,3) S2MM 1.
    connect(sw, 0, kMem, {PortType::dma, 2}, {PortType::north, 1});
    connect(sw, 0, kCore, {PortType::south, 1}, {PortType::north, 1});
    connect(sw, 0, kCore + 1, {PortType::south, 1}, {PortType::dma, 1});
    CHECK(sw.epoch() != e0);   // askers re-trace after any write
    const RouteEnd end = sw.route_from_mm2s(0, kMem, 2);
    INFO(end.error);
    CHECK(end.error.empty());
    CHECK(end.col == 0);
    CHECK(end.row == kCore + 1);
    CHECK(end.s2mm == 1);
    CHECK(end.hops == 3);
    // East across columns from the shim: (0,0) MM2S 0 -> east 0 -> (1,0) S2MM 0.
    connect(sw, 0, kShim, {PortType::dma, 0}, {PortType::east, 0});
    connect(sw, 1, kShim, {PortType::west, 0}, {PortType::dma, 0});
    const RouteEnd east = sw.route_from_mm2s(0, kShim, 0);
    CHECK(east.error.empty());
    CHECK(east.col == 1);
    CHECK(east.hops == 2);
    // A column reset clears its switches.
    sw.reset_columns(0, 1);
    CHECK(sw.master(0, kMem, *port_number(master_groups(TileKind::mem), {PortType::north, 1})) == 0);
    CHECK_FALSE(sw.route_from_mm2s(0, kMem, 2).error.empty());
}

TEST_CASE("stream switch: bad routes are named")
{
    StreamSwitch sw{Geometry{}};
    SECTION("dead end")
    {
        CHECK(sw.route_from_mm2s(0, kMem, 0).error == "dead end at tile(0,1) slave port 0");
        connect(sw, 0, kMem, {PortType::dma, 0}, {PortType::north, 0});
        CHECK(sw.route_from_mm2s(0, kMem, 0).error == "dead end at tile(0,2) slave port 2");   // nothing takes south 0
    }
    SECTION("fan-out")
    {
        connect(sw, 0, kMem, {PortType::dma, 0}, {PortType::dma, 0});
        connect(sw, 0, kMem, {PortType::dma, 0}, {PortType::dma, 1});
        CHECK(sw.route_from_mm2s(0, kMem, 0).error == "fan-out at tile(0,1) slave port 0 (broadcast not modelled)");
    }
    SECTION("packet mode is not a circuit")
    {
        connect(sw, 0, kMem, {PortType::dma, 0}, {PortType::dma, 0}, regs::ss::kPacket);
        CHECK(sw.route_from_mm2s(0, kMem, 0).error == "dead end at tile(0,1) slave port 0");
    }
    SECTION("leaving the array")
    {
        connect(sw, 0, kShim, {PortType::dma, 1}, {PortType::west, 0});
        CHECK(sw.route_from_mm2s(0, kShim, 1).error == "route leaves the array at tile(0,0)");
        connect(sw, 0, 5, {PortType::dma, 0}, {PortType::north, 0});   // the top compute row
        CHECK(sw.route_from_mm2s(0, 5, 0).error == "route leaves the array at tile(0,5)");
    }
    SECTION("core stream port")
    {
        connect(sw, 0, kCore, {PortType::dma, 0}, {PortType::core, 0});
        CHECK(sw.route_from_mm2s(0, kCore, 0).error == "route ends at the core stream port of tile(0,2) (not modelled)");
    }
    SECTION("no such channel")
    {
        CHECK(sw.route_from_mm2s(0, kCore, 1).error == "no such slave port at tile(0,2)");   // one MM2S only
    }
}
