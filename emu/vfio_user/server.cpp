#include "emu/vfio_user/server.hpp"

#include "emu/socket_dir.hpp"
#include "emu/vfio_user/protocol.hpp"
#include "hw/sim/internal_error.hpp"
#include "hw/sim/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace aie4emu::vfio_user {

namespace asio = boost::asio;
namespace json = boost::json;
using stream = asio::local::stream_protocol;
namespace p = proto;

namespace {

// Logging: the shared logger, category "vfio", one line per event naming
// the function. The server has no view of simulated time, so lines carry
// t=0. Formatting happens only when the category is enabled.
template <typename... Args>
void vlog(const std::string& function, fmt::format_string<Args...> f, Args&&... args) {
    if (log::on(log::Category::vfio))
        log::write(log::Category::vfio, function, 0, fmt::format(f, std::forward<Args>(args)...));
}

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// Received file descriptors: whatever is not taken is closed.
class FdList {
public:
    FdList() = default;
    ~FdList() { reset(); }
    FdList(FdList&& o) noexcept : fds_(std::move(o.fds_)) { o.fds_.clear(); }
    FdList& operator=(FdList&& o) noexcept {
        if (this != &o) {
            reset();
            fds_ = std::move(o.fds_);
            o.fds_.clear();
        }
        return *this;
    }
    FdList(const FdList&) = delete;
    FdList& operator=(const FdList&) = delete;

