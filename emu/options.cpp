#include "emu/options.hpp"
#include "emu/parse_number.hpp"

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

constexpr unsigned kMaxVfs = 7;        // VFs at functions 1..7 without ARI (interface doc §1.6)
constexpr unsigned kColumnsPerVf = 3;  // amdxdna aie4_pci.c AIE4_TOTAL_COLUMN
constexpr unsigned kMaxColumns = 64;
constexpr unsigned kMaxShare = 64;     // [ours] packets a VF may start per CERT turn
constexpr unsigned kMaxVfMemoryMib = 4096;

unsigned parse_unsigned(std::string_view what, std::string_view text, unsigned lo, unsigned hi) {
    auto v = parse_number<unsigned>(text);
    if (!v || *v < lo || *v > hi)
        throw std::invalid_argument(fmt::format("{} must be a number from {} to {}, not '{}'", what, lo, hi, text));
    return *v;
}

// "2,1,1": one share per VF, VF0 first.
std::vector<unsigned> parse_shares(std::string_view what, std::string_view text) {
    std::vector<unsigned> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        out.push_back(parse_unsigned(what, text.substr(pos, comma - pos), 1, kMaxShare));
        pos = comma + 1;
    }
    if (out.size() > kMaxVfs)
        throw std::invalid_argument(fmt::format("{} lists {} shares; there are at most {} VFs", what, out.size(), kMaxVfs));
    return out;
}

void check(const Options& o) {
    if (o.vfs > o.total_vfs)
        throw std::invalid_argument(fmt::format("--vfs {} exceeds --total-vfs {}", o.vfs, o.total_vfs));
    if (o.total_vfs * kColumnsPerVf > o.columns)
        throw std::invalid_argument(fmt::format(
            "{} columns cannot hold {} VF partitions of {} columns: raise --columns or lower --total-vfs",
            o.columns, o.total_vfs, kColumnsPerVf));
    if (o.identity != "17f2" && o.identity != "1b0b")
        throw std::invalid_argument(fmt::format("--identity must be 17f2 or 1b0b, not '{}'", o.identity));
}

} // namespace

std::string usage_text() {
    return fmt::format(
        "usage: aie4emu --socket-dir DIR [options]\n"
        "One aie4emu process is one emulated AMD AIE4 NPU (npu3). It serves each PCI function on\n"
        "its own vfio-user socket: DIR/pf.sock, DIR/vf0.sock, ..., and a JSON control socket\n"
        "DIR/control.sock (see aie4ctl). QEMU attaches a function with vfio-user-pci; aie4-qemu\n"
        "does that for you from '-device aie4'.\n"
        "\n"
        "options:\n"
        "  --socket-dir DIR   folder for the sockets and aie4emu.pid (created if missing)\n"
        "  --vfs N            VFs enabled at start (default 1, at most --total-vfs)\n"
        "  --total-vfs N      SR-IOV TotalVFs of the PF (default 4, at most {})\n"
        "  --columns N        array columns (default 12; each VF partition takes {})\n"
        "  --identity ID      17f2 (default: PF 1022:17f2, VF 1022:17f3) or 1b0b (PF 1022:1b0b,\n"
        "                     VF 1022:1b0c); both revision 0x10. See docs/user-guide.md.\n"
        "  --config FILE      JSON file with the same settings (command line wins)\n"
        "  --log CATS         log categories: comma list or 'all' (vfio,pcie,mailbox,psp,smu,\n"
        "                     cert,dma,lock,core,control)\n"
        "  --trap-all         offer no mmap-able BAR areas: every guest access traps (slower,\n"
        "                     but traces show every SRAM access)\n"
        "  --no-umq-mirror    do not bridge XRT 2.25's 128-byte queue header for the 7.3.4\n"
        "                     kernel (shows the WAIT_CMD mismatch; docs/user-guide.md)\n"
        "  --array-trace FILE write a Perfetto/Chrome trace of array activity on exit\n"
        "  --vf-share LIST    CERT's per-VF share, VF0 first, e.g. 2,1 (default 1 each): packets\n"
        "                     a VF may start per CERT turn (docs/architecture.md)\n"
        "  --vf-memory-limit MIB  host memory CERT may hold for one VF's command (default 64)\n"
        "  --revision R       TEST KNOB: report revision R instead of 0x10 (the driver refuses it)\n"
        "  --version, --help\n",
        kMaxVfs, kColumnsPerVf);
}

