// Discrete-event queue in device cycles.
//
// Determinism: events fire in (cycle, insertion sequence) order, so the same
// inputs always give the same order and the same cycle counts. Nothing ticks:
// a block that has nothing to do schedules nothing and costs nothing
// (docs/array-model.md "Time"; the Simics guide warns against short-quantum
// polling events, docs/spec/array.md §B).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace aie4emu::sim {

using Cycle = uint64_t;
inline constexpr Cycle kNever = ~Cycle{0};

class EventQueue {
public:
    using Action = std::function<void()>;

    [[nodiscard]] Cycle now() const { return now_; }
    [[nodiscard]] bool empty() const { return heap_.empty(); }
    [[nodiscard]] size_t pending() const { return heap_.size(); }
    // Cycle of the earliest pending event, or kNever.
    [[nodiscard]] Cycle next_time() const { return heap_.empty() ? kNever : heap_.front().when; }
    // Events fired since construction (or clear()).
    [[nodiscard]] uint64_t fired() const { return fired_; }

    // Schedule `action` at absolute cycle `when`; a time in the past is
    // clamped to now() (events are never scheduled in the past).
    void schedule_at(Cycle when, Action action);
    void schedule_in(Cycle delay, Action action) { schedule_at(now_ + delay, std::move(action)); }

    // A plain function call `call(object, a, b)`: the same ordering as an Action, but no
    // allocation and no type erasure, for hot paths (the array model's DMA, lock and core
    // events). The caller keeps `object` alive or makes the call check that it still applies.
    using Call = void (*)(void* object, uint64_t a, uint64_t b);
    void schedule_call_at(Cycle when, Call call, void* object, uint64_t a = 0, uint64_t b = 0);
    void schedule_call_in(Cycle delay, Call call, void* object, uint64_t a = 0, uint64_t b = 0)
    {
        schedule_call_at(now_ + delay, call, object, a, b);
    }

    // Fire the earliest event; false if there is none.
    bool step();
    // Fire every event with cycle <= limit, then set now() to `limit`
    // (time passes even when nothing happens). Returns events fired.
    uint64_t run_until(Cycle limit);
    // Fire events until the queue is empty or the next one lies beyond
    // now()+max_cycles. Returns true if the queue drained (idle); now() stays
    // at the last fired event's cycle in that case.
    bool run_until_idle(Cycle max_cycles);
    // Run until pred() holds (checked after every event and at the start) or
    // the cycle `limit` is reached. Returns pred()'s final value; on failure
    // now() is `limit` if events or time remained, else the last event's cycle.
    bool run_until_true(const std::function<bool()>& pred, Cycle limit);

    // Drop every pending event (reset).
    void clear();

private:
    struct Entry {
        Cycle when;
        uint64_t seq;
        uint32_t slot;
    };
    struct Later {
        bool operator()(const Entry& a, const Entry& b) const
        {
            return a.when != b.when ? a.when > b.when : a.seq > b.seq;
        }
    };
    // What a heap entry runs: `call` if set, else `action`.
    struct Slot {
        Call call = nullptr;
        void* object = nullptr;
        uint64_t a = 0, b = 0;
        Action action;
    };
    uint32_t take_slot();
    void push(Cycle when, uint32_t slot);

    Cycle now_ = 0;
    uint64_t seq_ = 0;
    uint64_t fired_ = 0;
    std::vector<Entry> heap_;
    std::vector<Slot> slots_;   // referenced by heap entries
    std::vector<uint32_t> free_slots_;
};

} // namespace aie4emu::sim
