// Settings of one aie4emu process (one emulated NPU): command line, config
// file, defaults. Precedence: command line > config file > defaults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aie4emu {

// Records of the per-function access trace aie4emu keeps (a ring: the oldest go first). Large
// enough for a whole PF and VF probe with every SRAM access trapped (--trap-all).
inline constexpr std::size_t kTraceRecordsPerFunction = 65536;

struct Options {
    std::string socket_dir;           // where pf.sock, vfN.sock, control.sock live
    unsigned vfs = 1;                 // VFs enabled at start through the control plane
    unsigned total_vfs = 4;           // SR-IOV TotalVFs
    unsigned columns = 12;            // array columns (3 per VF partition)
    std::string identity = "17f2";    // row of the identity table (hw/npu3/identity.hpp)
    std::optional<uint8_t> revision;  // test knob: override the revision (driver needs 0x10)
    std::string log;                  // logging categories, "a,b" or "all"
    bool trap_all = false;            // no mmap-able BAR areas: every access traps (full traces)
    bool umq_mirror = true;           // bridge XRT 2.25's queue header for the 7.3.4 kernel
    std::string array_trace;          // Perfetto trace file of array activity ("" = off)
    std::vector<std::string> faults;  // --fault KIND[:key=value...], armed at start (emu/faults.hpp)
    std::vector<unsigned> vf_shares;  // CERT packets per turn, VF0 first (unlisted VFs: 1)
    unsigned vf_memory_limit_mib = 64; // host memory CERT may hold for one VF's command
    std::string config_file;
};

// Parses argv. Returns the options, or throws std::invalid_argument with a
// message fit for the user. `help` is set when --help was asked.
Options parse_options(int argc, const char* const* argv, bool& help, bool& version);

// Applies a JSON config file (keys as in Options, e.g. "vfs", "identity",
// "umq_mirror") under the command line: only keys the command line did not
// set are taken. Throws std::invalid_argument naming the file and the key.
void apply_config_text(Options& opts, const std::string& json_text, const std::string& origin,
                       const std::vector<std::string>& set_on_command_line);

std::string usage_text();

// The accepted --identity values, from the identity table (hw/npu3/identity.hpp).
std::string identity_names();

} // namespace aie4emu
