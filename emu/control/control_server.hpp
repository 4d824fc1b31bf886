// The JSON control socket of aie4emu (docs/architecture.md "Observability").
//
// Protocol: one JSON object per line in each direction over a UNIX stream
// socket. A request names a command, {"cmd": "status"}, plus arguments; the
// reply is {"ok": true, ...} or {"ok": false, "error": "..."}. Several
// clients may be connected at once; each line is handled on the simulation
// thread (the io_context the server runs on), so handlers see a consistent
// device. Bad input (not JSON, no "cmd", unknown command, oversized line)
// gets an error reply; it never stops the server.
#pragma once

#include "emu/socket_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <stdexcept>
#include <map>
#include <memory>
#include <string>

namespace aie4emu::control {

// Thrown by a handler to answer {"ok": false, "error": what()}.
struct CommandError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ControlServer {
public:
    // A handler gets the request object and returns the reply fields
    // ("ok": true is added).
    using Handler = std::function<boost::json::object(const boost::json::object& request)>;

    ControlServer(boost::asio::io_context& io, std::string socket_path);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // `help` is shown by the built-in "help" command.
    void add_command(const std::string& name, std::string help, Handler handler);

    void start();
    void stop();

    // Handle one request line and return the reply line (no newline); used
    // by the socket path and directly by tests.
    [[nodiscard]] std::string handle_line(const std::string& line);

    static constexpr size_t kMaxLineBytes = 64 * 1024;
    // What request() accepts back: a whole trace (65,536 records) or CERT's command history
    // fits with room to spare.
    static constexpr size_t kMaxReplyBytes = 64u * 1024 * 1024;

private:
    struct Session;
    void accept_next();

    boost::asio::io_context& io_;
    std::string path_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    struct Command {
        std::string help;
        Handler handler;
    };
    std::map<std::string, Command> commands_;
    bool running_ = false;
    socket_dir::BoundFile bound_file_; // the socket file bind() created; only it is unlinked
};

// Blocking client used by aie4ctl and tests: sends one request, returns the
// parsed reply. Throws std::runtime_error when the socket cannot be reached.
boost::json::value request(const std::string& socket_path, const boost::json::object& req,
                           int timeout_ms = 10000);

} // namespace aie4emu::control
