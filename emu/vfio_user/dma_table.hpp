// The DMA windows a vfio-user client has granted (DMA_MAP / DMA_UNMAP) and
// the lookup that turns a device bus-master access into host memory.
//
// A window backed by a passed fd is mmap()ed once and accessed directly; a
// window without an fd is "message based": the server must ask the client
// with DMA_READ / DMA_WRITE messages (the caller does that, this table only
// says which part of an access goes where). No socket code here, so the
// table can be tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace aie4emu::vfio_user {

class DmaTable {
public:
    struct Window {
        uint64_t address = 0; // DMA address of the first byte
        uint64_t size = 0;
        bool readable = false;
        bool writable = false;
        uint8_t* host = nullptr; // nullptr: message based
        void* map_base = nullptr; // what munmap() needs (page-aligned start)
        size_t map_length = 0;
    };

    // A piece of one access, inside exactly one window.
    struct Segment {
        uint64_t address = 0;
        size_t length = 0;
        uint8_t* host = nullptr; // nullptr: message based
    };

    explicit DmaTable(size_t max_windows = 65535) : max_windows_(max_windows) {}
    ~DmaTable() { clear(); }
    DmaTable(const DmaTable&) = delete;
    DmaTable& operator=(const DmaTable&) = delete;

    // Add a window. `fd` is borrowed (the caller closes it; the mapping
    // outlives it); fd < 0 makes a message-based window. Returns 0 or an
    // errno: EINVAL (bad size/flags/offset, fd too short), EEXIST (overlaps
    // an existing window), ENOSPC (too many windows), or mmap()'s errno.
    [[nodiscard]] int add(uint64_t address, uint64_t size, bool readable, bool writable, int fd,
                          uint64_t fd_offset);

    // Remove the window that starts at `address` and is exactly `size` long.
    // Returns 0 or ENOENT.
    [[nodiscard]] int remove(uint64_t address, uint64_t size);

    void clear();

    // Split [address, address + length) into segments over adjacent windows.
    // False (and `out` unspecified) unless every byte is inside a window
    // that allows the access. length 0 always succeeds with no segments.
    [[nodiscard]] bool resolve(uint64_t address, size_t length, bool write, std::vector<Segment>& out) const;

    [[nodiscard]] size_t size() const { return windows_.size(); }
    [[nodiscard]] size_t max_windows() const { return max_windows_; }
    void set_max_windows(size_t n) { max_windows_ = n; }
    [[nodiscard]] const std::map<uint64_t, Window>& windows() const { return windows_; }

private:
    std::map<uint64_t, Window> windows_; // keyed by address
    size_t max_windows_;
};

} // namespace aie4emu::vfio_user
