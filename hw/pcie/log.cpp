#include "hw/pcie/log.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <utility>

namespace aie4emu::pcie {

namespace {
std::function<void(std::string_view, std::string_view)>& sink_slot()
{
    static std::function<void(std::string_view, std::string_view)> sink;
    return sink;
}
} // namespace

void set_log_sink(std::function<void(std::string_view fn, std::string_view msg)> sink)
{
    sink_slot() = std::move(sink);
}

void log_line(std::string_view fn, std::string_view msg)
{
    if (auto& sink = sink_slot())
        sink(fn, msg);
    else
        fmt::print(stderr, "[pcie] {} {}\n", fn, msg);
}

} // namespace aie4emu::pcie
