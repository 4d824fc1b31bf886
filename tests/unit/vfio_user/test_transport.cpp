// The transport alone, over a socketpair: framing (headers in pieces, sizes
// refused before any payload), fds in and out and who closes them, a full
// socket, and Transport's sessions and exchange() with a recording owner
// instead of the dispatcher.
#include "emu/vfio_user/transport.hpp"
#include "tests/unit/vfio_user/test_support.hpp"

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;
namespace asio = boost::asio;

namespace {

// Both ends non-blocking; closed by the destructor.
struct Pair {
    int server = -1;
    int client = -1;
    Pair() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
        server = sv[0];
        client = sv[1];
    }
    ~Pair() {
        close_fd(server);
        close_fd(client);
    }
    // Bytes (and fds, borrowed) from the client end in one sendmsg.
    void send(const std::vector<uint8_t>& bytes, const std::vector<int>& fds = {}) const {
        REQUIRE(send_once(client, bytes, fds) == static_cast<ssize_t>(bytes.size()));
    }
};

std::vector<uint8_t> message_bytes(uint16_t command, uint32_t size, size_t payload, uint32_t flags = 0,
                                   uint16_t id = 7) {
    p::Header h;
    h.id = id;
    h.command = command;
    h.size = size;
    h.flags = flags;
    std::vector<uint8_t> b = bytes_of(h);
    for (size_t i = 0; i < payload; ++i)
        b.push_back(static_cast<uint8_t>(i));
    return b;
}

std::vector<uint8_t> request_bytes(uint16_t command, size_t payload, uint16_t id = 7) {
    return message_bytes(command, static_cast<uint32_t>(sizeof(p::Header) + payload), payload, 0, id);
}

int new_eventfd() {
    const int fd = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(fd >= 0);
    return fd;
}

} // namespace

TEST_CASE("MessageReader assembles a header that arrives in pieces", "[vfio_user][transport]") {
    Pair s;
    MessageReader reader;
    Message m;
    std::string why;
    const auto bytes = request_bytes(p::kRegionRead, 16);

    CHECK(reader.read(s.server, m, why) == MessageReader::Status::kAgain); // nothing yet
    s.send({bytes.begin(), bytes.begin() + 10});                             // a short header
    CHECK(reader.read(s.server, m, why) == MessageReader::Status::kAgain);
    s.send({bytes.begin() + 10, bytes.begin() + 20}); // the header and 4 payload bytes
    CHECK(reader.read(s.server, m, why) == MessageReader::Status::kAgain);
    s.send({bytes.begin() + 20, bytes.end()});
    REQUIRE(reader.read(s.server, m, why) == MessageReader::Status::kMessage);
    CHECK(m.hdr.id == 7);
    CHECK(m.hdr.command == p::kRegionRead);
    CHECK(m.payload == std::vector<uint8_t>(bytes.begin() + sizeof(p::Header), bytes.end()));
}

TEST_CASE("MessageReader never reads past the end of a message", "[vfio_user][transport]") {
    Pair s;
    auto two = request_bytes(p::kVersion, 4, 1);
    const auto second = request_bytes(p::kDeviceReset, 0, 2);
    two.insert(two.end(), second.begin(), second.end());
    const int efd = new_eventfd();
    s.send(two, {efd}); // the fd travels with the first bytes: the first message
    ::close(efd);

    MessageReader reader;
    Message a, b;
    std::string why;
    REQUIRE(reader.read(s.server, a, why) == MessageReader::Status::kMessage);
    REQUIRE(reader.read(s.server, b, why) == MessageReader::Status::kMessage);
    CHECK(a.hdr.id == 1);
    CHECK(a.fds.size() == 1);
    CHECK(b.hdr.id == 2);
    CHECK(b.fds.empty());
    CHECK(reader.read(s.server, b, why) == MessageReader::Status::kAgain);
}

