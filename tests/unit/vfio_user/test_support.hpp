// Test helpers for the vfio-user server: a fake PCI function that records
// what reaches it, and a small blocking client that pumps the server's
// io_context while it waits (the server runs on the test thread).
#pragma once

#include <sys/socket.h>

#include "emu/vfio_user/protocol.hpp"
#include "emu/vfio_user/server.hpp"
#include "hw/pcie/function.hpp"

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace aie4emu::vfio_user::test {

namespace p = proto;

// A function with config space in an array, BAR0 (64 KiB, two mmap areas
// on one memfd), BAR2 (4 KiB, 64-bit, no mmap), BAR3 the upper half of
// BAR2, the rest absent; every access recorded.
class FakeFunction : public pcie::Function {
public:
    struct Access {
        bool config = false;
        unsigned bar = 0;
        uint64_t offset = 0;
        unsigned size = 0;
        uint64_t value = 0;
        bool write = false;
        bool operator==(const Access&) const = default;
    };

    explicit FakeFunction(std::string name, unsigned vectors = 8);
    ~FakeFunction() override;

    const std::string& name() const override { return name_; }
    uint32_t config_read(uint32_t offset, unsigned size) override;
    void config_write(uint32_t offset, unsigned size, uint32_t value) override;
    pcie::BarInfo bar_info(unsigned bar) const override;
    uint64_t bar_read(unsigned bar, uint64_t offset, unsigned size) override;
    void bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;
    unsigned msix_vectors() const override { return vectors_; }
    void attach(pcie::DmaSpace* dma, pcie::InterruptSink* irq) override {
        dma_ = dma;
        irq_ = irq;
        ++attach_calls;
    }
    void set_vector_masked(unsigned vector, bool masked) override { mask_calls.emplace_back(vector, masked); }
    void reset() override { ++resets; }

    // BAR reads return this pattern so the test can predict them.
    static uint64_t pattern(uint64_t offset, unsigned size);

    std::string name_;
    unsigned vectors_;
    std::array<uint8_t, 4096> cfg{};
    std::vector<Access> accesses;
    // The fuzz driver turns this off: one region message of 64 KiB is 16,384 calls, and
    // growing the log was half of that driver's time.
    bool record_accesses = true;
    std::vector<std::pair<unsigned, bool>> mask_calls;
    int resets = 0;
    int attach_calls = 0;
    pcie::DmaSpace* dma_ = nullptr;
    pcie::InterruptSink* irq_ = nullptr;
    int bar0_memfd = -1; // 0x10000 bytes

private:
    void record(const Access& a) {
        if (record_accesses)
            accesses.push_back(a);
    }
};

struct Reply {
    p::Header hdr;
    std::vector<uint8_t> payload;
    std::vector<int> fds; // owned by the Reply
    Reply() = default;
    Reply(Reply&& o) noexcept : hdr(o.hdr), payload(std::move(o.payload)), fds(std::move(o.fds)) { o.fds.clear(); }
    Reply& operator=(Reply&& o) noexcept {
        if (this != &o) {
            close_fds();
            hdr = o.hdr;
            payload = std::move(o.payload);
            fds = std::move(o.fds);
            o.fds.clear();
        }
        return *this;
    }
    void close_fds();
    ~Reply();
    [[nodiscard]] bool is_error() const { return (hdr.flags & p::kFlagError) != 0; }
    template <typename T>
    T at(size_t off = 0) const {
        T t{};
        std::memcpy(&t, payload.data() + off, sizeof(T));
        return t;
    }
};

class Client {
public:
    // Connect to a listening server's socket path.
    Client(boost::asio::io_context& io, const std::string& path);
    // Adopt a connected fd (socketpair end).
    Client(boost::asio::io_context& io, int fd) : io_(io), fd_(fd) {}
    ~Client() { close(); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void close();
    [[nodiscard]] int fd() const { return fd_; }

    // Raw bytes (+ fds, borrowed) in one sendmsg.
    void send_raw(const std::vector<uint8_t>& bytes, const std::vector<int>& fds = {});
    // A request with a correct header.
    void send(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds = {},
              uint32_t flags = 0, uint16_t id = 0);
    // Next message from the server, pumping the io_context; nullopt on EOF
    // or timeout.
    std::optional<Reply> recv(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    // send + recv, checking that the reply matches the request.
    Reply request(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds = {});
    // True once the server has closed the connection.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    // Does the server say anything within `ms`?
    bool silent_for(std::chrono::milliseconds ms);

    void handshake();

    uint16_t next_id = 100;

private:
    bool read_exact(void* buf, size_t n, std::vector<int>* fds, std::chrono::steady_clock::time_point deadline,
                    bool& eof);
    boost::asio::io_context& io_;
    int fd_ = -1;
};

template <typename T>
void put(std::vector<uint8_t>& v, const T& t) {
    append(v, t); // emu/vfio_user/message.hpp
}

template <typename T>
std::vector<uint8_t> bytes_of(const T& t) {
    std::vector<uint8_t> v;
    put(v, t);
    return v;
}

// A received message as the transport would hand it over, for testing a
// piece without a socket: a request header for `payload`, and `fds` (now
// owned by the Message, closed with it).
Message make_message(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds = {},
                     uint32_t flags = 0, uint16_t id = 1);

// Request payloads, as a client builds them.
std::vector<uint8_t> region_info_req(uint32_t index, uint32_t argsz = sizeof(p::RegionInfo));
std::vector<uint8_t> region_rw(uint32_t region, uint64_t offset, uint32_t count, const std::vector<uint8_t>& data = {});
std::vector<uint8_t> irq_set(uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
                             const std::vector<uint8_t>& data = {});
std::vector<uint8_t> dma_map_req(uint64_t addr, uint64_t size, uint64_t offset, uint32_t flags);
std::vector<uint8_t> dma_unmap_req(uint64_t addr, uint64_t size, uint32_t flags = 0);

// The errno a piece's handler refuses with (RequestError), 0 if `f` returns.
template <typename F>
int refusal(F&& f) {
    try {
        f();
    } catch (const RequestError& e) {
        return e.err;
    }
    return 0;
}

// `bytes` with `fds` (borrowed) in one sendmsg on `fd`; the number of bytes
// sent, or -1. For tests that need a message to arrive in one piece.
ssize_t send_once(int fd, const std::vector<uint8_t>& bytes, const std::vector<int>& fds = {});

// Pump the io_context without blocking.
void pump(boost::asio::io_context& io, int rounds = 5);

// Attach `fds` to `mh` as one SCM_RIGHTS control message; `cbuf` holds it and must outlive
// the sendmsg call. No-op for an empty list.
void attach_fds(msghdr& mh, std::vector<char>& cbuf, const std::vector<int>& fds);

// Number of open fds in this process (leak checks).
size_t open_fd_count();

// A fresh directory under /tmp for socket files; removed by the destructor.
struct TempDir {
    TempDir();
    ~TempDir();
    std::string path;
};

} // namespace aie4emu::vfio_user::test