    void push(int fd) { fds_.push_back(fd); }
    [[nodiscard]] size_t size() const { return fds_.size(); }
    [[nodiscard]] bool empty() const { return fds_.empty(); }
    [[nodiscard]] int get(size_t i) const { return fds_[i]; }
    int take(size_t i) { return std::exchange(fds_[i], -1); }
    void reset() {
        for (int& fd : fds_)
            close_fd(fd);
        fds_.clear();
    }

private:
    std::vector<int> fds_;
};

struct Message {
    p::Header hdr;
    std::vector<uint8_t> payload;
    FdList fds;
    bool fds_truncated = false; // the kernel dropped fds that did not fit
};

template <typename T>
T load(const std::vector<uint8_t>& v, size_t at = 0) {
    T t{};
    std::memcpy(&t, v.data() + at, sizeof(T));
    return t;
}

template <typename T>
void append(std::vector<uint8_t>& v, const T& t) {
    const auto* b = reinterpret_cast<const uint8_t*>(&t);
    v.insert(v.end(), b, b + sizeof(T));
}

// Little-endian packing of a register value into message bytes (the
// protocol is host order; PCI data is little-endian, as is every host we
// build for; keeping it explicit makes that visible).
uint64_t load_le(const uint8_t* b, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i)
        v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
}
void store_le(uint8_t* b, unsigned n, uint64_t v) {
    for (unsigned i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool json_uint(const json::value& v, uint64_t& out) {
    if (v.is_uint64()) {
        out = v.as_uint64();
        return true;
    }
    if (v.is_int64() && v.as_int64() >= 0) {
        out = static_cast<uint64_t>(v.as_int64());
        return true;
    }
    return false;
}

// An eventfd is the only kind of fd we will ever write() an interrupt to.
bool is_eventfd(int fd) {
    char link[64];
    const std::string proc = fmt::format("/proc/self/fd/{}", fd);
    ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
    if (n < 0) {
        struct stat st {};
        return ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISBLK(st.st_mode);
    }
    link[n] = '\0';
    return std::string_view(link) == "anon_inode:[eventfd]";
}

const char* command_name(uint16_t c) {
    switch (c) {
    case p::kVersion: return "VERSION";
    case p::kDmaMap: return "DMA_MAP";
    case p::kDmaUnmap: return "DMA_UNMAP";
    case p::kDeviceGetInfo: return "DEVICE_GET_INFO";
    case p::kDeviceGetRegionInfo: return "DEVICE_GET_REGION_INFO";
    case p::kDeviceGetRegionIoFds: return "DEVICE_GET_REGION_IO_FDS";
    case p::kDeviceGetIrqInfo: return "DEVICE_GET_IRQ_INFO";
    case p::kDeviceSetIrqs: return "DEVICE_SET_IRQS";
    case p::kRegionRead: return "REGION_READ";
    case p::kRegionWrite: return "REGION_WRITE";
    case p::kDmaRead: return "DMA_READ";
    case p::kDmaWrite: return "DMA_WRITE";
    case p::kDeviceReset: return "DEVICE_RESET";
    case p::kDirtyPages: return "DIRTY_PAGES";
    case p::kRegionWriteMulti: return "REGION_WRITE_MULTI";
    case p::kDeviceFeature: return "DEVICE_FEATURE";
    case p::kMigDataRead: return "MIG_DATA_READ";
    case p::kMigDataWrite: return "MIG_DATA_WRITE";
    default: return "unknown";
    }
}

// Thrown by a request handler: answered with an error reply.
struct RequestError {
    int err;
    std::string why;
};

[[noreturn]] void fail(int err, std::string why) { throw RequestError{err, std::move(why)}; }

} // namespace

// ---------------------------------------------------------------------------

struct Server::Impl : std::enable_shared_from_this<Impl>, pcie::DmaSpace, pcie::InterruptSink {
    Impl(asio::io_context& io, std::string path, pcie::Function& fn)
        : io(io), path(std::move(path)), fn(fn), acceptor(io), retry_timer(io) {}

    ~Impl() override {
        for (auto& o : out)
            for (int& fd : o.fds)
                close_fd(fd);
        close_irq_fds();
    }

    // ---- state ------------------------------------------------------------
    asio::io_context& io;
    std::string path;
    pcie::Function& fn;
    stream::acceptor acceptor;
    asio::steady_timer retry_timer;
    bool listening = false;
    bool accept_pending = false;
    socket_dir::BoundFile bound_file; // the socket file bind() created; only it is unlinked

    // The connection. `gen` changes on every connect/disconnect so stale
    // completion handlers recognise themselves.
    std::unique_ptr<stream::socket> sock;
    uint64_t gen = 0;
    bool disconnect_pending = false;
    bool read_armed = false;
    bool write_armed = false;
    bool drain_posted = false;
    bool read_paused = false; // too many reply bytes queued: not reading requests
    bool negotiated = false;
    int dispatch_depth = 0;   // >0 while a request handler runs
    std::chrono::milliseconds message_dma_timeout = kMessageDmaTimeout;

    // Reader: the message being received (header first, then payload).
    struct Reader {
        uint8_t hdr_bytes[sizeof(p::Header)] = {};
        size_t hdr_got = 0;
        bool have_hdr = false;
        size_t body_got = 0;
        Message cur;
        void reset() {
            hdr_got = 0;
            have_hdr = false;
            body_got = 0;
            cur = Message{};
        }
    } reader;
    std::deque<Message> deferred; // requests that arrived during message DMA
    size_t deferred_bytes = 0;

    struct OutMsg {
        std::vector<uint8_t> bytes;
        size_t sent = 0;
        std::vector<int> fds; // dup()ed, ours; closed once sent
    };
    std::deque<OutMsg> out;
    size_t out_bytes = 0;

    uint64_t client_max_xfer = p::kDefaultMaxDataXferSize;
    uint64_t client_max_fds = p::kDefaultMaxMsgFds;
    uint16_t next_request_id = 0;

    DmaTable dma{kMaxDmaMaps};
    std::vector<int> msix_fds;
    int intx_fd = -1;
    ServerStats st;
    std::vector<DmaTable::Segment> segs; // scratch

    const std::string& name() const { return fn.name(); }

    // ---- listening ---------------------------------------------------------
    void start() {
        if (listening)
            return;
        socket_dir::remove_stale_socket(path); // a killed run's; aie4emu holds the folder's lock
        acceptor.open(stream());
        acceptor.bind(stream::endpoint(path));
        bound_file = socket_dir::identify(path);
        acceptor.listen();
        listening = true;
        vlog(name(), "listening on {}", path);
        accept_next();
    }

    void stop() {
        const bool was_listening = listening;
        listening = false;
        boost::system::error_code ec;
        retry_timer.cancel();
        acceptor.close(ec);
        accept_pending = false;
        if (sock)
            teardown("server stopped", false);
        // Only the file bound here: the path may now be another emulator's socket.
        socket_dir::remove_if_ours(path, bound_file);
        bound_file = {};
        if (was_listening)
            vlog(name(), "stopped");
    }

    void accept_next() {
        if (!listening || sock || accept_pending)
            return;
        accept_pending = true;
        auto self = shared_from_this();
        acceptor.async_accept([self](boost::system::error_code ec, stream::socket s) {
            self->accept_pending = false;
            if (!self->listening)
                return;
            if (ec) {
                if (ec == asio::error::operation_aborted)
                    return;
                vlog(self->name(), "accept failed: {}; retrying", ec.message());
                self->retry_timer.expires_after(std::chrono::milliseconds(100));
                self->retry_timer.async_wait([self](boost::system::error_code tec) {
                    if (!tec)
                        self->accept_next();
                });
                return;
            }
            if (self->sock) { // serve() took the slot while this accept was pending
                vlog(self->name(), "refusing a second client while one is connected");
                boost::system::error_code cec;
                s.close(cec);
                return;
            }
            self->begin_session(std::move(s));
        });
    }

    void serve(stream::socket s) {
        if (sock) {
            vlog(name(), "refusing a second client while one is connected");
            boost::system::error_code ec;
            s.close(ec);
            return;
        }
        begin_session(std::move(s));
    }

    void begin_session(stream::socket s) {
        sock = std::make_unique<stream::socket>(std::move(s));
        boost::system::error_code ec;
        sock->non_blocking(true, ec);
        if (ec) {
            vlog(name(), "cannot make the client socket non-blocking: {}", ec.message());
            sock->close(ec);
            sock.reset();
            accept_next();
            return;
        }
        ++gen;
        disconnect_pending = false;
        read_armed = write_armed = drain_posted = read_paused = false;
        negotiated = false;
        client_max_xfer = p::kDefaultMaxDataXferSize;
        client_max_fds = p::kDefaultMaxMsgFds;
        dma.set_max_windows(kMaxDmaMaps);
        msix_fds.assign(fn.msix_vectors(), -1);
        intx_fd = -1;
        reader.reset();
        ++st.connections;
        st.connected = true;
        vlog(name(), "client connected");
        fn.attach(this, this);
        arm_read();
    }

    // Ask for the client to be dropped; the teardown runs from the
    // io_context, never inside a call the function is making into us.
    void drop_client(std::string_view why) {
        if (!sock || disconnect_pending)
            return;
        disconnect_pending = true;
        vlog(name(), "dropping client: {}", why);
        auto self = shared_from_this();
        asio::post(io, [self, g = gen] {
            if (g == self->gen && self->sock)
                self->teardown("dropped", true);
        });
    }

    void close_irq_fds() {
        for (int& fd : msix_fds)
            close_fd(fd);
        close_fd(intx_fd);
    }

    // A lost client (it closed the socket, was dropped, or the host disconnected it) also resets
    // the function, as the host's vfio-pci resets a device when its last user closes it: the
    // VM's contexts and queues must not outlive the VM. Not when the server itself stops (the
    // emulator is going away or the VF is being disabled).
    void teardown(std::string_view why, bool reset_function) {
        if (!sock)
            return;
        const bool had_user = negotiated;
        boost::system::error_code ec;
        sock->close(ec);
        sock.reset();
        ++gen;
        fn.attach(nullptr, nullptr);
        const size_t windows = dma.size();
        dma.clear();
        close_irq_fds();
        deferred.clear();
        deferred_bytes = 0;
        for (auto& o : out)
            for (int& fd : o.fds)
                close_fd(fd);
        out.clear();
        out_bytes = 0;
        reader.reset();
        negotiated = false;
        disconnect_pending = false;
        st.connected = false;
        ++st.disconnects;
        vlog(name(), "client disconnected ({}); {} DMA windows unmapped", why, windows);
        if (reset_function && had_user) {
            ++st.client_loss_resets;
            vlog(name(), "function reset: its client went away");
            fn.reset();
        }
        accept_next();
    }

    // ---- reading -----------------------------------------------------------
    enum class ReadStatus { kMessage, kAgain, kClosed, kFatal };

    // Read until one whole message is in, or the socket has nothing more.
    // Reads never cross the end of the current message, so fds that arrive
    // always belong to the message being read.
    ReadStatus read_message(Message& msg, std::string& why) {
        const int fd = sock->native_handle();
        for (;;) {
            uint8_t* dst;
            size_t want;
            if (!reader.have_hdr) {
                dst = reader.hdr_bytes + reader.hdr_got;
                want = sizeof(p::Header) - reader.hdr_got;
            } else {
                want = reader.cur.payload.size() - reader.body_got;
                if (want == 0) {
                    msg = std::move(reader.cur);
                    reader.reset();
                    return ReadStatus::kMessage;
                }
                dst = reader.cur.payload.data() + reader.body_got;
            }
            iovec iov{dst, want};
            // Room for more fds than we accept, so "too many" is reported
            // as such rather than silently truncated.
            alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxMsgFds * 2)];
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
                    return ReadStatus::kAgain;
                why = fmt::format("recvmsg: {}", std::strerror(errno));
                return ReadStatus::kFatal;
            }
            for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                    continue;
                const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                const auto* fds = reinterpret_cast<const unsigned char*>(CMSG_DATA(c));
                for (size_t i = 0; i < count; ++i) {
                    int rfd;
                    std::memcpy(&rfd, fds + i * sizeof(int), sizeof(int));
                    reader.cur.fds.push(rfd);
                }
            }
            if (mh.msg_flags & MSG_CTRUNC)
                reader.cur.fds_truncated = true;
            if (n == 0) {
                why = (reader.hdr_got || reader.have_hdr) ? "peer closed mid-message" : "peer closed";
                return ReadStatus::kClosed;
            }
            if (!reader.have_hdr) {
                reader.hdr_got += static_cast<size_t>(n);
                if (reader.hdr_got < sizeof(p::Header))
                    continue;
                std::memcpy(&reader.cur.hdr, reader.hdr_bytes, sizeof(p::Header));
                const uint32_t size = reader.cur.hdr.size;
                if (size < sizeof(p::Header)) {
                    why = fmt::format("message size {} is smaller than the header", size);
                    return ReadStatus::kFatal;
                }
                if (size > kMaxMessageSize) {
                    why = fmt::format("message size {} exceeds the limit {}", size, kMaxMessageSize);
                    return ReadStatus::kFatal;
                }
                reader.cur.payload.resize(size - sizeof(p::Header));
                reader.have_hdr = true;
            } else {
                reader.body_got += static_cast<size_t>(n);
            }
        }
    }

    void arm_read() {
        if (read_armed || !sock || disconnect_pending)
            return;
        read_armed = true;
        auto self = shared_from_this();
        sock->async_wait(stream::socket::wait_read, [self, g = gen](boost::system::error_code ec) {
            if (g != self->gen || !self->sock)
                return;
            self->read_armed = false;
            if (ec) {
                self->drop_client(fmt::format("wait: {}", ec.message()));
                return;
            }
            self->on_readable();
        });
    }

    void post_drain() {
        if (drain_posted || !sock)
            return;
        drain_posted = true;
        auto self = shared_from_this();
        asio::post(io, [self, g = gen] {
            if (g != self->gen || !self->sock)
                return;
            self->drain_posted = false;
            self->on_readable();
        });
    }

    // Handle what is available; yield to other io_context work after a
    // batch so one busy client cannot starve the other servers.
    void on_readable() {
        constexpr int kBatch = 64;
        for (int i = 0; i < kBatch; ++i) {
            if (!sock || disconnect_pending)
                return;
            if (out_bytes > kMaxQueuedReplyBytes) {
                read_paused = true; // flush() resumes us when the client reads its replies
                return;
            }
            if (!deferred.empty()) {
                Message m = std::move(deferred.front());
                deferred.pop_front();
                deferred_bytes -= m.payload.size() + sizeof(p::Header);
                dispatch(m);
                continue;
            }
            Message m;
            std::string why;
            switch (read_message(m, why)) {
            case ReadStatus::kMessage:
                dispatch(m);
                break;
            case ReadStatus::kAgain:
                arm_read();
                return;
            case ReadStatus::kClosed:
                drop_client(why);
                return;
            case ReadStatus::kFatal:
                ++st.protocol_disconnects;
                ++st.errors;
                drop_client(why);
                return;
            }
        }
        post_drain();
    }

    // ---- writing -----------------------------------------------------------
    // Queue a message; fds are borrowed and dup()ed. False if a dup failed.
    bool queue(std::vector<uint8_t> bytes, const std::vector<int>& fds = {}) {
        if (!sock || disconnect_pending)
            return true; // nobody to send to; not the caller's error
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
        out_bytes += o.bytes.size();
        out.push_back(std::move(o));
        flush();
        return true;
    }

    void flush() {
        if (!sock || disconnect_pending)
            return;
        const int fd = sock->native_handle();
        while (!out.empty()) {
            OutMsg& o = out.front();
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
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    arm_write();
                    return;
                }
                drop_client(fmt::format("sendmsg: {}", std::strerror(errno)));
                return;
            }
            for (int& x : o.fds) // the kernel holds its own references now
                close_fd(x);
            o.fds.clear();
            o.sent += static_cast<size_t>(n);
            out_bytes -= static_cast<size_t>(n);
            if (o.sent == o.bytes.size())
                out.pop_front();
        }
        if (read_paused && out_bytes <= kMaxQueuedReplyBytes) {
            read_paused = false;
            post_drain();
        }
    }

    void arm_write() {
        if (write_armed || !sock)
            return;
        write_armed = true;
        auto self = shared_from_this();
        sock->async_wait(stream::socket::wait_write, [self, g = gen](boost::system::error_code ec) {
            if (g != self->gen || !self->sock)
                return;
            self->write_armed = false;
            if (ec) {
                self->drop_client(fmt::format("wait: {}", ec.message()));
                return;
            }
            self->flush();
        });
    }

    static std::vector<uint8_t> reply_header(const Message& m, size_t payload, uint32_t extra_flags = 0,
                                             uint32_t err = 0) {
        std::vector<uint8_t> b;
        b.reserve(sizeof(p::Header) + payload);
        p::Header h;
        h.id = m.hdr.id;
        h.command = m.hdr.command;
        h.size = static_cast<uint32_t>(sizeof(p::Header) + payload);
        h.flags = p::kFlagTypeReply | extra_flags;
        h.error = err;
        append(b, h);
        return b;
    }

    void reply_ok(const Message& m, const std::vector<uint8_t>& payload = {}, const std::vector<int>& fds = {}) {
        if (m.hdr.flags & p::kFlagNoReply)
            return;
        auto b = reply_header(m, payload.size());
        b.insert(b.end(), payload.begin(), payload.end());
        if (!queue(std::move(b), fds))
            reply_error(m, EMFILE, "cannot duplicate an fd for the reply");
    }

    void reply_error(const Message& m, int err, std::string_view why) {
        ++st.errors;
        vlog(name(), "{} (id {}): error {} ({}): {}{}", command_name(m.hdr.command), m.hdr.id, err,
             std::strerror(err), why, (m.hdr.flags & p::kFlagNoReply) ? " [no-reply request]" : "");
        if (m.hdr.flags & p::kFlagNoReply)
            return;
        queue(reply_header(m, 0, p::kFlagError, static_cast<uint32_t>(err)));
    }

    // ---- dispatch ----------------------------------------------------------
    void dispatch(Message& m) {
        ++st.messages;
        ++dispatch_depth;
        try {
            handle(m);
        } catch (const RequestError& e) {
            reply_error(m, e.err, e.why);
        } catch (...) {
            // Not a refused request but a bug or exhaustion: the request fails with EIO and
            // the report aborts in strict mode (hw/sim/internal_error.hpp).
            const std::string what(sim::exception_message(std::current_exception()));
            sim::report_internal_error(fmt::format("vfio-user {} of {}", command_name(m.hdr.command), name()), what);
            reply_error(m, EIO, fmt::format("internal error: {}", what));
        }
        --dispatch_depth;
        // m's destructor closes every fd the handler did not take.
    }

    static void require_no_fds(const Message& m) {
        if (!m.fds.empty())
            fail(EINVAL, fmt::format("{} fds passed with a command that takes none", m.fds.size()));
    }

    static void require_payload(const Message& m, size_t size) {
        if (m.payload.size() != size)
            fail(EINVAL, fmt::format("payload is {} bytes, expected {}", m.payload.size(), size));
    }

    void handle(Message& m) {
        const uint32_t type = m.hdr.flags & p::kFlagTypeMask;
        if (type == p::kFlagTypeReply) {
            if (m.hdr.command == p::kDmaRead || m.hdr.command == p::kDmaWrite) {
                // A reply to a DMA request we already gave up on.
                vlog(name(), "dropping a late {} reply (id {})", command_name(m.hdr.command), m.hdr.id);
                return;
            }
            fail(EINVAL, "reply flag set on a request");
        }
        if (type != p::kFlagTypeRequest)
            fail(EINVAL, fmt::format("unknown message type {}", type));
        if (m.fds_truncated || m.fds.size() > kMaxMsgFds)
            fail(EINVAL, fmt::format("too many fds (more than {})", kMaxMsgFds));
        if (!negotiated && m.hdr.command != p::kVersion)
            fail(EINVAL, "command before VERSION negotiation");

        switch (m.hdr.command) {
        case p::kVersion: return handle_version(m);
        case p::kDmaMap: return handle_dma_map(m);
        case p::kDmaUnmap: return handle_dma_unmap(m);
        case p::kDeviceGetInfo: return handle_device_info(m);
        case p::kDeviceGetRegionInfo: return handle_region_info(m);
        case p::kDeviceGetIrqInfo: return handle_irq_info(m);
        case p::kDeviceSetIrqs: return handle_set_irqs(m);
        case p::kRegionRead: return handle_region_rw(m, false);
        case p::kRegionWrite: return handle_region_rw(m, true);
        case p::kDeviceReset: return handle_reset(m);
        case p::kDeviceGetRegionIoFds:
        case p::kDmaRead:
        case p::kDmaWrite:
        case p::kDirtyPages:
        case p::kRegionWriteMulti:
        case p::kDeviceFeature:
        case p::kMigDataRead:
        case p::kMigDataWrite:
            fail(ENOTSUP, "command not supported by this server");
        default:
            fail(ENOSYS, fmt::format("unknown command {}", m.hdr.command));
        }
    }

    // ---- VERSION -----------------------------------------------------------
    void handle_version(Message& m) {
        require_no_fds(m);
        if (negotiated)
            fail(EINVAL, "VERSION sent twice");
        if (m.payload.size() < sizeof(p::VersionHead))
            fail(EINVAL, "VERSION payload too short");
        const auto head = load<p::VersionHead>(m.payload);
        if (head.major != p::kVersionMajor)
            fail(ENOTSUP, fmt::format("protocol major {} not supported (we speak {})", head.major, p::kVersionMajor));

        uint64_t max_fds = p::kDefaultMaxMsgFds;
        uint64_t max_xfer = p::kDefaultMaxDataXferSize;
        uint64_t max_maps = kMaxDmaMaps;
        const size_t json_len = m.payload.size() - sizeof(p::VersionHead);
        if (json_len > 0) {
            const char* text = reinterpret_cast<const char*>(m.payload.data() + sizeof(p::VersionHead));
            const size_t len = ::strnlen(text, json_len); // the NUL terminator is optional to us
            boost::system::error_code ec;
            json::value doc = json::parse(std::string_view(text, len), ec);
            if (ec)
                fail(EINVAL, fmt::format("VERSION JSON does not parse: {}", ec.message()));
            if (!doc.is_object())
                fail(EINVAL, "VERSION JSON is not an object");
            if (const json::value* caps = doc.as_object().if_contains("capabilities")) {
                if (!caps->is_object())
                    fail(EINVAL, "\"capabilities\" is not an object");
                const json::object& c = caps->as_object();
                auto number = [&](const char* key, uint64_t& out) {
                    if (const json::value* v = c.if_contains(key)) {
                        if (!json_uint(*v, out))
                            fail(EINVAL, fmt::format("capability \"{}\" is not a non-negative integer", key));
                    }
                };
                number("max_msg_fds", max_fds);
                number("max_data_xfer_size", max_xfer);
                number("max_dma_maps", max_maps);
                uint64_t pgsizes = p::kDefaultPgsizes;
                number("pgsizes", pgsizes);
                if ((pgsizes & kPgsizes) == 0)
                    fail(EINVAL, fmt::format("client page sizes {:#x} do not include {:#x}", pgsizes, kPgsizes));
                if (const json::value* v = c.if_contains("write_multiple"); v && !v->is_bool())
                    fail(EINVAL, "capability \"write_multiple\" is not a boolean");
                if (const json::value* v = c.if_contains("migration"); v && !v->is_object())
                    fail(EINVAL, "capability \"migration\" is not an object");
                // twin_socket, migration, write_multiple: not offered back.
            }
        }
        if (max_xfer == 0)
            fail(EINVAL, "max_data_xfer_size is 0");
        client_max_fds = max_fds;
        client_max_xfer = max_xfer;
        dma.set_max_windows(std::min<uint64_t>(max_maps, kMaxDmaMaps));

        json::object caps{
            {"max_msg_fds", kMaxMsgFds},
            {"max_data_xfer_size", kMaxDataXferSize},
            {"pgsizes", kPgsizes},
            {"max_dma_maps", std::min<uint64_t>(max_maps, kMaxDmaMaps)},
        };
        const std::string text = json::serialize(json::object{{"capabilities", caps}});
        std::vector<uint8_t> payload;
        append(payload, p::VersionHead{p::kVersionMajor, std::min(head.minor, p::kVersionMinor)});
        payload.insert(payload.end(), text.begin(), text.end());
        payload.push_back(0);
        negotiated = true;
        vlog(name(), "VERSION {}.{} negotiated; client max_data_xfer_size {}", p::kVersionMajor,
             std::min(head.minor, p::kVersionMinor), client_max_xfer);
        reply_ok(m, payload);
    }

    // ---- DMA_MAP / DMA_UNMAP -------------------------------------------------
    void handle_dma_map(Message& m) {
        if (m.fds.size() > 1)
            fail(EINVAL, fmt::format("DMA_MAP with {} fds (0 or 1 allowed)", m.fds.size()));
        require_payload(m, sizeof(p::DmaMap));
        const auto req = load<p::DmaMap>(m.payload);
        if (req.argsz != sizeof(p::DmaMap))
            fail(EINVAL, fmt::format("argsz {} != {}", req.argsz, sizeof(p::DmaMap)));
        if (req.flags & ~(p::kDmaMapFlagRead | p::kDmaMapFlagWrite))
            fail(EINVAL, fmt::format("unknown flags {:#x}", req.flags));
        const int fd = m.fds.empty() ? -1 : m.fds.get(0);
        const int rc = dma.add(req.address, req.size, req.flags & p::kDmaMapFlagRead,
                               req.flags & p::kDmaMapFlagWrite, fd, req.offset);
        if (rc != 0)
            fail(rc, fmt::format("cannot map [{:#x}, +{:#x}) offset {:#x}", req.address, req.size, req.offset));
        st.dma_windows = dma.size();
        vlog(name(), "DMA_MAP [{:#x}, +{:#x}) {}{} {}", req.address, req.size,
             (req.flags & p::kDmaMapFlagRead) ? "r" : "-", (req.flags & p::kDmaMapFlagWrite) ? "w" : "-",
             fd >= 0 ? "mmap" : "message-based");
        reply_ok(m); // the fd is closed with m; the mapping stays
    }

    void handle_dma_unmap(Message& m) {
        require_no_fds(m);
        require_payload(m, sizeof(p::DmaUnmap));
        auto req = load<p::DmaUnmap>(m.payload);
        if (req.argsz < sizeof(p::DmaUnmap))
            fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::DmaUnmap)));
        if (req.flags & p::kDmaUnmapFlagGetDirtyBitmap)
            fail(ENOTSUP, "dirty page tracking is not supported");
        if (req.flags & ~p::kDmaUnmapFlagAll)
            fail(EINVAL, fmt::format("unknown flags {:#x}", req.flags));
        if (req.flags & p::kDmaUnmapFlagAll) {
            if (req.address != 0 || req.size != 0)
                fail(EINVAL, "unmap-all with a non-zero range");
            dma.clear();
        } else if (int rc = dma.remove(req.address, req.size); rc != 0) {
            fail(rc, fmt::format("no window [{:#x}, +{:#x})", req.address, req.size));
        }
        st.dma_windows = dma.size();
        vlog(name(), "DMA_UNMAP [{:#x}, +{:#x}){}", req.address, req.size,
             (req.flags & p::kDmaUnmapFlagAll) ? " (all)" : "");
        req.argsz = sizeof(p::DmaUnmap);
        std::vector<uint8_t> payload;
        append(payload, req);
        reply_ok(m, payload);
    }

    // ---- DEVICE_GET_INFO -----------------------------------------------------
    void handle_device_info(Message& m) {
        require_no_fds(m);
        require_payload(m, sizeof(p::DeviceInfo));
        const auto req = load<p::DeviceInfo>(m.payload);
        if (req.argsz < sizeof(p::DeviceInfo))
            fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::DeviceInfo)));
        p::DeviceInfo info;
        info.argsz = sizeof(p::DeviceInfo);
        info.flags = p::kDeviceFlagPci | p::kDeviceFlagReset;
        info.num_regions = p::kPciNumRegions;
        info.num_irqs = p::kPciNumIrqs;
        std::vector<uint8_t> payload;
        append(payload, info);
        reply_ok(m, payload);
    }

    // ---- DEVICE_GET_REGION_INFO ----------------------------------------------
    uint64_t region_size(uint32_t index) const {
        if (index <= p::kPciBar5RegionIndex)
            return fn.bar_info(index).size;
        if (index == p::kPciConfigRegionIndex)
            return p::kPciConfigSpaceSize;
        return 0; // ROM, VGA: not implemented
    }

    // The mmap-able parts of a BAR, as one fd plus a base file offset
    // (vfio: area file offset = region offset + area offset). Areas that do
    // not fit that shape (other fd, other base, unaligned, outside the BAR)
    // are left to REGION_READ/WRITE, with a log line.
    struct SparseLayout {
        int fd = -1;
        uint64_t base = 0;
        std::vector<p::SparseMmapArea> areas;
    };

    SparseLayout sparse_layout(unsigned bar, const pcie::BarInfo& info) const {
        constexpr uint64_t kPage = 4096;
        SparseLayout out;
        for (const pcie::MmapArea& a : info.mmap_areas) {
            const bool aligned = a.offset % kPage == 0 && a.size % kPage == 0 && a.fd_offset % kPage == 0;
            const bool inside = a.size > 0 && a.offset < info.size && a.size <= info.size - a.offset;
            if (a.fd < 0 || !aligned || !inside || a.fd_offset < a.offset) {
                vlog(name(), "BAR{} mmap area [{:#x}, +{:#x}) fd {} not usable; served by messages", bar, a.offset,
                     a.size, a.fd);
                continue;
            }
            const uint64_t base = a.fd_offset - a.offset;
            if (out.fd < 0) {
                out.fd = a.fd;
                out.base = base;
            } else if (a.fd != out.fd || base != out.base) {
                vlog(name(), "BAR{} mmap area [{:#x}, +{:#x}) uses another fd/base; served by messages", bar,
                     a.offset, a.size);
                continue;
            }
            out.areas.push_back(p::SparseMmapArea{a.offset, a.size});
        }
        return out;
    }

    void handle_region_info(Message& m) {
        require_no_fds(m);
        require_payload(m, sizeof(p::RegionInfo));
        const auto req = load<p::RegionInfo>(m.payload);
        if (req.argsz < sizeof(p::RegionInfo))
            fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::RegionInfo)));
        if (req.index >= p::kPciNumRegions)
            fail(EINVAL, fmt::format("region index {} out of range", req.index));

        p::RegionInfo info;
        info.index = req.index;
        info.argsz = sizeof(p::RegionInfo);
        std::vector<uint8_t> caps;
        int fd = -1;
        if (req.index <= p::kPciBar5RegionIndex) {
            const pcie::BarInfo bar = fn.bar_info(req.index);
            info.size = bar.size;
            if (bar.size > 0) {
                info.flags = p::kRegionFlagRead | p::kRegionFlagWrite;
                SparseLayout layout = sparse_layout(req.index, bar);
                // The areas need an fd in the reply; a client that takes
                // none gets the BAR through REGION_READ/WRITE only.
                if (!layout.areas.empty() && client_max_fds >= 1) {
                    info.flags |= p::kRegionFlagMmap | p::kRegionFlagCaps;
                    info.offset = layout.base;
                    p::CapHeader ch{p::kRegionCapSparseMmap, p::kRegionCapSparseMmapVersion, 0};
                    append(caps, ch);
                    append(caps, p::SparseMmapHead{static_cast<uint32_t>(layout.areas.size()), 0});
                    for (const auto& a : layout.areas)
                        append(caps, a);
                    fd = layout.fd;
                }
            }
        } else if (req.index == p::kPciConfigRegionIndex) {
            info.size = p::kPciConfigSpaceSize;
            info.flags = p::kRegionFlagRead | p::kRegionFlagWrite;
        } // ROM and VGA: size 0, no flags

        std::vector<uint8_t> payload;
        std::vector<int> fds;
        const size_t full = sizeof(p::RegionInfo) + caps.size();
        info.argsz = static_cast<uint32_t>(full);
        if (!caps.empty() && req.argsz >= full) {
            info.cap_offset = sizeof(p::RegionInfo);
            append(payload, info);
            payload.insert(payload.end(), caps.begin(), caps.end());
            fds.push_back(fd);
        } else {
            // Too small for the capabilities: the client learns the size
            // it needs from argsz and asks again; caps and fd come with the
            // full answer. QEMU rejects CAPS with cap_offset 0
            // (hw/vfio-user/device.c checks cap_offset >= sizeof(info)), so
            // the flag goes out only with the capability itself.
            info.cap_offset = 0;
            info.flags &= ~p::kRegionFlagCaps;
            append(payload, info);
        }
        reply_ok(m, payload, fds);
    }

    // ---- DEVICE_GET_IRQ_INFO -------------------------------------------------
    uint32_t irq_count(uint32_t index) const {
        switch (index) {
        case p::kPciIntxIrqIndex:
            // QEMU enables INTx when config space has an interrupt pin;
            // report the one line then so its setup succeeds. The function
            // interface has no INTx delivery, so it never fires.
            return (fn.config_read(p::kPciInterruptPin, 1) & 0xff) != 0 ? 1 : 0;
        case p::kPciMsixIrqIndex:
            return fn.msix_vectors();
        default:
            return 0; // MSI, ERR, REQ: not delivered by this function model
        }
    }

    void handle_irq_info(Message& m) {
        require_no_fds(m);
        require_payload(m, sizeof(p::IrqInfo));
        const auto req = load<p::IrqInfo>(m.payload);
        if (req.argsz < sizeof(p::IrqInfo))
            fail(EINVAL, fmt::format("argsz {} < {}", req.argsz, sizeof(p::IrqInfo)));
        if (req.index >= p::kPciNumIrqs)
            fail(EINVAL, fmt::format("IRQ index {} out of range", req.index));
        p::IrqInfo info;
        info.argsz = sizeof(p::IrqInfo);
        info.index = req.index;
        info.count = irq_count(req.index);
        switch (req.index) {
        case p::kPciIntxIrqIndex:
            info.flags = p::kIrqInfoEventfd | p::kIrqInfoMaskable | p::kIrqInfoAutomasked;
            break;
        case p::kPciMsiIrqIndex:
            info.flags = p::kIrqInfoEventfd | p::kIrqInfoNoresize;
            break;
        case p::kPciMsixIrqIndex:
            // Per-vector eventfds may be set at any time (no NORESIZE), and
            // MASK/UNMASK reach the function (MASKABLE: QEMU then forwards
            // guest vector masking instead of emulating it).
            info.flags = p::kIrqInfoEventfd | p::kIrqInfoMaskable;
            break;
        default:
            info.flags = p::kIrqInfoEventfd;
            break;
        }
        std::vector<uint8_t> payload;
        append(payload, info);
        reply_ok(m, payload);
    }

    // ---- DEVICE_SET_IRQS -----------------------------------------------------
    void signal(int fd) {
        const uint64_t one = 1;
        if (::write(fd, &one, sizeof(one)) == static_cast<ssize_t>(sizeof(one)))
            ++st.irqs_fired;
        else
            ++st.irqs_dropped;
    }

    void handle_set_irqs(Message& m) {
        if (m.payload.size() < sizeof(p::IrqSet))
            fail(EINVAL, fmt::format("payload {} bytes < {}", m.payload.size(), sizeof(p::IrqSet)));
        const auto req = load<p::IrqSet>(m.payload);
        if (req.argsz != m.payload.size())
            fail(EINVAL, fmt::format("argsz {} != payload size {}", req.argsz, m.payload.size()));
        const uint32_t data = req.flags & p::kIrqSetDataMask;
        const uint32_t action = req.flags & p::kIrqSetActionMaskAll;
        if (std::popcount(data) != 1 || std::popcount(action) != 1 ||
            (req.flags & ~(p::kIrqSetDataMask | p::kIrqSetActionMaskAll)))
            fail(EINVAL, fmt::format("bad flags {:#x}", req.flags));
        if (req.index >= p::kPciNumIrqs)
            fail(EINVAL, fmt::format("IRQ index {} out of range", req.index));
        const size_t extra = m.payload.size() - sizeof(p::IrqSet);
        if (data == p::kIrqSetDataBool ? extra != req.count : extra != 0)
            fail(EINVAL, fmt::format("{} data bytes do not match flags {:#x} count {}", extra, req.flags, req.count));
        if (data != p::kIrqSetDataEventfd)
            require_no_fds(m);
        else if (!m.fds.empty() && m.fds.size() != req.count)
            fail(EINVAL, fmt::format("{} fds for {} vectors", m.fds.size(), req.count));

        if (req.count == 0) {
            if (data != p::kIrqSetDataNone)
                fail(EINVAL, "count 0 needs DATA_NONE");
            if (action == p::kIrqSetActionTrigger) {
                if (req.start != 0)
                    fail(EINVAL, "disable-all with a non-zero start");
                if (req.index == p::kPciMsixIrqIndex)
                    for (int& fd : msix_fds)
                        close_fd(fd);
                if (req.index == p::kPciIntxIrqIndex)
                    close_fd(intx_fd);
                vlog(name(), "SET_IRQS index {}: all disabled", req.index);
            }
            return reply_ok(m);
        }
        const uint32_t n = irq_count(req.index);
        if (req.start >= n || req.count > n - req.start)
            fail(EINVAL, fmt::format("vectors [{}, +{}) outside index {} (count {})", req.start, req.count,
                                     req.index, n));
        auto selected = [&](uint32_t i) {
            return data != p::kIrqSetDataBool || m.payload[sizeof(p::IrqSet) + i] != 0;
        };
        if (data == p::kIrqSetDataEventfd) {
            if (action != p::kIrqSetActionTrigger)
                fail(EINVAL, "mask/unmask eventfds are not supported");
            for (size_t i = 0; i < m.fds.size(); ++i)
                if (!is_eventfd(m.fds.get(i)))
                    fail(EINVAL, fmt::format("fd #{} is not an eventfd", i));
        }

        if (req.index == p::kPciIntxIrqIndex) {
            if (data == p::kIrqSetDataEventfd) {
                close_fd(intx_fd);
                if (!m.fds.empty())
                    intx_fd = m.fds.take(0);
            } else if (action == p::kIrqSetActionTrigger && intx_fd >= 0 && selected(0)) {
                signal(intx_fd);
            } // INTx mask/unmask: nothing to do, INTx is never asserted
            return reply_ok(m);
        }

        // MSI-X (the table size is read live; keep the fd table as large)
        if (msix_fds.size() < n)
            msix_fds.resize(n, -1);
        for (uint32_t i = 0; i < req.count; ++i) {
            const unsigned v = req.start + i;
            if (data == p::kIrqSetDataEventfd) {
                close_fd(msix_fds[v]);
                if (!m.fds.empty()) {
                    msix_fds[v] = m.fds.take(i);
                    // We must never block writing an interrupt.
                    int fl = ::fcntl(msix_fds[v], F_GETFL);
                    if (fl >= 0)
                        ::fcntl(msix_fds[v], F_SETFL, fl | O_NONBLOCK);
                }
            } else if (!selected(i)) {
                continue;
            } else if (action == p::kIrqSetActionTrigger) {
                msix_fire(v);
            } else {
                fn.set_vector_masked(v, action == p::kIrqSetActionMask);
            }
        }
        reply_ok(m);
    }

    // ---- REGION_READ / REGION_WRITE --------------------------------------------
    void handle_region_rw(Message& m, bool write) {
        require_no_fds(m);
        if (m.payload.size() < sizeof(p::RegionAccess))
            fail(EINVAL, fmt::format("payload {} bytes < {}", m.payload.size(), sizeof(p::RegionAccess)));
        const auto req = load<p::RegionAccess>(m.payload);
        const size_t expected = sizeof(p::RegionAccess) + (write ? req.count : 0);
        if (m.payload.size() != expected)
            fail(EINVAL, fmt::format("payload {} bytes, expected {} for count {}", m.payload.size(), expected,
                                     req.count));
        if (req.count > kMaxDataXferSize)
            fail(EINVAL, fmt::format("count {} exceeds max_data_xfer_size", req.count));
        if (req.region >= p::kPciNumRegions)
            fail(EINVAL, fmt::format("region index {} out of range", req.region));
        const uint64_t size = region_size(req.region);
        if (size == 0 || req.offset >= size || req.count > size - req.offset)
            fail(EINVAL, fmt::format("[{:#x}, +{:#x}) outside region {} (size {:#x})", req.offset, req.count,
                                     req.region, size));

        std::vector<uint8_t> payload;
        if (write) {
            access(req.region, req.offset, m.payload.data() + sizeof(p::RegionAccess), req.count, true);
            append(payload, p::RegionAccess{req.offset, req.region, req.count});
        } else {
            payload.resize(sizeof(p::RegionAccess) + req.count);
            std::memcpy(payload.data(), &req, sizeof(req));
            access(req.region, req.offset, payload.data() + sizeof(p::RegionAccess), req.count, false);
        }
        reply_ok(m, payload);
    }

    // Split into naturally aligned accesses of the widest size allowed:
    // config space takes 1/2/4 bytes, BARs 1/2/4/8.
    void access(uint32_t region, uint64_t offset, uint8_t* data, uint32_t count, bool write) {
        const bool config = region == p::kPciConfigRegionIndex;
        const unsigned widest = config ? 4 : 8;
        uint32_t pos = 0;
        while (pos < count) {
            const uint64_t at = offset + pos;
            unsigned w = widest;
            while (w > 1 && (at % w != 0 || count - pos < w))
                w /= 2;
            if (write) {
                const uint64_t v = load_le(data + pos, w);
                if (config)
                    fn.config_write(static_cast<uint32_t>(at), w, static_cast<uint32_t>(v));
                else
                    fn.bar_write(region, at, w, v);
            } else {
                const uint64_t v = config ? fn.config_read(static_cast<uint32_t>(at), w) : fn.bar_read(region, at, w);
                store_le(data + pos, w, v);
            }
            pos += w;
        }
    }

    // ---- DEVICE_RESET ----------------------------------------------------------
    void handle_reset(Message& m) {
        require_no_fds(m);
        require_payload(m, 0);
        vlog(name(), "DEVICE_RESET");
        fn.reset();
        reply_ok(m);
    }

    // ---- DmaSpace --------------------------------------------------------------
    void dma_fault(const char* what, uint64_t addr, size_t len) {
        ++st.dma_faults;
        // A misbehaving guest can fault in a loop: log the first few and
        // then every 1024th.
        if (st.dma_faults <= 16 || st.dma_faults % 1024 == 0)
            vlog(name(), "DMA {} fault at [{:#x}, +{:#x}) (fault #{})", what, addr, len, st.dma_faults);
    }

    bool read(uint64_t addr, void* dst, size_t len) override {
        if (!dma.resolve(addr, len, false, segs)) {
            dma_fault("read", addr, len);
            return false;
        }
        auto* out_bytes_ptr = static_cast<uint8_t*>(dst);
        size_t done = 0;
        const std::vector<DmaTable::Segment> pieces = segs; // message DMA may re-enter resolve
        for (const auto& s : pieces) {
            if (s.host)
                std::memcpy(out_bytes_ptr + done, s.host, s.length);
            else if (!message_dma(false, s.address, out_bytes_ptr + done, s.length)) {
                dma_fault("read (message)", s.address, s.length);
                return false;
            }
            done += s.length;
        }
        return true;
    }

    bool write(uint64_t addr, const void* src, size_t len) override {
        if (!dma.resolve(addr, len, true, segs)) {
            dma_fault("write", addr, len);
            return false;
        }
        const auto* in = static_cast<const uint8_t*>(src);
        size_t done = 0;
        const std::vector<DmaTable::Segment> pieces = segs;
        for (const auto& s : pieces) {
            if (s.host)
                std::memcpy(s.host, in + done, s.length);
            else if (!message_dma(true, s.address, const_cast<uint8_t*>(in + done), s.length)) {
                dma_fault("write (message)", s.address, s.length);
                return false;
            }
            done += s.length;
        }
        return true;
    }

    // ---- InterruptSink -----------------------------------------------------------
    void msix_fire(unsigned vector) override {
        if (vector < msix_fds.size() && msix_fds[vector] >= 0) {
            signal(msix_fds[vector]);
            return;
        }
        ++st.irqs_dropped;
        if (st.irqs_dropped <= 16 || st.irqs_dropped % 1024 == 0)
            vlog(name(), "MSI-X vector {} fired with no eventfd set: dropped (#{})", vector, st.irqs_dropped);
    }

    // ---- message-based DMA (server -> client requests) ---------------------------
    bool wait_fd(short events, std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                    std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd pfd{sock->native_handle(), events, 0};
            int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (r > 0)
                return true;
            if (r < 0 && errno != EINTR)
                return false;
        }
    }

    bool message_dma(bool write, uint64_t addr, uint8_t* buf, size_t len) {
        const auto deadline = std::chrono::steady_clock::now() + message_dma_timeout;
        const uint64_t chunk = std::min<uint64_t>(client_max_xfer, kMaxDataXferSize);
        size_t done = 0;
        while (done < len) {
            if (!sock || disconnect_pending)
                return false;
            const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, len - done));
            const uint16_t id = next_request_id++;
            const uint16_t cmd = write ? p::kDmaWrite : p::kDmaRead;
            std::vector<uint8_t> req;
            p::Header h;
            h.id = id;
            h.command = cmd;
            h.size = static_cast<uint32_t>(sizeof(p::Header) + sizeof(p::DmaAccess) + (write ? n : 0));
            h.flags = p::kFlagTypeRequest;
            append(req, h);
            append(req, p::DmaAccess{addr + done, n});
            if (write)
                req.insert(req.end(), buf + done, buf + done + n);
            queue(std::move(req));
            while (!out.empty() && sock && !disconnect_pending) {
                if (!wait_fd(POLLOUT, deadline)) {
                    vlog(name(), "{} of {:#x} bytes at {:#x}: client not reading", command_name(cmd), n, addr + done);
                    return false;
                }
                flush();
            }
            Message reply;
            if (!wait_reply(id, cmd, deadline, reply))
                return false;
            if (reply.hdr.flags & p::kFlagError) {
                vlog(name(), "{} at {:#x}: client error {}", command_name(cmd), addr + done, reply.hdr.error);
                return false;
            }
            if (!write) {
                if (reply.payload.size() != sizeof(p::DmaAccess) + n ||
                    load<p::DmaAccess>(reply.payload).count != n) {
                    vlog(name(), "DMA_READ at {:#x}: malformed reply of {} bytes", addr + done, reply.payload.size());
                    return false;
                }
                std::memcpy(buf + done, reply.payload.data() + sizeof(p::DmaAccess), n);
            }
            done += n;
        }
        return true;
    }

    // Read until the reply to request `id` arrives. Requests that arrive
    // first are queued for on_readable(); their size is bounded.
    bool wait_reply(uint16_t id, uint16_t cmd, std::chrono::steady_clock::time_point deadline, Message& reply) {
        constexpr size_t kMaxDeferredBytes = 16u << 20;
        for (;;) {
            if (!sock || disconnect_pending)
                return false;
            Message m;
            std::string why;
            switch (read_message(m, why)) {
            case ReadStatus::kMessage: {
                const bool is_reply = (m.hdr.flags & p::kFlagTypeMask) == p::kFlagTypeReply;
                if (is_reply && m.hdr.id == id && m.hdr.command == cmd) {
                    reply = std::move(m);
                    return true;
                }
                if (is_reply) {
                    vlog(name(), "dropping an unexpected reply (id {}, {})", m.hdr.id, command_name(m.hdr.command));
                    continue;
                }
                deferred_bytes += m.payload.size() + sizeof(p::Header);
                deferred.push_back(std::move(m));
                post_drain();
                if (deferred_bytes > kMaxDeferredBytes) {
                    ++st.protocol_disconnects;
                    drop_client("too many requests queued during message DMA");
                    return false;
                }
                continue;
            }
            case ReadStatus::kAgain:
                if (!wait_fd(POLLIN, deadline)) {
                    vlog(name(), "{} (id {}): no reply within {} ms", command_name(cmd), id,
                         message_dma_timeout.count());
                    return false;
                }
                continue;
            case ReadStatus::kClosed:
            case ReadStatus::kFatal:
                drop_client(why);
                return false;
            }
        }
    }
};

// ---------------------------------------------------------------------------

Server::Server(asio::io_context& io, std::string socket_path, pcie::Function& function)
    : impl_(std::make_shared<Impl>(io, std::move(socket_path), function)) {}

Server::~Server() { impl_->stop(); }

void Server::start() { impl_->start(); }
void Server::stop() { impl_->stop(); }
void Server::serve(stream::socket connected) { impl_->serve(std::move(connected)); }
void Server::disconnect_client() {
    if (!impl_->sock)
        return;
    if (impl_->dispatch_depth > 0)
        impl_->drop_client("disconnected by the host");
    else
        impl_->teardown("disconnected by the host", true);
}

void Server::set_message_dma_timeout(std::chrono::milliseconds timeout) { impl_->message_dma_timeout = timeout; }

ServerStats Server::stats() const {
    ServerStats s = impl_->st;
    s.dma_windows = impl_->dma.size();
    return s;
}

const std::string& Server::socket_path() const { return impl_->path; }
const DmaTable& Server::dma_table() const { return impl_->dma; }

} // namespace aie4emu::vfio_user
