#include "emu/vfio_user/transport.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace aie4emu::vfio_user {

namespace asio = boost::asio;
namespace p = proto;

// ---- MessageReader ---------------------------------------------------------

void MessageReader::reset() {
    hdr_got_ = 0;
    have_hdr_ = false;
    body_size_ = 0;
    body_got_ = 0;
    cur_ = Message{};
}

MessageReader::Status MessageReader::read(int fd, Message& msg, std::string& why) {
    for (;;) {
        uint8_t* dst;
        size_t want;
        if (!have_hdr_) {
            dst = hdr_bytes_ + hdr_got_;
            want = sizeof(p::Header) - hdr_got_;
        } else {
            want = body_size_ - body_got_;
            if (want == 0) {
                msg = std::move(cur_);
                reset();
                return Status::kMessage;
            }
            // The body buffer grows with what arrives, 64 KiB at a time, not at once to the
            // size the header announces (up to 1 MiB that a client may never send).
            constexpr size_t kBodyChunk = 64 * 1024;
            if (body_got_ == cur_.payload.size())
                cur_.payload.resize(body_got_ + std::min(want, kBodyChunk));
            want = cur_.payload.size() - body_got_;
            dst = cur_.payload.data() + body_got_;
        }
        iovec iov{dst, want};
        // Room for more fds than we accept, so "too many" is reported
        // as such rather than silently truncated.
        alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * limits::kMaxMsgFds * 2)];
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        ssize_t n = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return Status::kAgain;
            why = fmt::format("recvmsg: {}", std::strerror(errno));
            return Status::kFatal;
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            const auto* fds = reinterpret_cast<const unsigned char*>(CMSG_DATA(c));
            for (size_t i = 0; i < count; ++i) {
                int rfd;
                std::memcpy(&rfd, fds + i * sizeof(int), sizeof(int));
                cur_.fds.push(rfd);
            }
        }
        if (mh.msg_flags & MSG_CTRUNC)
            cur_.fds_truncated = true;
        if (n == 0) {
            why = (hdr_got_ || have_hdr_) ? "peer closed mid-message" : "peer closed";
            return Status::kClosed;
        }
        if (!have_hdr_) {
            hdr_got_ += static_cast<size_t>(n);
            if (hdr_got_ < sizeof(p::Header))
                continue;
            std::memcpy(&cur_.hdr, hdr_bytes_, sizeof(p::Header));
            const uint32_t size = cur_.hdr.size;
            if (size < sizeof(p::Header)) {
                why = fmt::format("message size {} is smaller than the header", size);
                return Status::kFatal;
            }
            if (size > limits::kMaxMessageSize) {
                why = fmt::format("message size {} exceeds the limit {}", size, limits::kMaxMessageSize);
                return Status::kFatal;
            }
            body_size_ = size - sizeof(p::Header);
            have_hdr_ = true;
        } else {
            body_got_ += static_cast<size_t>(n);
        }
    }
}

// ---- MessageWriter ---------------------------------------------------------

bool MessageWriter::queue(std::vector<uint8_t> bytes, const std::vector<int>& fds) {
    OutMsg o;
    o.bytes = std::move(bytes);
    for (int fd : fds) {
        int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (d < 0) {
            for (int& x : o.fds)
                close_fd(x);
            return false;
        }
        o.fds.push_back(d);
    }
    out_bytes_ += o.bytes.size();
    out_.push_back(std::move(o));
    return true;
}

MessageWriter::Status MessageWriter::flush(int fd, std::string& why) {
    while (!out_.empty()) {
        OutMsg& o = out_.front();
        iovec iov{o.bytes.data() + o.sent, o.bytes.size() - o.sent};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        std::vector<char> cbuf;
        if (o.sent == 0 && !o.fds.empty()) {
            cbuf.assign(CMSG_SPACE(sizeof(int) * o.fds.size()), 0);
            mh.msg_control = cbuf.data();
            mh.msg_controllen = cbuf.size();
            cmsghdr* c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * o.fds.size());
            std::memcpy(CMSG_DATA(c), o.fds.data(), sizeof(int) * o.fds.size());
        }
        ssize_t n = ::sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return Status::kAgain;
            why = fmt::format("sendmsg: {}", std::strerror(errno));
            return Status::kFailed;
        }
        for (int& x : o.fds) // the kernel holds its own references now
            close_fd(x);
        o.fds.clear();
        o.sent += static_cast<size_t>(n);
        out_bytes_ -= static_cast<size_t>(n);
        if (o.sent == o.bytes.size())
            out_.pop_front();
    }
    return Status::kEmpty;
}

void MessageWriter::clear() {
    for (auto& o : out_)
        for (int& fd : o.fds)
            close_fd(fd);
    out_.clear();
    out_bytes_ = 0;
}

// ---- Transport: listening ----------------------------------------------------

