#pragma once
// Opening a VF the way every guest program does: locate it (BDF or first VF), make sure a
// carveout is configured (unless disabled), open the accel node.

#include "guest-driver/lib/carveout.hpp"
#include "guest-driver/lib/device.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

namespace aie4emu::guest {

struct VfOpenOptions {
    std::string bdf;                 // empty: first VF
    std::string node;                // explicit /dev/accel/accelN (skips sysfs lookup of the node)
    std::optional<Carveout> carveout = Carveout{0x10000000, 0x40000000}; // nullopt: don't touch
    // Set by --carveout. Without it, a guest image's carveout hook (kCarveoutHook) is asked
    // first, so the program and the hook never race to write two different slices.
    bool carveout_given = false;
    bool verbose = false;
};

struct VfSession {
    AccelLocation location;
    std::unique_ptr<Device> device;
};

// Throws DeviceError (or std::runtime_error) with a readable message on failure.
VfSession open_vf(const VfOpenOptions& options);

// Declares the options every guest program shares (--device, --node, --carveout, --verbose).
void add_vf_options(CLI::App& app, VfOpenOptions& options);

} // namespace aie4emu::guest
