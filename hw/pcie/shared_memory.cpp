#include "hw/pcie/shared_memory.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace aie4emu::pcie {

namespace {
size_t page_size()
{
    const long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<size_t>(p) : size_t{4096};
}
} // namespace

SharedMemory::SharedMemory(const std::string& name, size_t size)
{
    const size_t page = page_size();
    size_ = size == 0 ? page : (size + page - 1) / page * page;
    fd_ = memfd_create(name.c_str(), MFD_CLOEXEC);
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "memfd_create " + name);
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        const int err = errno;
        release();
        throw std::system_error(err, std::generic_category(), "ftruncate " + name);
    }
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) {
        const int err = errno;
        release();
        throw std::system_error(err, std::generic_category(), "mmap " + name);
    }
    data_ = static_cast<uint8_t*>(p);
}

SharedMemory::~SharedMemory() { release(); }

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0))
{
}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept
{
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MmapArea SharedMemory::area(uint64_t bar_offset) const
{
    return MmapArea{bar_offset, size_, fd_, 0};
}

void SharedMemory::clear()
{
    if (data_ != nullptr)
        std::memset(data_, 0, size_);
}

void SharedMemory::release() noexcept
{
    if (data_ != nullptr)
        munmap(data_, size_);
    if (fd_ >= 0)
        close(fd_);
    data_ = nullptr;
    fd_ = -1;
    size_ = 0;
}

} // namespace aie4emu::pcie
