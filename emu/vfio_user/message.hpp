// What the pieces of the vfio-user server share: one received message with
// the file descriptors that came with it, the limits the server advertises,
// the error a request handler throws, and the byte helpers that build and
// read payloads. Kept apart from every piece so transport, dispatch, DMA and
// interrupts each depend on this vocabulary only, never on each other.
#pragma once

#include "emu/vfio_user/protocol.hpp"
#include "hw/sim/log.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace aie4emu::vfio_user {

// Limits this server advertises in its VERSION reply and enforces.
namespace limits {
inline constexpr uint64_t kMaxMsgFds = 16;            // fds we accept in one message
inline constexpr uint64_t kMaxDataXferSize = 1 << 20; // REGION_READ/WRITE count
inline constexpr uint64_t kMaxDmaMaps = 65535;
inline constexpr uint64_t kPgsizes = 4096;
// Largest request we read: REGION_WRITE with kMaxDataXferSize of data.
inline constexpr uint32_t kMaxMessageSize = 16 + 16 + kMaxDataXferSize;
// Stop reading requests while this much reply data waits to be sent.
inline constexpr size_t kMaxQueuedReplyBytes = 8u << 20;
inline constexpr std::chrono::milliseconds kMessageDmaTimeout{5000};
} // namespace limits

// Logging: the shared logger, category "vfio", one line per event naming
// the function. The server has no view of simulated time, so lines carry
// t=0. Formatting happens only when the category is enabled.
template <typename... Args>
void vlog(const std::string& function, fmt::format_string<Args...> f, Args&&... args) {
    if (log::on(log::Category::vfio))
        log::write(log::Category::vfio, function, 0, fmt::format(f, std::forward<Args>(args)...));
}

// Close `fd` if open and mark it closed.
void close_fd(int& fd);

// Received file descriptors: whatever is not taken is closed.
class FdList {
public:
    FdList() = default;
    ~FdList() { reset(); }
    FdList(FdList&& o) noexcept : fds_(std::move(o.fds_)) { o.fds_.clear(); }
    FdList& operator=(FdList&& o) noexcept;
    FdList(const FdList&) = delete;
    FdList& operator=(const FdList&) = delete;

    void push(int fd) { fds_.push_back(fd); }
    [[nodiscard]] size_t size() const { return fds_.size(); }
    [[nodiscard]] bool empty() const { return fds_.empty(); }
    [[nodiscard]] int get(size_t i) const { return fds_[i]; }
    int take(size_t i) { return std::exchange(fds_[i], -1); }
    void reset();

private:
    std::vector<int> fds_;
};

// One whole message as read off the socket.
struct Message {
    proto::Header hdr;
    std::vector<uint8_t> payload;
    FdList fds;
    bool fds_truncated = false; // the kernel dropped fds that did not fit
};

// What a request handler answers with: the reply payload (the header is
// built by the dispatcher) and fds to pass with it (borrowed: the sender
// duplicates them).
struct Answer {
    std::vector<uint8_t> payload;
    std::vector<int> fds;
};

// Thrown by a request handler: answered with an error reply.
struct RequestError {
    int err;
    std::string why;
};

[[noreturn]] inline void fail(int err, std::string why) { throw RequestError{err, std::move(why)}; }

// Checks every handler makes on its request.
void require_no_fds(const Message& m);
void require_payload(const Message& m, size_t size);

// The command's name for log lines ("unknown" for numbers outside the protocol).
const char* command_name(uint16_t command);

template <typename T>
T load(const std::vector<uint8_t>& v, size_t at = 0) {
    T t{};
    std::memcpy(&t, v.data() + at, sizeof(T));
    return t;
}

template <typename T>
void append(std::vector<uint8_t>& v, const T& t) {
    const size_t at = v.size();
    v.resize(at + sizeof(T));
    std::memcpy(v.data() + at, &t, sizeof(T));
}

// A request header for a message of `payload` bytes.
proto::Header request_header(uint16_t id, uint16_t command, size_t payload);

} // namespace aie4emu::vfio_user
