#include "emu/options.hpp"
#include "cli/cli.hpp"
#include "emu/faults.hpp"
#include "hw/npu3/identity.hpp"
#include "hw/sim/log.hpp"

#include <boost/json/parse.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unistd.h>

namespace aie4emu {

namespace json = boost::json;

namespace {

constexpr unsigned kMaxVfs = 7;        // VFs at functions 1..7 without ARI (docs/spec/driver-interface.md §1.6)
constexpr unsigned kColumnsPerVf = 3;  // amdxdna aie4_pci.c AIE4_TOTAL_COLUMN
constexpr unsigned kMaxColumns = 64;
constexpr unsigned kMaxShare = 64;     // [ours] packets a VF may start per CERT turn
constexpr unsigned kMaxVfMemoryMib = 4096;

// "2,1,1": one CERT share per VF, VF0 first.
std::vector<unsigned> parse_shares(const std::string& text) {
    std::vector<unsigned> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = text.substr(pos, comma - pos);
        const auto v = cli::parse_number<unsigned>(item);
        if (!v || *v < 1 || *v > kMaxShare)
            throw std::invalid_argument(fmt::format("--vf-share: each share must be a number from 1 to {}, not '{}'",
                                                    kMaxShare, item));
        out.push_back(*v);
        pos = comma + 1;
    }
    if (out.size() > kMaxVfs)
        throw std::invalid_argument(fmt::format("--vf-share lists {} shares; there are at most {} VFs", out.size(), kMaxVfs));
    return out;
}

void check(const Options& o) {
    if (o.vfs > o.total_vfs)
        throw std::invalid_argument(fmt::format("--vfs {} exceeds --total-vfs {}", o.vfs, o.total_vfs));
    if (o.total_vfs * kColumnsPerVf > o.columns)
        throw std::invalid_argument(fmt::format(
            "{} columns cannot hold {} VF partitions of {} columns: raise --columns or lower --total-vfs",
            o.columns, o.total_vfs, kColumnsPerVf));
    if (npu3::find_identity(o.identity) == nullptr)
        throw std::invalid_argument(fmt::format("--identity must be one of {}, not '{}'", identity_names(), o.identity));
}

std::string identity_help() {
    std::string out = "which PCI identity the PF and VFs present (all revision 0x10):";
    for (const auto& id : npu3::identities())
        out += fmt::format("\n  {}: PF {:04x}:{:04x}, VF {:04x}:{:04x}{}", id.name, id.vendor_id, id.pf_device_id,
                           id.vendor_id, id.vf_device_id, &id == &npu3::default_identity() ? " (default)" : "");
    return out;
}

std::string log_help() {
    std::string out = "log categories, a comma list or 'all':\n ";
    size_t line = 1;
    for (unsigned c = 0; c < static_cast<unsigned>(log::Category::count_); ++c) {
        const auto name = log::name(static_cast<log::Category>(c));
        if (line + name.size() + 1 > 50) {
            out += "\n ";
            line = 1;
        }
        out += fmt::format(" {}", name);
        line += name.size() + 1;
    }
    return out;
}

// The option table of aie4emu. `set` maps each config-file key to its option, so that the
// command line wins over the config file.
struct Parser {
    CLI::App app{"One aie4emu process is one emulated AMD AIE4 NPU (npu3). It serves each PCI function on\n"
                 "its own vfio-user socket: DIR/pf.sock, DIR/vf0.sock, ..., and a JSON control socket\n"
                 "DIR/control.sock (see aie4ctl). QEMU attaches a function with vfio-user-pci; aie4-qemu\n"
                 "does that for you from '-device aie4'.",
                 "aie4emu"};
    std::vector<std::pair<std::string, CLI::Option*>> keys;
    uint8_t revision = 0; // copied to Options::revision only when given
    bool version = false;

