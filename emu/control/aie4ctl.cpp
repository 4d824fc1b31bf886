// aie4ctl: talk to a running aie4emu over its control socket.
//   aie4ctl [--socket-dir DIR | --socket PATH] COMMAND [key=value ...]
// Values that are numbers under the project's rule (cli/number.hpp) or true/false are sent as
// such; anything else as a string.
#include "cli/cli.hpp"
#include "emu/control/control_server.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;

namespace {

json::value parse_scalar(std::string_view text) {
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    if (auto v = aie4emu::cli::parse_number<int64_t>(text))
        return *v;
    return json::string(text);
}

} // namespace

int main(int argc, char** argv) {
    std::string socket_dir, socket;
    std::string command;
    std::vector<std::string> args;
    CLI::App app{"Sends one command to a running aie4emu and prints its JSON reply (exit 0 when the reply\n"
                 "has \"ok\": true, 1 when not, 3 when the socket fails). The socket defaults to\n"
                 "$AIE4EMU_SOCKET_DIR/control.sock. 'aie4ctl help' lists the commands the emulator knows.\n"
                 "Values that are numbers (decimal or 0x hex) or true/false are sent as such.",
                 "aie4ctl"};
    aie4emu::cli::configure(app, "usage: aie4ctl [--socket-dir DIR | --socket PATH] COMMAND [key=value ...]");
    app.add_option("--socket-dir", socket_dir, "the aie4emu socket folder (DIR/control.sock)")
                        ->type_name("DIR");
    app.add_option("--socket", socket, "the control socket itself (--socket-dir wins if both are given)")
        ->type_name("PATH");
    app.add_option("command", command, "control command, e.g. status, stats, trace, vfs, help")
        ->type_name("COMMAND")
        ->required();
    app.add_option("args", args, "arguments of the command, e.g. fn=vf0 count=2")->type_name("key=value");
    // Everything after COMMAND belongs to the command, even if it starts with '-'.
    app.positionals_at_end();
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    if (!socket_dir.empty())
        socket = socket_dir + "/control.sock";
    else if (socket.empty())
        if (const char* dir = std::getenv("AIE4EMU_SOCKET_DIR"))
            socket = std::string(dir) + "/control.sock";
    if (socket.empty()) {
        fmt::print(stderr, "aie4ctl: error: no socket: give --socket-dir, --socket or set AIE4EMU_SOCKET_DIR\n");
        return 2;
    }
    json::object req{{"cmd", command}};
    for (std::string_view kv : args) {
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
