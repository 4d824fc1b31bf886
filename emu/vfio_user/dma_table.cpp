#include "emu/vfio_user/dma_table.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <limits>

namespace aie4emu::vfio_user {

namespace {

bool add_overflows(uint64_t a, uint64_t b) { return a > std::numeric_limits<uint64_t>::max() - b; }

size_t page_size() {
    long ps = ::sysconf(_SC_PAGESIZE);
    return ps > 0 ? static_cast<size_t>(ps) : 4096;
}

} // namespace

int DmaTable::add(uint64_t address, uint64_t size, bool readable, bool writable, int fd, uint64_t fd_offset) {
    if (size == 0 || add_overflows(address, size))
        return EINVAL;
    // The end is exclusive, so a window may not end exactly at 2^64.
    const uint64_t end = address + size;
    if (windows_.size() >= max_windows_)
        return ENOSPC;
    // Overlap with the window before or after the new start.
    auto next = windows_.lower_bound(address);
    if (next != windows_.end() && next->first < end)
        return EEXIST;
    if (next != windows_.begin()) {
        const Window& prev = std::prev(next)->second;
        if (prev.address + prev.size > address)
            return EEXIST;
    }

    Window w;
    w.address = address;
    w.size = size;
    w.readable = readable;
    w.writable = writable;
    if (fd >= 0) {
        if (add_overflows(fd_offset, size) || size > std::numeric_limits<size_t>::max() / 2)
            return EINVAL;
        // A mapping past the end of a regular file would SIGBUS on access:
        // refuse it up front.
        struct stat st {};
        if (::fstat(fd, &st) != 0)
            return errno;
        if (S_ISREG(st.st_mode) && fd_offset + size > static_cast<uint64_t>(st.st_size))
            return EINVAL;
        const uint64_t pg = page_size();
        const uint64_t aligned = fd_offset & ~(pg - 1);
        const uint64_t delta = fd_offset - aligned;
        if (aligned > static_cast<uint64_t>(std::numeric_limits<off_t>::max()))
            return EINVAL;
        const size_t length = static_cast<size_t>(size + delta);
        int prot = (readable ? PROT_READ : 0) | (writable ? PROT_WRITE : 0);
        void* p = ::mmap(nullptr, length, prot == 0 ? PROT_NONE : prot, MAP_SHARED, fd, static_cast<off_t>(aligned));
        if (p == MAP_FAILED)
            return errno;
        w.map_base = p;
        w.map_length = length;
        w.host = static_cast<uint8_t*>(p) + delta;
    }
    windows_.emplace(address, w);
    return 0;
}

int DmaTable::remove(uint64_t address, uint64_t size) {
    auto it = windows_.find(address);
    if (it == windows_.end() || it->second.size != size)
        return ENOENT;
    if (it->second.map_base)
        ::munmap(it->second.map_base, it->second.map_length);
    windows_.erase(it);
    return 0;
}

void DmaTable::clear() {
    for (auto& [addr, w] : windows_)
        if (w.map_base)
            ::munmap(w.map_base, w.map_length);
    windows_.clear();
}

bool DmaTable::resolve(uint64_t address, size_t length, bool write, std::vector<Segment>& out) const {
    out.clear();
    if (length == 0)
        return true;
    if (add_overflows(address, static_cast<uint64_t>(length) - 1))
        return false;
    uint64_t cur = address;
    uint64_t left = length;
    auto it = windows_.upper_bound(cur);
    if (it == windows_.begin())
        return false;
    --it;
    while (left > 0) {
        if (it == windows_.end())
            return false;
        const Window& w = it->second;
        if (cur < w.address || cur - w.address >= w.size)
            return false; // a hole before this window
        if (write ? !w.writable : !w.readable)
            return false;
        const uint64_t in_window = w.size - (cur - w.address);
        const uint64_t n = left < in_window ? left : in_window;
        out.push_back(Segment{cur, static_cast<size_t>(n), w.host ? w.host + (cur - w.address) : nullptr});
        left -= n;
        if (left == 0)
            break;
        cur += n; // cannot overflow: checked above
        ++it;
    }
    return true;
}

} // namespace aie4emu::vfio_user