    explicit Parser(Options& o) {
        cli::configure(app, "usage: aie4emu --socket-dir DIR [options]");
        keys = {
            {"socket_dir", app.add_option("--socket-dir", o.socket_dir,
                                          "folder for the sockets, aie4emu.pid and aie4emu.lock (created if missing)")
                               ->type_name("DIR")},
            {"vfs", cli::add_number(app, "--vfs", o.vfs, 0u, kMaxVfs,
                                    "VFs enabled at start (default 1, at most --total-vfs)")},
            {"total_vfs", cli::add_number(app, "--total-vfs", o.total_vfs, 1u, kMaxVfs,
                                          fmt::format("SR-IOV TotalVFs of the PF (default 4, at most {})", kMaxVfs))},
            {"columns", cli::add_number(app, "--columns", o.columns, kColumnsPerVf, kMaxColumns,
                                        fmt::format("array columns (default 12; each VF partition takes {})",
                                                    kColumnsPerVf))},
            {"identity", app.add_option("--identity", o.identity, identity_help())->type_name("ID")},
            {"log", app.add_option("--log", o.log, log_help())->type_name("CATS")},
            {"trap_all", app.add_flag("--trap-all", o.trap_all,
                                      "offer no mmap-able BAR areas: every guest access traps (slower,\n"
                                      "but traces show every SRAM access)")},
            {"umq_mirror", app.add_flag_callback("--no-umq-mirror", [&o] { o.umq_mirror = false; },
                                                 "do not bridge XRT 2.25's 128-byte queue header for the 7.3.4\n"
                                                 "kernel (shows the WAIT_CMD mismatch; docs/user-guide.md)")},
            {"array_trace", app.add_option("--array-trace", o.array_trace,
                                           "write a Perfetto/Chrome trace of array activity on exit")
                                ->type_name("FILE")},
            {"vf_shares", app.add_option_function<std::string>(
                              "--vf-share",
                              [&o](const std::string& text) {
                                  try {
                                      o.vf_shares = parse_shares(text);
                                  } catch (const std::invalid_argument& e) {
                                      throw CLI::ValidationError("--vf-share", e.what());
                                  }
                              },
                              "CERT's per-VF share, VF0 first, e.g. 2,1 (default 1 each): packets\n"
                              "a VF may start per CERT turn (docs/architecture.md)")
                              ->type_name("LIST")},
            {"vf_memory_limit_mib", cli::add_number(app, "--vf-memory-limit", o.vf_memory_limit_mib, 1u, kMaxVfMemoryMib,
                                                    "host memory CERT may hold for one VF's command, MiB (default 64)")},
        };
        app.add_option("--config", o.config_file, "JSON file with the same settings (command line wins)")
            ->type_name("FILE");
        // Repeatable; each spec is checked here, so a bad one is refused before anything starts.
        app.add_option("--fault", o.faults,
                       "arm a fault at start (repeatable; the same as 'aie4ctl fault kind=KIND\n"
                       "key=value...'; docs/driver-development.md). Kinds:\n" + faults::help())
            ->type_name("KIND[:key=value...]")
            ->check(CLI::Validator(
                [](std::string& spec) {
                    try {
                        faults::parse_spec(spec);
                        return std::string();
                    } catch (const std::invalid_argument& e) {
                        return std::string(e.what());
                    }
                },
                "KIND[:key=value...]"));
        keys.emplace_back("revision", cli::add_number(app, "--revision", revision, uint8_t{0}, uint8_t{255},
                                                      "TEST KNOB: report revision N instead of 0x10 (the driver "
                                                      "refuses it)"));
        app.add_flag("--version", version, "print the version and exit");
        app.footer("DIR holds one live aie4emu at a time (an exclusive lock on DIR/aie4emu.lock): another\n"
                   "one started on it exits with status 3, naming the holder's pid, and touches nothing.\n"
                   "On exit aie4emu removes only the sockets it created; a dead one's leftovers are\n"
                   "removed by the next start. Exit status: 0 after a signal or 'shutdown', 1 on an\n"
                   "error, 2 for bad options, 3 when DIR is in use.");
    }
    [[nodiscard]] std::vector<std::string> set_on_command_line() const {
        std::vector<std::string> out;
        for (const auto& [key, opt] : keys)
            if (opt->count() > 0)
                out.push_back(key);
        return out;
    }
};

} // namespace

