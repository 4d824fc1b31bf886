// Fuzz driver for the vfio-user server's message parser and handlers.
//
// One input = one client session on a socketpair: a valid VERSION handshake,
// then the input as a list of records
//     [u8 control][u16 length, little-endian][length bytes]
// whose bytes are written to the socket as they are (so headers, sizes and
// payloads are all under the fuzzer's control). control bit 0 attaches an
// eventfd, bit 1 a 16 KiB memfd, bit 2 makes the function do a DMA read and
// write at an address taken from the record, bit 3 fires an MSI-X vector.
// The session ends with the client hanging up; the server must survive,
// detach the function, and leak no fd.
//
// Also checked: no file descriptor leaks across an input. Entry points: fuzz_main.hpp.
#include "tests/unit/vfio_user/test_support.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

uint64_t g_messages = 0; // requests handled, summed over inputs (standalone report)
uint64_t g_errors = 0;

using namespace aie4emu::vfio_user;
namespace p = proto;
namespace asio = boost::asio;

// Write everything, pumping the server while the socket is full. Returns
// false once the server has hung up.
bool write_all(asio::io_context& io, int fd, const uint8_t* data, size_t len, const std::vector<int>& fds) {
    size_t sent = 0;
    bool fds_sent = fds.empty();
    int stalls = 0;
    while (sent < len) {
        iovec iov{const_cast<uint8_t*>(data) + sent, len - sent};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        std::vector<char> cbuf;
        if (!fds_sent)
            test::attach_fds(mh, cbuf, fds);
        ssize_t n = ::sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            fds_sent = true;
            stalls = 0;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        // Socket full: let the server read, and drain its replies.
        test::pump(io, 2);
        uint8_t sink[4096];
        while (::recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
        }
        if (++stalls > 10000)
            return false; // server stopped reading (waiting for a reply we will never send)
    }
    return true;
}

void drain(int fd) {
    uint8_t sink[4096];
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 32)];
    for (;;) {
        iovec iov{sink, sizeof(sink)};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n <= 0)
            return;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            const size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; ++i) {
                int rfd;
                std::memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                ::close(rfd);
            }
        }
    }
}

void run_one(const uint8_t* data, size_t size) {
    asio::io_context io;
    test::FakeFunction fn("fuzz", 8);
    fn.record_accesses = false;
    Server server(io, "/nonexistent/fuzz.sock", fn); // never start()ed: socketpair only
    // This client never answers DMA_READ/WRITE: keep message DMA short.
    server.set_message_dma_timeout(std::chrono::milliseconds(2));
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw std::runtime_error("socketpair");
    server.serve(asio::local::stream_protocol::socket(io, asio::local::stream_protocol(), sv[0]));
    const int client = sv[1];

    // Handshake, so the fuzzer reaches the commands behind it.
    std::vector<uint8_t> hello;
    p::Header h;
    const std::string caps = R"({"capabilities":{"max_msg_fds":16,"max_data_xfer_size":65536}})";
    h.command = p::kVersion;
    h.size = static_cast<uint32_t>(sizeof(h) + sizeof(p::VersionHead) + caps.size() + 1);
    test::put(hello, h);
    test::put(hello, p::VersionHead{0, 0});
    hello.insert(hello.end(), caps.begin(), caps.end());
    hello.push_back(0);
    bool alive = write_all(io, client, hello.data(), hello.size(), {});

    size_t pos = 0;
    while (alive && pos + 3 <= size) {
        const uint8_t control = data[pos];
        const size_t len = std::min<size_t>(data[pos + 1] | (data[pos + 2] << 8), size - pos - 3);
        const uint8_t* rec = data + pos + 3;
        pos += 3 + len;

        std::vector<int> fds;
        if (control & 1)
            fds.push_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (control & 2) {
            int m = ::memfd_create("fuzz-ram", MFD_CLOEXEC);
            if (m >= 0 && ::ftruncate(m, 0x4000) == 0)
                fds.push_back(m);
            else if (m >= 0)
                ::close(m);
        }
        alive = write_all(io, client, rec, len, fds);
        for (int fd : fds)
            ::close(fd);
        test::pump(io, 3);
        drain(client);
        if ((control & 4) && fn.dma_ && len >= 8) {
            uint64_t addr;
            std::memcpy(&addr, rec, sizeof(addr));
            uint8_t buf[64];
            const size_t n = 1 + (control >> 4);
            (void)fn.dma_->read(addr, buf, n);
            (void)fn.dma_->write(addr, buf, n);
        }
        if ((control & 8) && fn.irq_)
            fn.irq_->msix_fire(len > 0 ? rec[0] : 0);
    }
    ::shutdown(client, SHUT_WR);
    for (int i = 0; i < 50 && server.stats().connected; ++i) {
        test::pump(io, 2);
        drain(client);
    }
    ::close(client);
    server.disconnect_client();
    g_messages += server.stats().messages;
    g_errors += server.stats().errors;
    if (fn.dma_ != nullptr || fn.irq_ != nullptr || server.stats().dma_windows != 0)
        std::abort(); // a disconnect must detach the function and unmap everything
}

} // namespace

const char* fuzz_name() { return "vfio_user"; }

void fuzz_init() {}

void fuzz_one(const uint8_t* data, size_t size)
{
    const size_t fds_before = test::open_fd_count();
    run_one(data, size);
    if (test::open_fd_count() != fds_before) {
        std::fprintf(stderr, "fuzz-vfio_user: INVARIANT BROKEN: fd leak (%zu open before the input, %zu after)\n",
                     fds_before, test::open_fd_count());
        std::abort();
    }
}

// Random records whose bytes are mostly well-formed headers, so the handlers (not just the
// framing) see the noise.
std::vector<uint8_t> fuzz_random_input(std::mt19937& rng)
{
    std::vector<uint8_t> in;
    const int records = 1 + static_cast<int>(rng() % 12);
    for (int r = 0; r < records; ++r) {
        const uint16_t payload = static_cast<uint16_t>(rng() % 48);
        p::Header h;
        h.id = static_cast<uint16_t>(rng());
        h.command = static_cast<uint16_t>(rng() % 20);
        h.size = static_cast<uint32_t>(sizeof(h) + payload);
        if (rng() % 16 == 0)
            h.size = static_cast<uint32_t>(rng()); // broken framing, ends the session
        h.flags = (rng() % 8 == 0) ? static_cast<uint32_t>(rng()) : 0;
        std::vector<uint8_t> rec;
        test::put(rec, h);
        for (int k = 0; k < payload; ++k)
            rec.push_back(static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 16));
        in.push_back(static_cast<uint8_t>(rng()));
        in.push_back(static_cast<uint8_t>(rec.size() & 0xff));
        in.push_back(static_cast<uint8_t>(rec.size() >> 8));
        in.insert(in.end(), rec.begin(), rec.end());
    }
    return in;
}

std::string fuzz_summary()
{
    return "ok: " + std::to_string(g_messages) + " requests handled, " + std::to_string(g_errors) +
           " refused, no fd leaked";
}

#include "tests/fuzz/fuzz_main.hpp"
