// Log lines of the PCI layer. hw/pcie calls nothing else in the project, so
// it owns this small seam: by default a line goes to stderr as
// "[pcie] <fn> <msg>"; the host process (or a test) may redirect lines into
// the shared logger or a capture buffer.
#pragma once

#include <functional>
#include <string_view>

namespace aie4emu::pcie {

// `sink` receives (function name, message); nullptr restores stderr.
void set_log_sink(std::function<void(std::string_view fn, std::string_view msg)> sink);

void log_line(std::string_view fn, std::string_view msg);

} // namespace aie4emu::pcie
