// Fault injection from the control plane (docs/driver-development.md): one table of fault
// kinds, each armed in the layer where it happens (firmware-stub: mailbox, PSP, doorbells;
// hw/npu3: MSI-X delivery; hw/aie: shim DMA). Used by the control command "fault" and by
// aie4emu --fault KIND[:key=value...].
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace aie4emu {
namespace fw { class Firmware; }
namespace npu3 { class Device; }
namespace aie { class Array; }

namespace faults {

struct Targets {
    fw::Firmware& firmware;
    npu3::Device& device;
    aie::Array& array;
    unsigned total_vfs;
};

// Arms the fault a request describes: {"kind": K, "fn": "pf"|"vfN", "op": NAME|number,
// "status": N, "image": "npu"|"cert", "count": N}. Returns what was armed. Throws
// control::CommandError (unknown kind or key, bad value) with nothing armed.
boost::json::object arm(Targets& targets, const boost::json::object& request);
// Disarms every fault.
void clear(Targets& targets);
// The faults still armed.
boost::json::object list(Targets& targets);
// "KIND[:key=value...]" (aie4emu --fault) -> the request arm() takes. Throws
// std::invalid_argument.
boost::json::object parse_spec(std::string_view spec);
// One line per kind: its keys and what it does.
std::string help();

} // namespace faults
} // namespace aie4emu
