// Per-function record of what crossed the bus and what the firmware noted:
// trapped MMIO reads/writes, config writes, and firmware events
// (DeviceServices::trace). Ordered, bounded (oldest records go first), off by
// default. Tests assert probe order with it; the control socket reads it out.
// Accesses to BAR areas the guest has mmap'ed never trap, so they are not
// here: run with trap_all for a full MMIO trace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace aie4emu::npu3 {

struct TraceRecord {
    enum class Kind : uint8_t { mmio_read, mmio_write, config_write, event };
    uint64_t seq = 0;      // position in the function's history (counts dropped records too)
    Kind kind = Kind::event;
    unsigned bar = 0;
    uint64_t offset = 0;   // BAR or config-space offset
    unsigned size = 0;
    uint64_t value = 0;
    std::string text;      // events only
};

class AccessTrace {
public:
    static constexpr size_t kDefaultCapacity = 4096;

    explicit AccessTrace(size_t capacity = kDefaultCapacity);

    void set_enabled(bool on) { enabled_ = on; }
    [[nodiscard]] bool enabled() const { return enabled_; }
    // At least 1; shrinking drops the oldest records.
    void set_capacity(size_t capacity);
    [[nodiscard]] size_t capacity() const { return capacity_; }

    void record_access(TraceRecord::Kind kind, unsigned bar, uint64_t offset, unsigned size, uint64_t value);
    void record_event(std::string_view text);

    [[nodiscard]] const std::deque<TraceRecord>& records() const { return records_; }
    // "R bar2+0x00000 4 0x00000001", "W bar4+0x00a24 4 0xd007be11",
    // "C 0x004 2 0x0006", "E psp cmd 1".
    [[nodiscard]] std::vector<std::string> lines() const;
    [[nodiscard]] static std::string format(const TraceRecord& r);
    [[nodiscard]] uint64_t dropped() const { return dropped_; }
    void clear();

private:
    void push(TraceRecord r);
    bool enabled_ = false;
    size_t capacity_;
    uint64_t next_seq_ = 0;
    uint64_t dropped_ = 0;
    std::deque<TraceRecord> records_;
};

} // namespace aie4emu::npu3
