// Activity trace in Chrome/Perfetto trace-event JSON ("JSON Array Format"
// object form: {"traceEvents":[...]}), openable in ui.perfetto.dev or
// chrome://tracing. One process per group (e.g. a column), one thread
// (track) per tile or DMA channel. Timestamps are microseconds in the
// format, so cycles are divided by cycles_per_us (default 1000: a cycle
// shows as 1 ns, i.e. a 1 GHz clock for display only).
//
// Output: metadata first ("ph":"M": one process_name per process, one
// thread_name and one thread_sort_index per track), then the events. pids
// number the processes from 1; tids number the tracks from 1 within their
// process, so each track is its own (pid, tid). Spans are "ph":"X" with
// "ts" and "dur"; points are "ph":"i" with "s":"t"; both carry the exact
// cycle numbers in args.cycle / args.cycles.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hw/sim/event_queue.hpp"

namespace aie4emu::sim {

class TraceWriter {
public:
    explicit TraceWriter(double cycles_per_us = 1000.0) : cycles_per_us_(cycles_per_us) {}

    void set_enabled(bool on) { enabled_ = on; }
    [[nodiscard]] bool enabled() const { return enabled_; }
    // Events beyond this many are dropped (and counted) to bound memory.
    void set_limit(size_t max_events) { limit_ = max_events; }
    [[nodiscard]] size_t event_count() const { return events_.size(); }
    [[nodiscard]] uint64_t dropped() const { return dropped_; }

    // Track id for (process, thread); the same names give the same id.
    uint32_t track(std::string_view process, std::string_view thread);

    // A span [start, start+duration) on a track ("ph":"X").
    void complete(uint32_t track, std::string_view name, Cycle start, Cycle duration);
    // A point event ("ph":"i").
    void instant(uint32_t track, std::string_view name, Cycle at);

    [[nodiscard]] std::string to_json() const;
    // Returns false and fills *error if the file cannot be written.
    bool write_file(const std::string& path, std::string* error = nullptr) const;
    void clear();

private:
    struct Track {
        std::string process;
        std::string thread;
        uint32_t pid;
        uint32_t tid;
    };
    struct Event {
        uint32_t track;
        char phase;
        std::string name;
        Cycle start;
        Cycle duration;
    };
    bool admit();

    double cycles_per_us_;
    bool enabled_ = false;
    size_t limit_ = 1'000'000;
    uint64_t dropped_ = 0;
    std::vector<std::string> processes_;
    std::vector<Track> tracks_;
    std::vector<Event> events_;
};

} // namespace aie4emu::sim
