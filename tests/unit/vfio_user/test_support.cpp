#include "tests/unit/vfio_user/test_support.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>

namespace aie4emu::vfio_user::test {

FakeFunction::FakeFunction(std::string name, unsigned vectors) : name_(std::move(name)), vectors_(vectors) {
    // Vendor/device id so config reads have something to show.
    cfg[0] = 0x22;
    cfg[1] = 0x10;
    cfg[2] = 0xb0;
    cfg[3] = 0x17;
    bar0_memfd = ::memfd_create("fake-bar0", MFD_CLOEXEC);
    if (bar0_memfd < 0 || ::ftruncate(bar0_memfd, 0x10000) != 0)
        throw std::runtime_error("memfd_create failed");
}

FakeFunction::~FakeFunction() {
    if (bar0_memfd >= 0)
        ::close(bar0_memfd);
}

uint32_t FakeFunction::config_read(uint32_t offset, unsigned size) {
    if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset + size > cfg.size()) {
        record(Access{true, 0, offset, size, 0, false});
        return 0xffffffffu;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= static_cast<uint32_t>(cfg[offset + i]) << (8 * i);
    record(Access{true, 0, offset, size, v, false});
    return v;
}

void FakeFunction::config_write(uint32_t offset, unsigned size, uint32_t value) {
    record(Access{true, 0, offset, size, value, true});
    if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset + size > cfg.size())
        return;
    for (unsigned i = 0; i < size; ++i)
        cfg[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

pcie::BarInfo FakeFunction::bar_info(unsigned bar) const {
    pcie::BarInfo b;
    if (bar == 0) {
        b.size = 0x10000;
        b.mmap_areas.push_back(pcie::MmapArea{0x2000, 0x2000, bar0_memfd, 0x3000});
        b.mmap_areas.push_back(pcie::MmapArea{0x8000, 0x1000, bar0_memfd, 0x9000});
    } else if (bar == 2) {
        b.size = 0x1000;
        b.mem64 = true;
    }
    return b;
}

uint64_t FakeFunction::pattern(uint64_t offset, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= static_cast<uint64_t>((offset + i) & 0xff) << (8 * i);
    return v;
}

uint64_t FakeFunction::bar_read(unsigned bar, uint64_t offset, unsigned size) {
    const uint64_t v = pattern(offset, size);
    record(Access{false, bar, offset, size, v, false});
    return v;
}

void FakeFunction::bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) {
    record(Access{false, bar, offset, size, value, true});
}

Reply::~Reply() { close_fds(); }

void Reply::close_fds() {
    for (int fd : fds)
        if (fd >= 0)
            ::close(fd);
    fds.clear();
}

Client::Client(boost::asio::io_context& io, const std::string& path) : io_(io) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
        throw std::runtime_error("connect failed: " + path);
}

void Client::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

void attach_fds(msghdr& mh, std::vector<char>& cbuf, const std::vector<int>& fds) {
    if (fds.empty())
        return;
    cbuf.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
    mh.msg_control = cbuf.data();
    mh.msg_controllen = cbuf.size();
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
}

void Client::send_raw(const std::vector<uint8_t>& bytes, const std::vector<int>& fds) {
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<char> cbuf;
    attach_fds(mh, cbuf, fds);
    size_t sent = 0;
    while (sent < bytes.size() || (bytes.empty() && sent == 0)) {
        iov.iov_base = const_cast<uint8_t*>(bytes.data()) + sent;
        iov.iov_len = bytes.size() - sent;
        ssize_t n = ::sendmsg(fd_, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN) {
                pump(io_, 1);
                continue;
            }
            throw std::runtime_error(std::string("sendmsg: ") + std::strerror(errno));
        }
        mh.msg_control = nullptr; // fds go with the first chunk only
        mh.msg_controllen = 0;
        sent += static_cast<size_t>(n);
        if (bytes.empty())
            break;
    }
}

void Client::send(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds,
                  uint32_t flags, uint16_t id) {
    p::Header h;
    h.id = id;
    h.command = command;
    h.size = static_cast<uint32_t>(sizeof(h) + payload.size());
    h.flags = flags;
    std::vector<uint8_t> b;
    put(b, h);
    b.insert(b.end(), payload.begin(), payload.end());
    send_raw(b, fds);
}

void pump(boost::asio::io_context& io, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        io.restart();
        io.poll();
    }
}

bool Client::read_exact(void* buf, size_t n, std::vector<int>* fds, std::chrono::steady_clock::time_point deadline,
                        bool& eof) {
    size_t got = 0;
    eof = false;
    while (got < n) {
        pump(io_, 1);
        iovec iov{static_cast<uint8_t*>(buf) + got, n - got};
        alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 32)];
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        ssize_t r = ::recvmsg(fd_, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (r > 0) {
            for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                    continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; ++i) {
                    int fd;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    if (fds)
                        fds->push_back(fd);
                    else
                        ::close(fd);
                }
            }
            got += static_cast<size_t>(r);
            continue;
        }
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            eof = true;
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        ::usleep(200);
    }
    return true;
}

