// aie4ctl: talk to a running aie4emu over its control socket.
//   aie4ctl [--socket-dir DIR | --socket PATH] COMMAND [key=value ...]
// Values that parse as integers or true/false are sent as such.
#include "emu/control/control_server.hpp"
#include "emu/parse_number.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace json = boost::json;

namespace {

json::value parse_scalar(std::string_view text) {
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    if (auto v = aie4emu::parse_number<int64_t>(text))
        return *v;
    return json::string(text);
}

int usage(int rc) {
    fmt::print(rc ? stderr : stdout,
               "usage: aie4ctl [--socket-dir DIR | --socket PATH] COMMAND [key=value ...]\n"
               "Sends one command to a running aie4emu and prints its JSON reply.\n"
               "The socket defaults to $AIE4EMU_SOCKET_DIR/control.sock.\n"
               "'aie4ctl help' lists the commands the emulator knows.\n");
    return rc;
}

} // namespace

int main(int argc, char** argv) {
    std::string socket;
    if (const char* dir = std::getenv("AIE4EMU_SOCKET_DIR"))
        socket = std::string(dir) + "/control.sock";
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "-h" || a == "--help")
            return usage(0);
        if ((a == "--socket-dir" || a == "--socket") && i + 1 < argc) {
            socket = a == "--socket" ? std::string(argv[i + 1]) : std::string(argv[i + 1]) + "/control.sock";
            ++i;
            continue;
        }
        break;
    }
    if (i >= argc || socket.empty())
        return usage(2);
    json::object req{{"cmd", argv[i++]}};
    for (; i < argc; ++i) {
        std::string_view kv = argv[i];
        auto eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            fmt::print(stderr, "aie4ctl: argument '{}' is not key=value\n", kv);
            return 2;
        }
        req[kv.substr(0, eq)] = parse_scalar(kv.substr(eq + 1));
    }
    try {
        json::value reply = aie4emu::control::request(socket, req);
        fmt::print("{}\n", json::serialize(reply));
        const auto* ok = reply.is_object() ? reply.as_object().if_contains("ok") : nullptr;
        return ok && ok->is_bool() && ok->as_bool() ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "aie4ctl: {}\n", e.what());
        return 3;
    }
}