TEST_CASE("MessageReader refuses sizes below the header or above the limit", "[vfio_user][transport]") {
    MessageReader reader;
    Message m;
    std::string why;
    SECTION("size below the header") {
        Pair s;
        s.send(message_bytes(p::kVersion, 15, 0));
        CHECK(reader.read(s.server, m, why) == MessageReader::Status::kFatal);
        CHECK(why == "message size 15 is smaller than the header");
    }
    SECTION("size above the limit, refused from the header alone") {
        Pair s;
        s.send(message_bytes(p::kRegionWrite, limits::kMaxMessageSize + 1, 0));
        CHECK(reader.read(s.server, m, why) == MessageReader::Status::kFatal);
        CHECK(why.find("exceeds the limit") != std::string::npos);
    }
    SECTION("the largest allowed size is read") {
        Pair s;
        s.send(message_bytes(p::kRegionWrite, limits::kMaxMessageSize, 0));
        CHECK(reader.read(s.server, m, why) == MessageReader::Status::kAgain); // waits for the payload
    }
}

TEST_CASE("MessageReader reports a peer that hangs up", "[vfio_user][transport]") {
    MessageReader reader;
    Message m;
    std::string why;
    SECTION("between messages") {
        Pair s;
        close_fd(s.client);
        CHECK(reader.read(s.server, m, why) == MessageReader::Status::kClosed);
        CHECK(why == "peer closed");
    }
    SECTION("mid-message") {
        Pair s;
        const auto bytes = request_bytes(p::kVersion, 8);
        s.send({bytes.begin(), bytes.begin() + 20});
        close_fd(s.client);
        CHECK(reader.read(s.server, m, why) == MessageReader::Status::kClosed);
        CHECK(why == "peer closed mid-message");
    }
}

TEST_CASE("received fds belong to the message and close with it", "[vfio_user][transport]") {
    Pair s;
    const size_t before = open_fd_count();
    {
        std::vector<int> fds{new_eventfd(), new_eventfd(), new_eventfd()};
        s.send(request_bytes(p::kDeviceSetIrqs, 4), fds);
        for (int fd : fds)
            ::close(fd);
        MessageReader reader;
        Message m;
        std::string why;
        REQUIRE(reader.read(s.server, m, why) == MessageReader::Status::kMessage);
        REQUIRE(m.fds.size() == 3);
        CHECK_FALSE(m.fds_truncated);
        const int kept = m.fds.take(1); // as a handler keeping an eventfd does
        CHECK(open_fd_count() == before + 3);
        ::close(kept);
    }
    CHECK(open_fd_count() == before); // the two not taken closed with the message
}

TEST_CASE("more fds than the reader has room for are reported, not silently lost", "[vfio_user][transport]") {
    Pair s;
    const size_t before = open_fd_count();
    {
        std::vector<int> fds;
        for (uint64_t i = 0; i < limits::kMaxMsgFds * 2 + 4; ++i)
            fds.push_back(new_eventfd());
        s.send(request_bytes(p::kDeviceSetIrqs, 4), fds);
        for (int fd : fds)
            ::close(fd);
        MessageReader reader;
        Message m;
        std::string why;
        REQUIRE(reader.read(s.server, m, why) == MessageReader::Status::kMessage);
        CHECK(m.fds_truncated);
        CHECK(m.fds.size() <= limits::kMaxMsgFds * 2);
    }
    CHECK(open_fd_count() == before);
}

TEST_CASE("MessageWriter passes fds once and closes its duplicates", "[vfio_user][transport]") {
    Pair s;
    const size_t before = open_fd_count();
    const int efd = new_eventfd();
    {
        MessageWriter writer;
        REQUIRE(writer.queue(request_bytes(p::kDmaRead, 16), {efd}));
        CHECK(open_fd_count() == before + 2); // ours and the writer's duplicate
        CHECK(writer.queued_bytes() == sizeof(p::Header) + 16);
        std::string why;
        CHECK(writer.flush(s.server, why) == MessageWriter::Status::kEmpty);
        CHECK(writer.empty());
        CHECK(open_fd_count() == before + 1); // the duplicate closed once sent (the kernel holds it)

        MessageReader peer;
        Message m;
        REQUIRE(peer.read(s.client, m, why) == MessageReader::Status::kMessage);
        CHECK(m.hdr.command == p::kDmaRead);
        REQUIRE(m.fds.size() == 1);
        uint64_t one = 1;
        REQUIRE(::write(efd, &one, sizeof(one)) == sizeof(one));
        uint64_t got = 0;
        REQUIRE(::read(m.fds.get(0), &got, sizeof(got)) == sizeof(got)); // the same eventfd
        CHECK(got == 1);
    }
    ::close(efd);
    CHECK(open_fd_count() == before);
}

