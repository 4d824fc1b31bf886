// The cores alone (hw/aie/cores.hpp): core control, status, program checks and the kernel loop
// with its lock handshake, with the tiles' memories and locks but no DMA and no register decode.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <vector>

#include "hw/aie/array_context.hpp"
#include "hw/aie/cores.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/register_map.hpp"
#include "hw/aie/tile.hpp"

using namespace aie4emu::aie;

namespace {

struct Rig {
    ArrayContext ctx;
    TileGrid tiles{Geometry{}};
    LockUnit locks{ctx};
    Cores cores{ctx, tiles, locks};

    void load(Tile& t, const ProgramDescriptor& d)
    {
        const auto words = d.encode();
        std::memcpy(t.program.data(), words.data(), sizeof(words));
    }
};

// relu over 16 int32 at 0x100 -> 0x200.
ProgramDescriptor relu16()
{
    ProgramDescriptor d;
    d.kernel = KernelId::relu;
    d.iterations = 1;
    d.in0 = 0x100;
    d.out = 0x200;
    d.m = 16;
    return d;
}

} // namespace

TEST_CASE("cores: a core enabled without a program fails naming its tile")
{
    Rig r;
    Tile& t = r.tiles.at(1, 3);
    r.cores.write_control(t, regs::core::kEnable);
    REQUIRE(r.ctx.errors.all().size() == 1);
    const ArrayError& e = r.ctx.errors.all()[0];
    CHECK(e.kind == ErrorKind::core_error);
    CHECK(e.message == "core program not loaded for tile (1,3)");
    CHECK(e.col == 1);
    CHECK(e.row == 3);
    CHECK(r.cores.status(t) == regs::core::kStatusErrorHalt);
    CHECK(r.cores.control(t) == regs::core::kEnable);
    CHECK(r.ctx.events.empty());
}

TEST_CASE("cores: a program runs its kernel on data memory in kernel_cycles")
{
    Rig r;
    Tile& t = r.tiles.at(0, 2);
    std::vector<int32_t> in(16);
    for (int i = 0; i < 16; ++i)
        in[static_cast<size_t>(i)] = (i % 2 ? -1 : 1) * i * 1000;
    std::memcpy(t.data.data() + 0x100, in.data(), 64);
    r.load(t, relu16());
    r.cores.write_control(t, regs::core::kEnable);
    CHECK(r.cores.status(t) == regs::core::kStatusRunning);
    REQUIRE(r.ctx.events.run_until_idle(100000));
    CHECK(r.ctx.events.now() == kernel_cycles(relu16(), CostParams{}));
    CHECK(r.cores.status(t) == regs::core::kStatusDone);
    std::vector<int32_t> out(16);
    std::memcpy(out.data(), t.data.data() + 0x200, 64);
    for (size_t i = 0; i < 16; ++i)
        CHECK(out[i] == std::max(in[i], 0));
    CHECK(r.ctx.counters.value("core.invocations") == 1);
    CHECK(r.ctx.errors.all().empty());
}

TEST_CASE("cores: the kernel waits for its input lock, releases the other, and a disable drops the wait")
{
    Rig r;
    Tile& t = r.tiles.at(0, 4);
    ProgramDescriptor d = relu16();
    d.in0_locks = LockPair{true, 3, 4};   // acquire lock 3, release lock 4
    r.load(t, d);
    const CostParams c;

    SECTION("a lock release starts it")
    {
        r.cores.write_control(t, regs::core::kEnable);
        r.ctx.events.run_until_idle(1000);
        CHECK(r.cores.status(t) == regs::core::kStatusRunning);
        CHECK(r.ctx.counters.value("core.invocations") == 0);
        CHECK(r.ctx.counters.value("lock.stalls") == 1);
        r.locks.set(t, 3, 1);
        const auto at = r.ctx.events.now();
        REQUIRE(r.ctx.events.run_until_idle(100000));
        CHECK(r.cores.status(t) == regs::core::kStatusDone);
        // One lock handshake to wake, the kernel and its one acquire.
        CHECK(r.ctx.events.now() == at + c.lock_cycles + kernel_cycles(d, c) + c.lock_cycles);
        CHECK(t.locks[3].value == 0);
        CHECK(t.locks[4].value == 1);
    }
    SECTION("a disabled core does not wake")
    {
        r.cores.write_control(t, regs::core::kEnable);
        r.cores.write_control(t, 0);
        r.locks.set(t, 3, 1);
        r.ctx.events.run_until_idle(100000);
        CHECK(r.cores.status(t) == 0);
        CHECK(r.ctx.counters.value("core.invocations") == 0);
        CHECK(t.locks[3].value == 1);
    }
    SECTION("a lock beyond the tile's is refused")
    {
        d.out_locks = LockPair{true, 0, 16};
        r.load(t, d);
        r.cores.write_control(t, regs::core::kEnable);
        REQUIRE(r.ctx.errors.all().size() == 1);
        CHECK(r.ctx.errors.all()[0].message == "kernel descriptor names a lock beyond the tile's locks");
    }
}
