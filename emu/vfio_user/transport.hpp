// The transport piece of the vfio-user server: everything that touches the
// UNIX socket and nothing that knows what a command means.
//
// It owns the listening socket (bind, accept, one client at a time, retry
// after a failed accept, unlinking only the socket file it bound), the
// connected socket, message framing (a header first, its size checked
// before any payload is read), sending and receiving with file descriptors
// (received fds belong to the Message and close with it unless a handler
// takes them; sent fds are duplicated and closed once the kernel holds
// them), flow control (no reading while too many reply bytes wait), and the
// server's own requests to the client (exchange(): send one request and
// block until its reply, holding back requests that arrive meanwhile).
//
// Why apart: framing and fd ownership are where a hostile client attacks
// first, and they can be checked here over a socketpair without any
// device, command table or DMA behind them.
//
// MessageReader and MessageWriter are the framing and sending halves on a
// plain non-blocking fd (no io_context); Transport drives them from the
// io_context and reports sessions and messages to its Events.
#pragma once

#include "emu/socket_dir.hpp"
#include "emu/vfio_user/message.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aie4emu::vfio_user {

// Reads one message at a time. Reads never cross the end of the current
// message, so fds that arrive always belong to the message being read.
class MessageReader {
public:
    enum class Status { kMessage, kAgain, kClosed, kFatal };

    // Read until one whole message is in (kMessage, moved into `msg`), or
    // the socket has nothing more (kAgain; the partial message is kept).
    // kClosed: the peer hung up; kFatal: a size below the header or above
    // kMaxMessageSize, or a socket error. `why` says which.
    Status read(int fd, Message& msg, std::string& why);
    void reset();

private:
    uint8_t hdr_bytes_[sizeof(proto::Header)] = {};
    size_t hdr_got_ = 0;
    bool have_hdr_ = false;
    size_t body_size_ = 0;   // what the header announces; cur_.payload grows towards it
    size_t body_got_ = 0;
    Message cur_;
};

// Messages waiting to be sent, with the fds that go with them.
class MessageWriter {
public:
    enum class Status { kEmpty, kAgain, kFailed };

    MessageWriter() = default;
    ~MessageWriter() { clear(); }
    MessageWriter(const MessageWriter&) = delete;
    MessageWriter& operator=(const MessageWriter&) = delete;

    // Queue a message; `fds` are borrowed and duplicated here. False (and
    // nothing queued) if a duplicate could not be made.
    [[nodiscard]] bool queue(std::vector<uint8_t> bytes, const std::vector<int>& fds = {});
    // Send what the socket takes: kEmpty once everything is out, kAgain when
    // the socket is full, kFailed (with `why`) on a socket error.
    Status flush(int fd, std::string& why);
    // Drop everything queued, closing the duplicated fds.
    void clear();

    [[nodiscard]] bool empty() const { return out_.empty(); }
    [[nodiscard]] size_t queued_bytes() const { return out_bytes_; }

private:
    struct OutMsg {
        std::vector<uint8_t> bytes;
        size_t sent = 0;
        std::vector<int> fds; // dup()ed, ours; closed once sent
    };
    std::deque<OutMsg> out_;
    size_t out_bytes_ = 0;
};

struct TransportStats {
    uint64_t connections = 0;          // clients accepted so far
    uint64_t disconnects = 0;
    uint64_t protocol_disconnects = 0; // clients dropped for unrecoverable input
    uint64_t framing_errors = 0;       // unrecoverable input while reading requests
    bool connected = false;
};

class Transport : public std::enable_shared_from_this<Transport> {
public:
    using stream = boost::asio::local::stream_protocol;

    // What the transport tells its owner. Called on the io_context only.
    class Events {
    public:
        virtual ~Events() = default;
        // A client is connected (before its first message is read).
        virtual void on_connected() = 0;
        // A whole message arrived (a request, or a reply nobody waits for).
        // Its fds close when it is destroyed unless taken.
        virtual void on_message(Message& m) = 0;
        // The client's socket is closed; the transport is ready for the next.
        virtual void on_disconnected(std::string_view why) = 0;
    };

    enum class Exchange {
        kReply,       // the reply arrived
        kGone,        // no client, or it was dropped meanwhile
        kSendStalled, // the client did not read the request before the deadline
        kNoReply,     // no reply before the deadline
    };

    // `events` must outlive every call into it: after stop() none is made.
    Transport(boost::asio::io_context& io, std::string socket_path, std::string name, Events& events);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Bind (replacing a stale socket file) and listen. Throws
    // boost::system::system_error when the path cannot be bound.
    void start();
    // Disconnect the client, stop listening, remove the socket file. Idempotent.
    void stop();
    // Serve an already-connected socket as the client. Refused (closed,
    // logged) while a client is connected.
    void serve(stream::socket connected);

    // Drop the client from the io_context, never inside the current call.
    void drop(std::string_view why);
    // Close the client's socket now.
    void disconnect(std::string_view why);

    [[nodiscard]] bool connected() const { return sock_ != nullptr; }

    // Queue a message to the client and start sending it. True when there
    // is nobody to send to (not the caller's error); false if an fd could
    // not be duplicated.
    [[nodiscard]] bool send(std::vector<uint8_t> bytes, const std::vector<int>& fds = {});

    // Send `request` (a whole message whose header has the request's id and
    // command) and block until the client's reply with that id and command,
    // or `deadline`. Requests that arrive meanwhile are kept and delivered to
    // on_message afterwards (the client is dropped if they pile up); other
    // replies are dropped.
    Exchange exchange(std::vector<uint8_t> request, std::chrono::steady_clock::time_point deadline,
                      Message& reply);

    [[nodiscard]] TransportStats stats() const { return st_; }
    [[nodiscard]] const std::string& socket_path() const { return path_; }

private:
    void accept_next();
    void begin_session(stream::socket s);
    void teardown(std::string_view why);
    void wait_then(stream::socket::wait_type what, bool Transport::*armed, void (Transport::*then)());
    void arm_read();
    void arm_write();
    void post_drain();
    void on_readable();
    void flush();
    bool wait_fd(short events, std::chrono::steady_clock::time_point deadline);

    boost::asio::io_context& io_;
    std::string path_;
    std::string name_;
    Events& events_;
    stream::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    bool listening_ = false;
    bool accept_pending_ = false;
    socket_dir::BoundFile bound_file_; // the socket file bind() created; only it is unlinked

    // The connection. `gen_` changes on every connect/disconnect so stale
    // completion handlers recognise themselves.
    std::unique_ptr<stream::socket> sock_;
    uint64_t gen_ = 0;
    bool disconnect_pending_ = false;
    bool read_armed_ = false;
    bool write_armed_ = false;
    bool drain_posted_ = false;
    bool read_paused_ = false; // too many reply bytes queued: not reading requests

    MessageReader reader_;
    MessageWriter writer_;
    std::deque<Message> deferred_; // requests that arrived during exchange()
    size_t deferred_bytes_ = 0;
    TransportStats st_;
};

} // namespace aie4emu::vfio_user