std::optional<Reply> Client::recv(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Reply r;
    bool eof = false;
    if (!read_exact(&r.hdr, sizeof(r.hdr), &r.fds, deadline, eof))
        return std::nullopt;
    if (r.hdr.size < sizeof(r.hdr))
        throw std::runtime_error("server sent a message smaller than its header");
    r.payload.resize(r.hdr.size - sizeof(r.hdr));
    if (!r.payload.empty() && !read_exact(r.payload.data(), r.payload.size(), &r.fds, deadline, eof))
        return std::nullopt;
    return r;
}

Reply Client::request(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds) {
    const uint16_t id = next_id++;
    send(command, payload, fds, 0, id);
    auto r = recv();
    if (!r)
        throw std::runtime_error("no reply");
    if (r->hdr.id != id || r->hdr.command != command || (r->hdr.flags & p::kFlagTypeMask) != p::kFlagTypeReply)
        throw std::runtime_error("reply does not match the request");
    return std::move(*r);
}

bool Client::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        uint8_t b[256];
        bool eof = false;
        // Discard anything still queued; EOF is what we wait for.
        if (!read_exact(b, 1, nullptr, deadline, eof)) {
            if (eof)
                return true;
            if (std::chrono::steady_clock::now() > deadline)
                return false;
        }
    }
}

bool Client::silent_for(std::chrono::milliseconds ms) {
    const auto deadline = std::chrono::steady_clock::now() + ms;
    while (std::chrono::steady_clock::now() < deadline) {
        pump(io_, 1);
        uint8_t b;
        ssize_t r = ::recv(fd_, &b, 1, MSG_DONTWAIT | MSG_PEEK);
        if (r >= 0)
            return false; // data or EOF
        ::usleep(500);
    }
    return true;
}

void Client::handshake() {
    std::vector<uint8_t> payload;
    put(payload, p::VersionHead{0, 0});
    const std::string caps =
        R"({"capabilities":{"max_msg_fds":16,"max_data_xfer_size":1048576,"pgsizes":4096,)"
        R"("max_dma_maps":65535,"migration":{"pgsize":4096,"max_bitmap_size":1048576},"write_multiple":true}})";
    payload.insert(payload.end(), caps.begin(), caps.end());
    payload.push_back(0);
    Reply r = request(p::kVersion, payload);
    if (r.is_error())
        throw std::runtime_error("VERSION refused");
}

std::vector<uint8_t> region_info_req(uint32_t index, uint32_t argsz) {
    p::RegionInfo r;
    r.argsz = argsz;
    r.index = index;
    return bytes_of(r);
}

std::vector<uint8_t> region_rw(uint32_t region, uint64_t offset, uint32_t count, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> v = bytes_of(p::RegionAccess{offset, region, count});
    v.insert(v.end(), data.begin(), data.end());
    return v;
}

std::vector<uint8_t> irq_set(uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
                             const std::vector<uint8_t>& data) {
    p::IrqSet s;
    s.argsz = static_cast<uint32_t>(sizeof(s) + data.size());
    s.flags = flags;
    s.index = index;
    s.start = start;
    s.count = count;
    std::vector<uint8_t> v = bytes_of(s);
    v.insert(v.end(), data.begin(), data.end());
    return v;
}

std::vector<uint8_t> dma_map_req(uint64_t addr, uint64_t size, uint64_t offset, uint32_t flags) {
    p::DmaMap m;
    m.argsz = sizeof(m);
    m.flags = flags;
    m.offset = offset;
    m.address = addr;
    m.size = size;
    return bytes_of(m);
}

std::vector<uint8_t> dma_unmap_req(uint64_t addr, uint64_t size, uint32_t flags) {
    p::DmaUnmap u;
    u.argsz = sizeof(u);
    u.flags = flags;
    u.address = addr;
    u.size = size;
    return bytes_of(u);
}

ssize_t send_once(int fd, const std::vector<uint8_t>& bytes, const std::vector<int>& fds) {
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<char> cbuf;
    attach_fds(mh, cbuf, fds);
    return ::sendmsg(fd, &mh, MSG_NOSIGNAL);
}

Message make_message(uint16_t command, const std::vector<uint8_t>& payload, const std::vector<int>& fds,
                     uint32_t flags, uint16_t id) {
    Message m;
    m.hdr.id = id;
    m.hdr.command = command;
    m.hdr.size = static_cast<uint32_t>(sizeof(m.hdr) + payload.size());
    m.hdr.flags = flags;
    m.payload = payload;
    for (int fd : fds)
        m.fds.push(fd);
    return m;
}

size_t open_fd_count() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/aie4vfu-XXXXXX";
    if (!::mkdtemp(tmpl))
        throw std::runtime_error("mkdtemp failed");
    path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

} // namespace aie4emu::vfio_user::test
