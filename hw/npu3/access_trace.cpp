#include "hw/npu3/access_trace.hpp"

#include <fmt/format.h>

#include <utility>

namespace aie4emu::npu3 {

AccessTrace::AccessTrace(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void AccessTrace::set_capacity(size_t capacity)
{
    capacity_ = capacity == 0 ? 1 : capacity;
    while (records_.size() > capacity_) {
        records_.pop_front();
        ++dropped_;
    }
}

void AccessTrace::push(TraceRecord r)
{
    r.seq = next_seq_++;
    if (records_.size() >= capacity_) {
        records_.pop_front();
        ++dropped_;
    }
    records_.push_back(std::move(r));
}

void AccessTrace::record_access(TraceRecord::Kind kind, unsigned bar, uint64_t offset, unsigned size,
                                uint64_t value)
{
    if (!enabled_)
        return;
    TraceRecord r;
    r.kind = kind;
    r.bar = bar;
    r.offset = offset;
    r.size = size;
    r.value = value;
    push(std::move(r));
}

void AccessTrace::record_event(std::string_view text)
{
    if (!enabled_)
        return;
    TraceRecord r;
    r.kind = TraceRecord::Kind::event;
    r.text = std::string(text);
    push(std::move(r));
}

std::string AccessTrace::format(const TraceRecord& r)
{
    const int digits = static_cast<int>(2 * (r.size == 0 ? 1 : r.size));
    switch (r.kind) {
    case TraceRecord::Kind::mmio_read:
        return fmt::format("R bar{}+{:#07x} {} {:#0{}x}", r.bar, r.offset, r.size, r.value, digits + 2);
    case TraceRecord::Kind::mmio_write:
        return fmt::format("W bar{}+{:#07x} {} {:#0{}x}", r.bar, r.offset, r.size, r.value, digits + 2);
    case TraceRecord::Kind::config_write:
        return fmt::format("C {:#05x} {} {:#0{}x}", r.offset, r.size, r.value, digits + 2);
    case TraceRecord::Kind::event:
        break;
    }
    return "E " + r.text;
}

std::vector<std::string> AccessTrace::lines() const
{
    std::vector<std::string> out;
    out.reserve(records_.size());
    for (const TraceRecord& r : records_)
        out.push_back(format(r));
    return out;
}

void AccessTrace::clear()
{
    records_.clear();
    dropped_ = 0;
}

} // namespace aie4emu::npu3
