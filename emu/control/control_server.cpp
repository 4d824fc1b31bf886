#include "emu/control/control_server.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>

namespace aie4emu::control {

namespace asio = boost::asio;
namespace json = boost::json;
using stream = asio::local::stream_protocol;

struct ControlServer::Session : std::enable_shared_from_this<Session> {
    Session(ControlServer& owner, stream::socket sock) : owner(owner), socket(std::move(sock)) {}

    void read_next() {
        auto self = shared_from_this();
        asio::async_read_until(socket, in, '\n', [this, self](boost::system::error_code ec, size_t n) {
            if (ec) {
                if (ec == asio::error::not_found) // line longer than the buffer limit
                    send_and_close(R"({"ok":false,"error":"request line too long"})");
                return;
            }
            std::string line(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
            in.consume(n);
            while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
                line.pop_back();
            if (!line.empty())
                queue_reply(owner.handle_line(line));
            read_next();
        });
    }

    void queue_reply(std::string reply) {
        out.push_back(std::move(reply) + "\n");
        if (out.size() == 1)
            write_next();
    }

    void write_next() {
        auto self = shared_from_this();
        asio::async_write(socket, asio::buffer(out.front()), [this, self](boost::system::error_code ec, size_t) {
            if (ec)
                return;
            out.pop_front();
            if (!out.empty())
                write_next();
        });
    }

    void send_and_close(std::string reply) {
        auto self = shared_from_this();
        auto msg = std::make_shared<std::string>(std::move(reply) + "\n");
        asio::async_write(socket, asio::buffer(*msg), [self, msg](boost::system::error_code, size_t) {
            boost::system::error_code ignored;
            self->socket.close(ignored);
        });
    }

    ControlServer& owner;
    stream::socket socket;
    asio::streambuf in{kMaxLineBytes};
    std::deque<std::string> out;
};

ControlServer::ControlServer(asio::io_context& io, std::string socket_path)
    : io_(io), path_(std::move(socket_path)), acceptor_(io) {
    add_command("help", "list the commands", [this](const json::object&) {
        json::object cmds;
        for (const auto& [name, cmd] : commands_)
            cmds[name] = cmd.help;
        return json::object{{"commands", cmds}};
    });
}

ControlServer::~ControlServer() { stop(); }

void ControlServer::add_command(const std::string& name, std::string help, Handler handler) {
    commands_[name] = Command{std::move(help), std::move(handler)};
}

void ControlServer::start() {
    socket_dir::remove_stale_socket(path_); // a killed run's; aie4emu holds the folder's lock
    acceptor_.open(stream());
    acceptor_.bind(stream::endpoint(path_));
    bound_file_ = socket_dir::identify(path_);
    acceptor_.listen();
    running_ = true;
    accept_next();
}

void ControlServer::stop() {
    if (!running_)
        return;
    running_ = false;
    boost::system::error_code ec;
    acceptor_.close(ec);
    // Only the file bound here: the path may now be another emulator's socket.
    socket_dir::remove_if_ours(path_, bound_file_);
    bound_file_ = {};
}

void ControlServer::accept_next() {
    acceptor_.async_accept([this](boost::system::error_code ec, stream::socket sock) {
        if (!running_)
            return;
        if (!ec)
            std::make_shared<Session>(*this, std::move(sock))->read_next();
        accept_next();
    });
}

std::string ControlServer::handle_line(const std::string& line) {
    auto error = [](const std::string& what) {
        return json::serialize(json::object{{"ok", false}, {"error", what}});
    };
    boost::system::error_code ec;
    json::value req = json::parse(line, ec);
    if (ec)
        return error("request is not valid JSON: " + ec.message());
    if (!req.is_object())
        return error("request must be a JSON object");
    const auto& obj = req.as_object();
    const auto* cmd = obj.if_contains("cmd");
    if (!cmd || !cmd->is_string())
        return error("request has no string field \"cmd\"");
    const std::string name(cmd->as_string());
    auto it = commands_.find(name);
    if (it == commands_.end())
        return error("unknown command \"" + name + "\" (try \"help\")");
    try {
        json::object reply = it->second.handler(obj);
        reply["ok"] = true;
        return json::serialize(reply);
    } catch (const CommandError& e) {
        return error(e.what());
    } catch (const std::exception& e) {
        return error(name + " failed: " + e.what());
    }
}

json::value request(const std::string& socket_path, const json::object& req, int timeout_ms) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(addr.sun_path))
        throw std::runtime_error("control socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
        throw std::runtime_error(fmt::format("cannot connect to {}: {}", socket_path, std::strerror(errno)));
    std::string line = json::serialize(req) + "\n";
    for (size_t off = 0; off < line.size();) {
        ssize_t n = ::send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        if (n <= 0)
            throw std::runtime_error(fmt::format("send: {}", std::strerror(errno)));
        off += static_cast<size_t>(n);
    }
    std::string reply;
    char buf[65536];
    while (reply.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, timeout_ms);
        if (r == 0)
            throw std::runtime_error("timed out waiting for the control reply");
        if (r < 0)
            throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            throw std::runtime_error("control socket closed before replying");
        reply.append(buf, static_cast<size_t>(n));
        if (reply.size() > ControlServer::kMaxReplyBytes)
            throw std::runtime_error(fmt::format("control reply longer than {} bytes", ControlServer::kMaxReplyBytes));
    }
    reply.resize(reply.find('\n'));
    return json::parse(reply);
}

} // namespace aie4emu::control
