#include "hw/aie/array_context.hpp"

#include <fmt/format.h>

#include "hw/sim/log.hpp"

namespace aie4emu::aie {

const char* error_kind_name(ErrorKind k)
{
    switch (k) {
    case ErrorKind::dma_fault: return "dma_fault";
    case ErrorKind::bad_route: return "bad_route";
    case ErrorKind::bad_bd: return "bad_bd";
    case ErrorKind::queue_overflow: return "queue_overflow";
    case ErrorKind::core_error: return "core_error";
    case ErrorKind::lock_overflow: return "lock_overflow";
    }
    return "?";
}

void ErrorLog::report(ErrorKind kind, uint16_t col, uint16_t row, Direction dir, uint8_t channel, std::string message)
{
    ArrayError e{clock_.now(), kind, col, row, dir, channel, std::move(message)};
    AIE4_LOG(array, "array", e.at, "error {} tile({},{}): {}", error_kind_name(kind), col, row, e.message);
    counters_.add("errors");
    if (errors_.size() < kKept)
        errors_.push_back(e);
    if (callback_)
        callback_(e);
}

} // namespace aie4emu::aie