Transport::Transport(asio::io_context& io, std::string socket_path, std::string name, Events& events)
    : io_(io), path_(std::move(socket_path)), name_(std::move(name)), events_(events), acceptor_(io),
      retry_timer_(io) {}

Transport::~Transport() = default;

void Transport::start() {
    if (listening_)
        return;
    socket_dir::remove_stale_socket(path_); // a killed run's; aie4emu holds the folder's lock
    acceptor_.open(stream());
    acceptor_.bind(stream::endpoint(path_));
    bound_file_ = socket_dir::identify(path_);
    acceptor_.listen();
    listening_ = true;
    vlog(name_, "listening on {}", path_);
    accept_next();
}

void Transport::stop() {
    const bool was_listening = listening_;
    listening_ = false;
    boost::system::error_code ec;
    retry_timer_.cancel();
    acceptor_.close(ec);
    accept_pending_ = false;
    if (sock_)
        teardown("server stopped");
    // Only the file bound here: the path may now be another emulator's socket.
    socket_dir::remove_if_ours(path_, bound_file_);
    bound_file_ = {};
    if (was_listening)
        vlog(name_, "stopped");
}

void Transport::accept_next() {
    if (!listening_ || sock_ || accept_pending_)
        return;
    accept_pending_ = true;
    auto self = shared_from_this();
    acceptor_.async_accept([self](boost::system::error_code ec, stream::socket s) {
        self->accept_pending_ = false;
        if (!self->listening_)
            return;
        if (ec) {
            if (ec == asio::error::operation_aborted)
                return;
            vlog(self->name_, "accept failed: {}; retrying", ec.message());
            self->retry_timer_.expires_after(std::chrono::milliseconds(100));
            self->retry_timer_.async_wait([self](boost::system::error_code tec) {
                if (!tec)
                    self->accept_next();
            });
            return;
        }
        if (self->sock_) { // serve() took the slot while this accept was pending
            vlog(self->name_, "refusing a second client while one is connected");
            boost::system::error_code cec;
            s.close(cec);
            return;
        }
        self->begin_session(std::move(s));
    });
}

void Transport::serve(stream::socket s) {
    if (sock_) {
        vlog(name_, "refusing a second client while one is connected");
        boost::system::error_code ec;
        s.close(ec);
        return;
    }
    begin_session(std::move(s));
}

void Transport::begin_session(stream::socket s) {
    sock_ = std::make_unique<stream::socket>(std::move(s));
    boost::system::error_code ec;
    sock_->non_blocking(true, ec);
    if (ec) {
        vlog(name_, "cannot make the client socket non-blocking: {}", ec.message());
        sock_->close(ec);
        sock_.reset();
        accept_next();
        return;
    }
    ++gen_;
    disconnect_pending_ = false;
    read_armed_ = write_armed_ = drain_posted_ = read_paused_ = false;
    reader_.reset();
    ++st_.connections;
    st_.connected = true;
    vlog(name_, "client connected");
    events_.on_connected();
    arm_read();
}

// The teardown runs from the io_context, never inside a call the function
// is making into the server.
void Transport::drop(std::string_view why) {
    if (!sock_ || disconnect_pending_)
        return;
    disconnect_pending_ = true;
    vlog(name_, "dropping client: {}", why);
    auto self = shared_from_this();
    asio::post(io_, [self, g = gen_] {
        if (g == self->gen_ && self->sock_)
            self->teardown("dropped");
    });
}

void Transport::disconnect(std::string_view why) { teardown(why); }

void Transport::teardown(std::string_view why) {
    if (!sock_)
        return;
    boost::system::error_code ec;
    sock_->close(ec);
    sock_.reset();
    ++gen_;
    deferred_.clear();
    deferred_bytes_ = 0;
    writer_.clear();
    reader_.reset();
    disconnect_pending_ = false;
    st_.connected = false;
    ++st_.disconnects;
    events_.on_disconnected(why);
    accept_next();
}

// ---- Transport: reading ------------------------------------------------------

// One wait at a time per direction (`armed`); a wait from an earlier
// connection finds another `gen_` and does nothing.
void Transport::wait_then(stream::socket::wait_type what, bool Transport::*armed, void (Transport::*then)()) {
    this->*armed = true;
    auto self = shared_from_this();
    sock_->async_wait(what, [self, g = gen_, armed, then](boost::system::error_code ec) {
        if (g != self->gen_ || !self->sock_)
            return;
        (*self).*armed = false;
        if (ec) {
            self->drop(fmt::format("wait: {}", ec.message()));
            return;
        }
        ((*self).*then)();
    });
}

void Transport::arm_read() {
    if (read_armed_ || !sock_ || disconnect_pending_)
        return;
    wait_then(stream::socket::wait_read, &Transport::read_armed_, &Transport::on_readable);
}