TEST_CASE("MessageWriter refuses an fd it cannot duplicate and queues nothing", "[vfio_user][transport]") {
    MessageWriter writer;
    const size_t before = open_fd_count();
    const int good = new_eventfd();
    CHECK_FALSE(writer.queue(request_bytes(p::kDmaRead, 0), {good, -1}));
    CHECK(writer.empty());
    CHECK(writer.queued_bytes() == 0);
    ::close(good);
    CHECK(open_fd_count() == before); // the duplicate of `good` was closed
}

TEST_CASE("MessageWriter keeps what a full socket does not take", "[vfio_user][transport]") {
    Pair s;
    MessageWriter writer;
    const size_t big = limits::kMaxDataXferSize; // more than a socketpair buffers, within the reader's limit
    REQUIRE(writer.queue(request_bytes(p::kDmaWrite, big)));
    std::string why;
    REQUIRE(writer.flush(s.server, why) == MessageWriter::Status::kAgain);
    CHECK(writer.queued_bytes() > 0);
    CHECK(writer.queued_bytes() < big + sizeof(p::Header));

    // The peer reads; the rest goes out in order.
    MessageReader peer;
    Message m;
    MessageReader::Status st = MessageReader::Status::kAgain;
    for (int i = 0; i < 10000 && st == MessageReader::Status::kAgain; ++i) {
        (void)writer.flush(s.server, why);
        st = peer.read(s.client, m, why);
    }
    REQUIRE(st == MessageReader::Status::kMessage);
    CHECK(writer.empty());
    REQUIRE(m.payload.size() == big);
    CHECK(m.payload[big - 1] == static_cast<uint8_t>(big - 1));
}

TEST_CASE("MessageWriter reports a socket error", "[vfio_user][transport]") {
    Pair s;
    close_fd(s.client);
    MessageWriter writer;
    REQUIRE(writer.queue(request_bytes(p::kDmaRead, 0)));
    std::string why;
    CHECK(writer.flush(s.server, why) == MessageWriter::Status::kFailed);
    CHECK(why.rfind("sendmsg: ", 0) == 0);
}

// ---- Transport with a recording owner ---------------------------------------

namespace {

struct Recorder : Transport::Events {
    int connected = 0;
    std::vector<std::string> disconnects;
    std::vector<p::Header> messages;
    size_t fds_seen = 0;
    void on_connected() override { ++connected; }
    void on_message(Message& m) override {
        messages.push_back(m.hdr);
        fds_seen += m.fds.size();
    }
    void on_disconnected(std::string_view why) override { disconnects.emplace_back(why); }
};

struct Session {
    asio::io_context io;
    Recorder events;
    std::shared_ptr<Transport> transport =
        std::make_shared<Transport>(io, "/nonexistent/transport.sock", "test", events);
    int client = -1;
    Session() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        transport->serve(asio::local::stream_protocol::socket(io, asio::local::stream_protocol(), sv[0]));
        client = sv[1];
    }
    ~Session() {
        transport->stop();
        close_fd(client);
    }
    void send(const std::vector<uint8_t>& bytes, const std::vector<int>& fds = {}) const {
        REQUIRE(send_once(client, bytes, fds) == static_cast<ssize_t>(bytes.size()));
    }
};

} // namespace

