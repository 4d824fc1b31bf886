// What a shim DMA sees of host memory. A VF partition attaches one per column
// range; an access the mapping does not cover returns false and becomes a DMA
// fault reported by the array (never a crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace aie4emu::aie {

class HostMemory {
public:
    virtual ~HostMemory() = default;
    virtual bool read(uint64_t address, void* out, size_t bytes) = 0;
    virtual bool write(uint64_t address, const void* in, size_t bytes) = 0;
};

// A flat buffer at [base, base+size): for tests, benchmarks and the demo.
class BufferHostMemory final : public HostMemory {
public:
    BufferHostMemory(uint64_t base, size_t size) : base_(base), bytes_(size) {}
    bool read(uint64_t address, void* out, size_t n) override
    {
        if (!covers(address, n))
            return false;
        std::memcpy(out, bytes_.data() + (address - base_), n);
        return true;
    }
    bool write(uint64_t address, const void* in, size_t n) override
    {
        if (!covers(address, n))
            return false;
        std::memcpy(bytes_.data() + (address - base_), in, n);
        return true;
    }
    [[nodiscard]] uint8_t* at(uint64_t address) { return bytes_.data() + (address - base_); }
    [[nodiscard]] uint64_t base() const { return base_; }
    [[nodiscard]] size_t size() const { return bytes_.size(); }

private:
    bool covers(uint64_t a, size_t n) const { return a >= base_ && n <= bytes_.size() && a - base_ <= bytes_.size() - n; }
    uint64_t base_;
    std::vector<uint8_t> bytes_;
};

} // namespace aie4emu::aie
