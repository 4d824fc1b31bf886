#pragma once
// Little-endian field access on raw byte buffers (guest memory, ELF files). The guest and
// device are both little-endian x86; going through memcpy keeps the accesses free of
// alignment and aliasing assumptions.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace aie4emu::guest {

template <typename T>
T load_le(std::span<const std::uint8_t> bytes, std::size_t offset)
{
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

template <typename T>
void store_le(std::span<std::uint8_t> bytes, std::size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

inline bool range_ok(std::size_t total, std::size_t offset, std::size_t length)
{
    return offset <= total && length <= total - offset;
}

} // namespace aie4emu::guest