TEST_CASE("Transport delivers each message to its owner and reports the session", "[vfio_user][transport]") {
    Session s;
    CHECK(s.events.connected == 1);
    CHECK(s.transport->stats().connected);
    const int efd = new_eventfd();
    s.send(request_bytes(p::kVersion, 4, 1));
    s.send(request_bytes(p::kDeviceSetIrqs, 20, 2), {efd});
    ::close(efd);
    pump(s.io);
    REQUIRE(s.events.messages.size() == 2);
    CHECK(s.events.messages[0].id == 1);
    CHECK(s.events.messages[1].id == 2);
    CHECK(s.events.fds_seen == 1);

    ::shutdown(s.client, SHUT_WR);
    pump(s.io);
    REQUIRE(s.events.disconnects.size() == 1);
    CHECK(s.events.disconnects[0] == "dropped");
    CHECK_FALSE(s.transport->connected());
    CHECK(s.transport->stats().disconnects == 1);
    CHECK(s.transport->stats().protocol_disconnects == 0);
}

TEST_CASE("Transport drops a client whose framing is broken, and only that session", "[vfio_user][transport]") {
    Session s;
    s.send(request_bytes(p::kVersion, 4, 1));
    s.send(message_bytes(p::kRegionWrite, limits::kMaxMessageSize + 1, 0));
    pump(s.io);
    CHECK(s.events.messages.size() == 1); // the good one before it
    REQUIRE(s.events.disconnects.size() == 1);
    const TransportStats st = s.transport->stats();
    CHECK(st.protocol_disconnects == 1);
    CHECK(st.framing_errors == 1);
    CHECK_FALSE(st.connected);

    // A new client is served as before.
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    s.transport->serve(asio::local::stream_protocol::socket(s.io, asio::local::stream_protocol(), sv[0]));
    close_fd(s.client);
    s.client = sv[1];
    s.send(request_bytes(p::kVersion, 4, 9));
    pump(s.io);
    CHECK(s.events.connected == 2);
    REQUIRE(s.events.messages.size() == 2);
    CHECK(s.events.messages[1].id == 9);
}

TEST_CASE("Transport refuses a second client while one is connected", "[vfio_user][transport]") {
    Session s;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    s.transport->serve(asio::local::stream_protocol::socket(s.io, asio::local::stream_protocol(), sv[0]));
    uint8_t b;
    CHECK(::recv(sv[1], &b, 1, MSG_DONTWAIT) == 0); // closed at once
    ::close(sv[1]);
    CHECK(s.events.connected == 1);
    CHECK(s.transport->connected());
}

TEST_CASE("Transport::exchange waits for its reply and holds back requests meanwhile", "[vfio_user][transport]") {
    Session s;
    // The client's next request, then the reply: both already in the socket,
    // so the exchange completes on this one thread.
    s.send(request_bytes(p::kRegionRead, 16, 40));
    s.send(message_bytes(p::kDmaRead, sizeof(p::Header) + 3, 3, p::kFlagTypeReply, 99)); // another id: dropped
    s.send(message_bytes(p::kDmaRead, sizeof(p::Header) + 3, 3, p::kFlagTypeReply, 5));
    Message reply;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto request = bytes_of(request_header(5, p::kDmaRead, 0));
    REQUIRE(s.transport->exchange(request, deadline, reply) == Transport::Exchange::kReply);
    CHECK(reply.hdr.id == 5);
    CHECK(reply.payload.size() == 3);
    CHECK(s.events.messages.empty()); // held back ...

    MessageReader peer; // the client did get the request
    Message sent;
    std::string why;
    REQUIRE(peer.read(s.client, sent, why) == MessageReader::Status::kMessage);
    CHECK(sent.hdr.id == 5);
    CHECK(sent.hdr.command == p::kDmaRead);

    pump(s.io); // ... and delivered afterwards
    REQUIRE(s.events.messages.size() == 1);
    CHECK(s.events.messages[0].id == 40);
}

TEST_CASE("Transport::exchange gives up at the deadline or without a client", "[vfio_user][transport]") {
    Session s;
    Message reply;
    const auto request = bytes_of(request_header(1, p::kDmaRead, 0));
    const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    CHECK(s.transport->exchange(request, soon, reply) == Transport::Exchange::kNoReply);
    CHECK(s.transport->connected()); // a slow client is not dropped for it

    s.transport->disconnect("test");
    CHECK(s.events.disconnects.size() == 1);
    CHECK(s.transport->exchange(request, soon, reply) == Transport::Exchange::kGone);
}
