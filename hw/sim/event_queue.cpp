#include "hw/sim/event_queue.hpp"

#include <algorithm>

namespace aie4emu::sim {

uint32_t EventQueue::take_slot()
{
    if (!free_slots_.empty()) {
        const uint32_t slot = free_slots_.back();
        free_slots_.pop_back();
        return slot;
    }
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size() - 1);
}

void EventQueue::push(Cycle when, uint32_t slot)
{
    heap_.push_back(Entry{when < now_ ? now_ : when, seq_++, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void EventQueue::schedule_at(Cycle when, Action action)
{
    const uint32_t slot = take_slot();
    slots_[slot].action = std::move(action);
    push(when, slot);
}

void EventQueue::schedule_call_at(Cycle when, Call call, void* object, uint64_t a, uint64_t b)
{
    const uint32_t slot = take_slot();
    Slot& s = slots_[slot];
    s.call = call;
    s.object = object;
    s.a = a;
    s.b = b;
    push(when, slot);
}

bool EventQueue::step()
{
    if (heap_.empty())
        return false;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Entry e = heap_.back();
    heap_.pop_back();
    now_ = e.when;
    ++fired_;
    // Copy out first: the event may schedule more, which can reallocate slots_.
    Slot& s = slots_[e.slot];
    if (s.call) {
        const Call call = s.call;
        void* const object = s.object;
        const uint64_t a = s.a, b = s.b;
        s.call = nullptr;
        free_slots_.push_back(e.slot);
        call(object, a, b);
        return true;
    }
    Action action = std::move(s.action);
    s.action = nullptr;
    free_slots_.push_back(e.slot);
    action();
    return true;
}

uint64_t EventQueue::run_until(Cycle limit)
{
    uint64_t n = 0;
    while (!heap_.empty() && heap_.front().when <= limit) {
        step();
        ++n;
    }
    if (limit > now_)
        now_ = limit;
    return n;
}

bool EventQueue::run_until_idle(Cycle max_cycles)
{
    const Cycle limit = max_cycles > kNever - now_ ? kNever : now_ + max_cycles;
    while (!heap_.empty()) {
        if (heap_.front().when > limit) {
            now_ = limit;
            return false;
        }
        step();
    }
    return true;
}

bool EventQueue::run_until_true(const std::function<bool()>& pred, Cycle limit)
{
    if (pred())
        return true;
    while (!heap_.empty() && heap_.front().when <= limit) {
        step();
        if (pred())
            return true;
    }
    if (!heap_.empty() && limit > now_)
        now_ = limit;
    return false;
}

void EventQueue::clear()
{
    heap_.clear();
    slots_.clear();
    free_slots_.clear();
}

} // namespace aie4emu::sim