void Transport::post_drain() {
    if (drain_posted_ || !sock_)
        return;
    drain_posted_ = true;
    auto self = shared_from_this();
    asio::post(io_, [self, g = gen_] {
        if (g != self->gen_ || !self->sock_)
            return;
        self->drain_posted_ = false;
        self->on_readable();
    });
}

// Handle what is available; yield to other io_context work after a batch so
// one busy client cannot starve the other servers.
void Transport::on_readable() {
    constexpr int kBatch = 64;
    for (int i = 0; i < kBatch; ++i) {
        if (!sock_ || disconnect_pending_)
            return;
        if (writer_.queued_bytes() > limits::kMaxQueuedReplyBytes) {
            read_paused_ = true; // flush() resumes us when the client reads its replies
            return;
        }
        if (!deferred_.empty()) {
            Message m = std::move(deferred_.front());
            deferred_.pop_front();
            deferred_bytes_ -= m.payload.size() + sizeof(p::Header);
            events_.on_message(m);
            continue;
        }
        Message m;
        std::string why;
        switch (reader_.read(sock_->native_handle(), m, why)) {
        case MessageReader::Status::kMessage:
            events_.on_message(m);
            break;
        case MessageReader::Status::kAgain:
            arm_read();
            return;
        case MessageReader::Status::kClosed:
            drop(why);
            return;
        case MessageReader::Status::kFatal:
            ++st_.protocol_disconnects;
            ++st_.framing_errors;
            drop(why);
            return;
        }
    }
    post_drain();
}

// ---- Transport: writing ------------------------------------------------------

bool Transport::send(std::vector<uint8_t> bytes, const std::vector<int>& fds) {
    if (!sock_ || disconnect_pending_)
        return true; // nobody to send to; not the caller's error
    if (!writer_.queue(std::move(bytes), fds))
        return false;
    flush();
    return true;
}

void Transport::flush() {
    if (!sock_ || disconnect_pending_)
        return;
    std::string why;
    switch (writer_.flush(sock_->native_handle(), why)) {
    case MessageWriter::Status::kAgain:
        arm_write();
        return;
    case MessageWriter::Status::kFailed:
        drop(why);
        return;
    case MessageWriter::Status::kEmpty:
        break;
    }
    if (read_paused_ && writer_.queued_bytes() <= limits::kMaxQueuedReplyBytes) {
        read_paused_ = false;
        post_drain();
    }
}

void Transport::arm_write() {
    if (write_armed_ || !sock_)
        return;
    wait_then(stream::socket::wait_write, &Transport::write_armed_, &Transport::flush);
}

// ---- Transport: the server's own requests ------------------------------------

bool Transport::wait_fd(short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            return false;
        pollfd pfd{sock_->native_handle(), events, 0};
        int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

Transport::Exchange Transport::exchange(std::vector<uint8_t> request, std::chrono::steady_clock::time_point deadline,
                                        Message& reply) {
    constexpr size_t kMaxDeferredBytes = 16u << 20;
    if (!sock_ || disconnect_pending_ || request.size() < sizeof(p::Header))
        return Exchange::kGone;
    p::Header sent;
    std::memcpy(&sent, request.data(), sizeof(sent));
    (void)send(std::move(request)); // no fds: cannot fail
    while (!writer_.empty() && sock_ && !disconnect_pending_) {
        if (!wait_fd(POLLOUT, deadline))
            return Exchange::kSendStalled;
        flush();
    }
    // Read until the reply arrives. Requests that arrive first are queued
    // for on_readable(); their size is bounded.
    for (;;) {
        if (!sock_ || disconnect_pending_)
            return Exchange::kGone;
        Message m;
        std::string why;
        switch (reader_.read(sock_->native_handle(), m, why)) {
        case MessageReader::Status::kMessage: {
            const bool is_reply = (m.hdr.flags & p::kFlagTypeMask) == p::kFlagTypeReply;
            if (is_reply && m.hdr.id == sent.id && m.hdr.command == sent.command) {
                reply = std::move(m);
                return Exchange::kReply;
            }
            if (is_reply) {
                vlog(name_, "dropping an unexpected reply (id {}, {})", m.hdr.id, command_name(m.hdr.command));
                continue;
            }
            deferred_bytes_ += m.payload.size() + sizeof(p::Header);
            deferred_.push_back(std::move(m));
            post_drain();
            if (deferred_bytes_ > kMaxDeferredBytes) {
                ++st_.protocol_disconnects;
                drop("too many requests queued during message DMA");
                return Exchange::kGone;
            }
            continue;
        }
        case MessageReader::Status::kAgain:
            if (!wait_fd(POLLIN, deadline))
                return Exchange::kNoReply;
            continue;
        case MessageReader::Status::kClosed:
        case MessageReader::Status::kFatal:
            drop(why);
            return Exchange::kGone;
        }
    }
}

} // namespace aie4emu::vfio_user
