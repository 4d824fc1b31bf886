// The lock unit alone (hw/aie/locks.hpp): the overflow report is sticky per lock, so a loop that
// overflows the same lock on every pass reports it once and counts the rest.
#include <catch2/catch_test_macros.hpp>
#include <fmt/format.h>

#include "hw/aie/array_context.hpp"
#include "hw/aie/locks.hpp"
#include "hw/aie/tile.hpp"

using namespace aie4emu::aie;

namespace {

struct Rig {
    ArrayContext ctx;
    TileGrid tiles{Geometry{}};
    LockUnit locks{ctx};
};

} // namespace

TEST_CASE("locks: a release past the range is clamped and reported once until the lock is written")
{
    Rig r;
    Tile& t = r.tiles.at(0, 1);
    r.locks.set(t, 5, kLockMax - 1);
    r.locks.release(t, 5, 3);
    CHECK(t.locks[5].value == kLockMax);
    REQUIRE(r.ctx.errors.all().size() == 1);
    CHECK(r.ctx.errors.all()[0].kind == ErrorKind::lock_overflow);
    CHECK(r.ctx.errors.all()[0].message == fmt::format("lock 5 value {} + 3 outside 0..{}", kLockMax - 1, kLockMax));

    for (int pass = 0; pass < 100; ++pass)
        r.locks.release(t, 5, 1);
    CHECK(r.ctx.errors.all().size() == 1);
    CHECK(r.ctx.counters.value("lock_overflow_repeats") == 100);
    CHECK(r.ctx.counters.value("errors") == 1);

    // Another lock of the same tile has its own state.
    r.locks.set(t, 6, 0);
    r.locks.release(t, 6, -1);
    CHECK(t.locks[6].value == 0);
    CHECK(r.ctx.errors.all().size() == 2);

    // Software writing the value re-arms the report.
    r.locks.set(t, 5, kLockMax);
    r.locks.release(t, 5, 1);
    CHECK(r.ctx.errors.all().size() == 3);

    // A tile reset re-arms it too.
    r.tiles.reset(t);
    r.locks.release(t, 6, -1);
    CHECK(r.ctx.errors.all().size() == 4);
}
