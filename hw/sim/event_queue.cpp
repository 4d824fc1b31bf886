#include "hw/sim/event_queue.hpp"

#include <algorithm>

namespace aie4emu::sim {

void EventQueue::schedule_at(Cycle when, Action action)
{
    if (when < now_)
        when = now_;
    uint32_t slot;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
        actions_[slot] = std::move(action);
    } else {
        slot = static_cast<uint32_t>(actions_.size());
        actions_.push_back(std::move(action));
    }
    heap_.push_back(Entry{when, seq_++, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
}

bool EventQueue::step()
{
    if (heap_.empty())
        return false;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Entry e = heap_.back();
    heap_.pop_back();
    now_ = e.when;
    Action action = std::move(actions_[e.slot]);
    actions_[e.slot] = nullptr;
    free_slots_.push_back(e.slot);
    ++fired_;
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
    actions_.clear();
    free_slots_.clear();
}

} // namespace aie4emu::sim
