#include "emu/vfio_user/message.hpp"

#include <unistd.h>

#include <cerrno>

namespace aie4emu::vfio_user {

namespace p = proto;

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

FdList& FdList::operator=(FdList&& o) noexcept {
    if (this != &o) {
        reset();
        fds_ = std::move(o.fds_);
        o.fds_.clear();
    }
    return *this;
}

void FdList::reset() {
    for (int& fd : fds_)
        close_fd(fd);
    fds_.clear();
}

void require_no_fds(const Message& m) {
    if (!m.fds.empty())
        fail(EINVAL, fmt::format("{} fds passed with a command that takes none", m.fds.size()));
}

void require_payload(const Message& m, size_t size) {
    if (m.payload.size() != size)
        fail(EINVAL, fmt::format("payload is {} bytes, expected {}", m.payload.size(), size));
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

p::Header request_header(uint16_t id, uint16_t command, size_t payload) {
    p::Header h;
    h.id = id;
    h.command = command;
    h.size = static_cast<uint32_t>(sizeof(p::Header) + payload);
    h.flags = p::kFlagTypeRequest;
    return h;
}

} // namespace aie4emu::vfio_user
