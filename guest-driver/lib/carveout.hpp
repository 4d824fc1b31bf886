#pragma once
// Carveout configuration for a guest without an IOMMU (docs/spec/driver-interface.md §6.4):
// the guest kernel reserves RAM with memmap=SIZE$ADDR, and root writes "SIZE@ADDR" to the
// driver's debugfs file `carveout` before the first open() of the accel node.
//
// Facts (drivers/accel/amdxdna/amdxdna_debugfs.c amdxdna_carveout_write/_show,
// amdxdna_cbuf.c amdxdna_carveout_init, drm_accel.c accel_debugfs_register):
//  - file: <debugfs>/accel/<PCI BDF>/carveout, mode 0600 (the accel minor's debugfs root is
//    the DRM device's directory, named after dev->unique = the PCI name);
//  - input "<size>@<addr>", each parsed by kstrtou64 base 0 (0x.. hex, 0.. octal, decimal),
//    both page aligned, size != 0; surrounding whitespace stripped; < 128 bytes;
//  - a second write while configured fails with EBUSY;
//  - reading gives "0x<size>@0x<addr>\n", "0x0@0x0" when not configured.

#include <cstdint>
#include <optional>
#include <string>

namespace aie4emu::guest {

struct Carveout {
    std::uint64_t size = 0;
    std::uint64_t addr = 0;
};

// Parses "size@addr" with the kernel's number rule (cli::parse_kstrtou64_base0).
std::optional<Carveout> parse_carveout(const std::string& text);
std::string format_carveout(const Carveout& c); // "0x<size>@0x<addr>"
bool carveout_aligned(const Carveout& c, std::uint64_t page_size = 4096);

// Locates the carveout file of this function: <debugfs>/accel/<bdf>/carveout, then
// <debugfs>/accel/<minor>/carveout, then a bounded search under <debugfs> for a file
// named carveout whose path names the BDF; finally the only carveout file if exactly one
// exists. Mounts debugfs at debugfs_root if it looks unmounted (needs root).
std::optional<std::string> find_carveout_file(const std::string& bdf, int minor,
                                              const std::string& debugfs_root = "/sys/kernel/debug");

// What the file reports now (size 0: not configured); nullopt when unreadable.
std::optional<Carveout> read_carveout_file(const std::string& file);

struct CarveoutSetup {
    bool ok = false;
    bool already_configured = false;
    Carveout active;     // what the file reports after the operation
    std::string message; // diagnostics
};

// The guest images' hook that gives every function its own slice of the memmap= region
// (guest-driver/init/carveout-hook.sh). It runs on each bind uevent, asynchronously; a program
// that starts right after `modprobe amdxdna` can get there first.
inline constexpr const char* kCarveoutHook = "/usr/local/sbin/aie4-carveout-hook";

// Runs `kCarveoutHook coldplug` (it serialises with the uevent instance through its own lock
// and leaves a configured function alone) and waits for it. False when the hook is not
// installed or did not exit 0; the caller then writes a carveout itself.
bool run_carveout_hook();

// Writes `wanted` unless a carveout is already configured (then leaves it and reports it).
CarveoutSetup ensure_carveout(const std::string& file, const Carveout& wanted);

} // namespace aie4emu::guest
