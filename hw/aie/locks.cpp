#include "hw/aie/locks.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "hw/aie/array_context.hpp"
#include "hw/aie/tile.hpp"

namespace aie4emu::aie {

LockUnit::LockUnit(ArrayContext& ctx) : ctx_(ctx), c_overflow_repeats_(ctx.counters.get("lock_overflow_repeats")) {}

bool LockUnit::try_acquire(Tile& t, unsigned id, int32_t v)
{
    Lock& l = t.locks[id];
    if (v < 0) {
        if (l.value < -v)
            return false;
        l.value += v;
        wake(t, id);
        return true;
    }
    return l.value == v;
}

void LockUnit::release(Tile& t, unsigned id, int32_t v)
{
    Lock& l = t.locks[id];
    int32_t nv = l.value + v;
    if (nv < 0 || nv > kLockMax) {
        if (l.overflowed)
            ++c_overflow_repeats_;
        else
            ctx_.errors.report(ErrorKind::lock_overflow, t.col, t.row, Direction::s2mm, 0,
                               fmt::format("lock {} value {} + {} outside 0..{}", id, l.value, v, kLockMax));
        l.overflowed = true;
        nv = std::clamp(nv, 0, kLockMax);
    }
    l.value = nv;
    wake(t, id);
}

void LockUnit::set(Tile& t, unsigned id, int32_t v)
{
    t.locks[id].value = std::clamp(v, 0, kLockMax);
    t.locks[id].overflowed = false;
    wake(t, id);
}

uint32_t LockUnit::request(Tile& t, unsigned id, bool acquire, int32_t v)
{
    if (acquire)
        return try_acquire(t, id, v) ? 1u : 0u;
    const int32_t nv = t.locks[id].value + v;
    if (nv < 0 || nv > kLockMax)
        return 0;
    release(t, id, v);
    return 1;
}

void LockUnit::wait(Tile& t, unsigned id, const LockWaiter& waiter)
{
    t.locks[id].waiters.push_back(waiter);
}

void LockUnit::wake(Tile& t, unsigned id)
{
    auto& w = t.locks[id].waiters;
    if (w.empty())
        return;
    woken_.swap(w);
    for (const LockWaiter& x : woken_)
        ctx_.events.schedule_call_in(ctx_.cost.lock_cycles, x.call, x.object, x.a, x.b);
    woken_.clear();
}

} // namespace aie4emu::aie
