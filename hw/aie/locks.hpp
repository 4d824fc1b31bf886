// Locks of the array: the semaphores a tile's DMA channels and its core synchronise on
// (docs/array-model.md "Locks"). Each tile holds its own lock values (Tile::locks); LockUnit
// holds the rules: acquire, release, set, the lock-request read, and waking whoever waits.
// It is a piece of its own because both the DMA engine (dma.hpp) and the cores (cores.hpp)
// wait on locks: a waiter is a scheduled call, so locks know nothing of either.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/sim/event_queue.hpp"

namespace aie4emu::aie {

struct ArrayContext;
struct Tile;

// Who waits for a lock: the call to schedule (lock_cycles later) when the lock's value changes.
// The call carries its own guard (a channel's tile generation, a core's epoch) and checks it.
struct LockWaiter {
    sim::EventQueue::Call call = nullptr;
    void* object = nullptr;
    uint64_t a = 0, b = 0;
};

struct Lock {
    int32_t value = 0;
    std::vector<LockWaiter> waiters;
    // Sticky, like the overflow event of a real lock: set by the first release that leaves the
    // range and reported then; later ones are only counted ("lock_overflow_repeats"), so a BD
    // chained to itself that overflows on every pass reports once, not once per pass. Cleared
    // when software writes the lock's value or the tile is reset.
    bool overflowed = false;
};

class LockUnit {
public:
    explicit LockUnit(ArrayContext& ctx);

    // AIE-ML semantics (register_map.hpp): v < 0 acquire_ge(-v) and add v; v >= 0 acquire_equal(v).
    bool try_acquire(Tile& t, unsigned id, int32_t v);
    // Adds v; a result outside 0..kLockMax is clamped and reported (ErrorKind::lock_overflow)
    // unless the lock's overflow is already reported (Lock::overflowed).
    void release(Tile& t, unsigned id, int32_t v);
    // A lock-value register write: the value clamped to 0..kLockMax; clears Lock::overflowed.
    void set(Tile& t, unsigned id, int32_t v);
    // A lock-request read: performs the acquire or release; 1 on success, 0 otherwise (a
    // release that would leave the range does nothing).
    uint32_t request(Tile& t, unsigned id, bool acquire, int32_t v);
    // `waiter` runs (once) the next time lock `id` changes.
    void wait(Tile& t, unsigned id, const LockWaiter& waiter);

private:
    void wake(Tile& t, unsigned id);

    ArrayContext& ctx_;
    uint64_t& c_overflow_repeats_;    // "lock_overflow_repeats", looked up once (hot in a BD loop)
    std::vector<LockWaiter> woken_;   // wake()'s scratch list, kept for its capacity
};

} // namespace aie4emu::aie
