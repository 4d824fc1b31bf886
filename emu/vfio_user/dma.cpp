#include "emu/vfio_user/dma.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace aie4emu::vfio_user {

namespace p = proto;

DmaController::DmaController(const std::string& name, ClientChannel& client) : name_(name), client_(client) {}

// ---- DMA_MAP / DMA_UNMAP ---------------------------------------------------

Answer DmaController::map(const Message& m) {
    if (m.fds.size() > 1)
        fail(EINVAL, fmt::format("DMA_MAP with {} fds (0 or 1 allowed)", m.fds.size()));
    require_payload(m, sizeof(p::DmaMap));
    const auto req = load<p::DmaMap>(m.payload);
    if (req.argsz != sizeof(p::DmaMap))
        fail(EINVAL, fmt::format("argsz {} != {}", req.argsz, sizeof(p::DmaMap)));
    if (req.flags & ~(p::kDmaMapFlagRead | p::kDmaMapFlagWrite))
        fail(EINVAL, fmt::format("unknown flags {:#x}", req.flags));
    const int fd = m.fds.empty() ? -1 : m.fds.get(0);
    const int rc = table_.add(req.address, req.size, req.flags & p::kDmaMapFlagRead,
                              req.flags & p::kDmaMapFlagWrite, fd, req.offset);
    if (rc != 0)
        fail(rc, fmt::format("cannot map [{:#x}, +{:#x}) offset {:#x}", req.address, req.size, req.offset));
    vlog(name_, "DMA_MAP [{:#x}, +{:#x}) {}{} {}", req.address, req.size,
         (req.flags & p::kDmaMapFlagRead) ? "r" : "-", (req.flags & p::kDmaMapFlagWrite) ? "w" : "-",
         fd >= 0 ? "mmap" : "message-based");
    return {}; // the fd is closed with m; the mapping stays
}

Answer DmaController::unmap(const Message& m) {
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
        table_.clear();
    } else if (int rc = table_.remove(req.address, req.size); rc != 0) {
        fail(rc, fmt::format("no window [{:#x}, +{:#x})", req.address, req.size));
    }
    vlog(name_, "DMA_UNMAP [{:#x}, +{:#x}){}", req.address, req.size,
         (req.flags & p::kDmaUnmapFlagAll) ? " (all)" : "");
    req.argsz = sizeof(p::DmaUnmap);
    Answer a;
    append(a.payload, req);
    return a;
}

// ---- sessions and limits -----------------------------------------------------

void DmaController::begin_session() {
    client_max_xfer_ = p::kDefaultMaxDataXferSize;
    table_.set_max_windows(limits::kMaxDmaMaps);
}

size_t DmaController::end_session() {
    const size_t windows = table_.size();
    table_.clear();
    return windows;
}

void DmaController::set_client_limits(uint64_t max_data_xfer_size, uint64_t max_windows) {
    client_max_xfer_ = max_data_xfer_size;
    table_.set_max_windows(std::min<uint64_t>(max_windows, limits::kMaxDmaMaps));
}

// ---- DmaSpace ----------------------------------------------------------------

void DmaController::fault(const char* what, uint64_t addr, size_t len) {
    ++faults_;
    // A misbehaving guest can fault in a loop: log the first few and then
    // every 1024th.
    if (faults_ <= 16 || faults_ % 1024 == 0)
        vlog(name_, "DMA {} fault at [{:#x}, +{:#x}) (fault #{})", what, addr, len, faults_);
}

bool DmaController::read(uint64_t addr, void* dst, size_t len) {
    return transfer(false, addr, static_cast<uint8_t*>(dst), len);
}

bool DmaController::write(uint64_t addr, const void* src, size_t len) {
    // A write only reads from the buffer: the cast is safe.
    return transfer(true, addr, const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), len);
}

bool DmaController::transfer(bool write, uint64_t addr, uint8_t* buf, size_t len) {
    if (!table_.resolve(addr, len, write, segs_)) {
        fault(write ? "write" : "read", addr, len);
        return false;
    }
    size_t done = 0;
    const std::vector<DmaTable::Segment> pieces = segs_; // message DMA may re-enter resolve
    for (const auto& s : pieces) {
        if (s.host) {
            if (write)
                std::memcpy(s.host, buf + done, s.length);
            else
                std::memcpy(buf + done, s.host, s.length);
        } else if (!message_dma(write, s.address, buf + done, s.length)) {
            fault(write ? "write (message)" : "read (message)", s.address, s.length);
            return false;
        }
        done += s.length;
    }
    return true;
}

// ---- message-based DMA (server -> client requests) ----------------------------

bool DmaController::message_dma(bool write, uint64_t addr, uint8_t* buf, size_t len) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    const uint64_t chunk = std::min<uint64_t>(client_max_xfer_, limits::kMaxDataXferSize);
    size_t done = 0;
    while (done < len) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, len - done));
        const uint16_t id = next_request_id_++;
        const uint16_t cmd = write ? p::kDmaWrite : p::kDmaRead;
        std::vector<uint8_t> req;
        append(req, request_header(id, cmd, sizeof(p::DmaAccess) + (write ? n : 0)));
        append(req, p::DmaAccess{addr + done, n});
        if (write)
            req.insert(req.end(), buf + done, buf + done + n);
        Message reply;
        switch (client_.exchange(std::move(req), deadline, reply)) {
        case ClientChannel::Result::kReply:
            break;
        case ClientChannel::Result::kGone:
            return false;
        case ClientChannel::Result::kSendStalled:
            vlog(name_, "{} of {:#x} bytes at {:#x}: client not reading", command_name(cmd), n, addr + done);
            return false;
        case ClientChannel::Result::kNoReply:
            vlog(name_, "{} (id {}): no reply within {} ms", command_name(cmd), id, timeout_.count());
            return false;
        }
        if (reply.hdr.flags & p::kFlagError) {
            vlog(name_, "{} at {:#x}: client error {}", command_name(cmd), addr + done, reply.hdr.error);
            return false;
        }
        if (!write) {
            if (reply.payload.size() != sizeof(p::DmaAccess) + n || load<p::DmaAccess>(reply.payload).count != n) {
                vlog(name_, "DMA_READ at {:#x}: malformed reply of {} bytes", addr + done, reply.payload.size());
                return false;
            }
            std::memcpy(buf + done, reply.payload.data() + sizeof(p::DmaAccess), n);
        }
        done += n;
    }
    return true;
}

} // namespace aie4emu::vfio_user
