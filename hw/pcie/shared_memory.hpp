// Memory that backs a plain-memory part of a BAR and can be mapped straight
// into a guest (vfio-user sparse mmap): a memfd, mapped once here so the
// device model reads and writes the same bytes the guest sees.
#pragma once

#include "hw/pcie/function.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace aie4emu::pcie {

class SharedMemory {
public:
    // `size` is rounded up to whole pages; contents start zeroed.
    // Throws std::system_error when memfd_create/ftruncate/mmap fail.
    SharedMemory(const std::string& name, size_t size);
    ~SharedMemory();
    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    [[nodiscard]] std::span<uint8_t> bytes() { return {data_, size_}; }
    [[nodiscard]] std::span<const uint8_t> bytes() const { return {data_, size_}; }
    [[nodiscard]] size_t size() const { return size_; }
    [[nodiscard]] int fd() const { return fd_; }

    // The whole memory offered at `bar_offset` of a BAR.
    [[nodiscard]] MmapArea area(uint64_t bar_offset) const;

    // Zero the contents (power-on state), keeping the mapping and the fd.
    void clear();

private:
    void release() noexcept;
    int fd_ = -1;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

} // namespace aie4emu::pcie
