// What every piece of the array model shares (array.hpp composes the pieces): the one clock
// (event queue in device cycles), the cost constants, the counters, the trace writer and the
// error log. One object per array, owned by Array; a test of one piece builds its own.
// Errors are the array's reports to software (DMA faults, bad routes, bad descriptors, queue
// overflows, core errors, lock overflows); they are kept here so that every piece reports the
// same way, with the same cap and the same callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw/aie/params.hpp"
#include "hw/sim/counters.hpp"
#include "hw/sim/event_queue.hpp"
#include "hw/sim/trace.hpp"

namespace aie4emu::aie {

enum class ErrorKind : uint8_t {
    dma_fault,        // host or tile memory access outside the mapping
    bad_route,        // stream route dead end, leaves the array, loops, fans out, packet mode
    bad_bd,           // BD not valid, too many dimensions, BD id out of range
    queue_overflow,   // more than kTaskQueueDepth pending tasks
    core_error,       // bad program descriptor or buffers outside data memory
    lock_overflow,    // release beyond the 6-bit lock range (clamped)
};
const char* error_kind_name(ErrorKind k);

struct ArrayError {
    sim::Cycle at;
    ErrorKind kind;
    uint16_t col, row;       // logical row (0 shim, 1 memory tile, 2.. compute)
    Direction dir;           // for DMA errors
    uint8_t channel;
    std::string message;
};

// The errors reported since the last clear(), at most kKept of them (a guest that provokes
// errors in a loop cannot grow the list without bound; every one is still counted, logged
// and passed to the callback).
class ErrorLog {
public:
    static constexpr size_t kKept = 10000;

    ErrorLog(const sim::EventQueue& clock, sim::Counters& counters) : clock_(clock), counters_(counters) {}
    // Records, counts ("errors"), logs and passes to the callback. An exception from the callback
    // is not caught: it leaves through the call that ran the model (array.hpp).
    void report(ErrorKind kind, uint16_t col, uint16_t row, Direction dir, uint8_t channel, std::string message);
    [[nodiscard]] const std::vector<ArrayError>& all() const { return errors_; }
    void clear() { errors_.clear(); }
    void set_callback(std::function<void(const ArrayError&)> callback) { callback_ = std::move(callback); }

private:
    const sim::EventQueue& clock_;
    sim::Counters& counters_;
    std::vector<ArrayError> errors_;
    std::function<void(const ArrayError&)> callback_;
};

struct ArrayContext {
    explicit ArrayContext(const CostParams& c = {}) : cost(c) {}
    ArrayContext(const ArrayContext&) = delete;
    ArrayContext& operator=(const ArrayContext&) = delete;

    sim::EventQueue events;
    CostParams cost;
    sim::Counters counters;
    sim::TraceWriter trace;
    ErrorLog errors{events, counters};
};

} // namespace aie4emu::aie