std::string identity_names() {
    std::string out;
    for (const auto& id : npu3::identities())
        out += (out.empty() ? "" : " or ") + std::string(id.name);
    return out;
}

std::string usage_text() {
    Options o;
    Parser p(o);
    return p.app.help();
}

Options parse_options(int argc, const char* const* argv, bool& help, bool& version) {
    Options o;
    help = version = false;
    Parser p(o);
    try {
        p.app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        help = true;
        return o;
    } catch (const CLI::ParseError& e) {
        throw std::invalid_argument(e.what());
    }
    version = p.version;
    if (version)
        return o;
    if (p.keys.back().second->count() > 0)
        o.revision = p.revision;
    if (!o.config_file.empty()) {
        std::ifstream in(o.config_file);
        if (!in)
            throw std::invalid_argument(fmt::format("cannot read config file {}", o.config_file));
        std::stringstream text;
        text << in.rdbuf();
        apply_config_text(o, text.str(), o.config_file, p.set_on_command_line());
    }
    if (o.socket_dir.empty())
        throw std::invalid_argument("--socket-dir is required (see --help)");
    check(o);
    return o;
}

void apply_config_text(Options& o, const std::string& text, const std::string& origin,
                       const std::vector<std::string>& cli) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec)
        throw std::invalid_argument(fmt::format("{}: not valid JSON: {}", origin, ec.message()));
    if (!doc.is_object())
        throw std::invalid_argument(fmt::format("{}: the config must be a JSON object", origin));
    auto from_cli = [&](const std::string& key) { return std::find(cli.begin(), cli.end(), key) != cli.end(); };
    auto bad = [&](const std::string& key, const char* want) {
        return std::invalid_argument(fmt::format("{}: \"{}\" must be {}", origin, key, want));
    };
    auto number = [&](const std::string& key, const json::value& v, unsigned lo, unsigned hi) {
        if (!v.is_int64() || v.as_int64() < lo || v.as_int64() > hi)
            throw bad(key, fmt::format("an integer from {} to {}", lo, hi).c_str());
        return static_cast<unsigned>(v.as_int64());
    };
    for (const auto& [k, v] : doc.as_object()) {
        const std::string key(k);
        if (from_cli(key))
            continue;
        if (key == "socket_dir") {
            if (!v.is_string()) throw bad(key, "a string");
            o.socket_dir = std::string(v.as_string());
        } else if (key == "vfs") {
            o.vfs = number(key, v, 0, kMaxVfs);
        } else if (key == "total_vfs") {
            o.total_vfs = number(key, v, 1, kMaxVfs);
        } else if (key == "columns") {
            o.columns = number(key, v, kColumnsPerVf, kMaxColumns);
        } else if (key == "identity") {
            if (!v.is_string()) throw bad(key, identity_names().c_str());
            o.identity = std::string(v.as_string());
        } else if (key == "vf_memory_limit_mib") {
            o.vf_memory_limit_mib = number(key, v, 1, kMaxVfMemoryMib);
        } else if (key == "vf_shares") {
            if (!v.is_array() || v.as_array().size() > kMaxVfs)
                throw bad(key, fmt::format("an array of at most {} integers", kMaxVfs).c_str());
            o.vf_shares.clear();
            for (const auto& e : v.as_array())
                o.vf_shares.push_back(number(key, e, 1, kMaxShare));
        } else if (key == "log") {
            if (!v.is_string()) throw bad(key, "a string");
            o.log = std::string(v.as_string());
        } else if (key == "trap_all") {
            if (!v.is_bool()) throw bad(key, "true or false");
            o.trap_all = v.as_bool();
        } else if (key == "umq_mirror") {
            if (!v.is_bool()) throw bad(key, "true or false");
            o.umq_mirror = v.as_bool();
        } else if (key == "array_trace") {
            if (!v.is_string()) throw bad(key, "a string");
            o.array_trace = std::string(v.as_string());
        } else {
            throw std::invalid_argument(fmt::format("{}: unknown key \"{}\"", origin, key));
        }
    }
}

} // namespace aie4emu