Options parse_options(int argc, const char* const* argv, bool& help, bool& version) {
    Options o;
    help = version = false;
    std::vector<std::string> seen;
    auto value = [&](int& i, std::string_view flag) -> std::string {
        if (i + 1 >= argc)
            throw std::invalid_argument(fmt::format("{} needs a value", flag));
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "-h" || a == "--help") {
            help = true;
        } else if (a == "--version") {
            version = true;
        } else if (a == "--socket-dir") {
            o.socket_dir = value(i, a);
            seen.emplace_back("socket_dir");
        } else if (a == "--vfs") {
            o.vfs = parse_unsigned("--vfs", value(i, a), 0, kMaxVfs);
            seen.emplace_back("vfs");
        } else if (a == "--total-vfs") {
            o.total_vfs = parse_unsigned("--total-vfs", value(i, a), 1, kMaxVfs);
            seen.emplace_back("total_vfs");
        } else if (a == "--columns") {
            o.columns = parse_unsigned("--columns", value(i, a), kColumnsPerVf, kMaxColumns);
            seen.emplace_back("columns");
        } else if (a == "--identity") {
            o.identity = value(i, a);
            seen.emplace_back("identity");
        } else if (a == "--revision") {
            o.revision = static_cast<uint8_t>(parse_unsigned("--revision", value(i, a), 0, 255));
            seen.emplace_back("revision");
        } else if (a == "--config") {
            o.config_file = value(i, a);
        } else if (a == "--log") {
            o.log = value(i, a);
            seen.emplace_back("log");
        } else if (a == "--trap-all") {
            o.trap_all = true;
            seen.emplace_back("trap_all");
        } else if (a == "--no-umq-mirror") {
            o.umq_mirror = false;
            seen.emplace_back("umq_mirror");
        } else if (a == "--array-trace") {
            o.array_trace = value(i, a);
            seen.emplace_back("array_trace");
        } else if (a == "--vf-share") {
            o.vf_shares = parse_shares("--vf-share", value(i, a));
            seen.emplace_back("vf_shares");
        } else if (a == "--vf-memory-limit") {
            o.vf_memory_limit_mib = parse_unsigned("--vf-memory-limit", value(i, a), 1, kMaxVfMemoryMib);
            seen.emplace_back("vf_memory_limit_mib");
        } else {
            throw std::invalid_argument(fmt::format("unknown option '{}' (see --help)", a));
        }
    }
    if (help || version)
        return o;
    if (!o.config_file.empty()) {
        std::ifstream in(o.config_file);
        if (!in)
            throw std::invalid_argument(fmt::format("cannot read config file {}", o.config_file));
        std::stringstream text;
        text << in.rdbuf();
        apply_config_text(o, text.str(), o.config_file, seen);
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
            if (!v.is_string()) throw bad(key, "\"17f2\" or \"1b0b\"");
            o.identity = std::string(v.as_string());
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
        } else if (key == "vf_memory_limit_mib") {
            o.vf_memory_limit_mib = number(key, v, 1, kMaxVfMemoryMib);
        } else if (key == "vf_shares") {
            if (!v.is_array() || v.as_array().size() > kMaxVfs)
                throw bad(key, fmt::format("an array of at most {} integers", kMaxVfs).c_str());
            o.vf_shares.clear();
            for (const auto& e : v.as_array())
                o.vf_shares.push_back(number(key, e, 1, kMaxShare));
        } else {
            throw std::invalid_argument(fmt::format("{}: unknown key \"{}\"", origin, key));
        }
    }
}

} // namespace aie4emu
