#include "firmware-stub/image_format.hpp"

#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace aie4emu::fw::image {

namespace {

constexpr std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = make_crc_table();

uint32_t get32(std::span<const uint8_t> b, uint32_t off)
{
    uint32_t v = 0;
    std::memcpy(&v, b.data() + off, 4);
    return v;
}
uint16_t get16(std::span<const uint8_t> b, uint32_t off)
{
    uint16_t v = 0;
    std::memcpy(&v, b.data() + off, 2);
    return v;
}
void put32(std::vector<uint8_t>& b, uint32_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void put16(std::vector<uint8_t>& b, uint32_t off, uint16_t v) { std::memcpy(b.data() + off, &v, 2); }

} // namespace

std::string_view kind_name(ImageKind kind)
{
    switch (kind) {
    case ImageKind::npu: return "npu";
    case ImageKind::cert: return "cert";
    }
    return "?";
}

std::optional<ImageKind> parse_kind(std::string_view name)
{
    if (name == "npu")
        return ImageKind::npu;
    if (name == "cert")
        return ImageKind::cert;
    return std::nullopt;
}

std::string_view error_name(ImageError e)
{
    switch (e) {
    case ImageError::none: return "ok";
    case ImageError::truncated: return "truncated";
    case ImageError::bad_magic: return "bad magic";
    case ImageError::bad_version: return "unsupported format version";
    case ImageError::bad_header_size: return "bad header size";
    case ImageError::bad_reserved: return "reserved bytes not zero";
    case ImageError::too_large: return "payload too large";
    case ImageError::bad_kind: return "wrong kind";
    case ImageError::bad_checksum: return "checksum mismatch";
    }
    return "?";
}

uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes)
{
    for (uint8_t b : bytes)
        crc = kCrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
    return crc;
}

uint32_t crc32(std::span<const uint8_t> bytes) { return crc32_final(crc32_update(kCrcInit, bytes)); }

uint8_t payload_byte(ImageKind kind, uint32_t build_id, uint32_t i)
{
    // A cheap integer hash of (kind, build id, index): deterministic, not all
    // one value, so a flipped byte anywhere changes the CRC.
    uint32_t x = i * 0x9E3779B1u ^ build_id * 0x85EBCA77u ^ static_cast<uint32_t>(kind) * 0xC2B2AE3Du;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    return static_cast<uint8_t>(x);
}

uint32_t header_crc(std::span<const uint8_t> header_bytes)
{
    std::array<uint8_t, kHeaderSize> h{};
    std::memcpy(h.data(), header_bytes.data(), kHeaderSize);
    std::memset(h.data() + kOffChecksum, 0, 4);
    return crc32_update(kCrcInit, h);
}

std::vector<uint8_t> build_image(ImageKind kind, uint32_t build_id, uint32_t payload_bytes, bool corrupt_checksum)
{
    if (payload_bytes > kMaxPayloadSize)
        throw std::invalid_argument(
            fmt::format("payload of {} bytes exceeds the {} byte limit", payload_bytes, kMaxPayloadSize));
    std::vector<uint8_t> f(kHeaderSize + payload_bytes, 0);
    put32(f, kOffMagic, kMagic);
    put16(f, kOffFormatVersion, kFormatVersion);
    put16(f, kOffKind, static_cast<uint16_t>(kind));
    put32(f, kOffBuildId, build_id);
    put32(f, kOffHeaderSize, kHeaderSize);
    put32(f, kOffPayloadSize, payload_bytes);
    for (uint32_t i = 0; i < payload_bytes; ++i)
        f[kHeaderSize + i] = payload_byte(kind, build_id, i);
    uint32_t crc = header_crc(f);
    crc = crc32_final(crc32_update(crc, std::span<const uint8_t>(f).subspan(kHeaderSize)));
    if (corrupt_checksum)
        crc ^= 0x5A5A5A5A;
    put32(f, kOffChecksum, crc);
    return f;
}

ImageError decode_header(std::span<const uint8_t> bytes, ImageHeader& out)
{
    if (bytes.size() < kHeaderSize)
        return ImageError::truncated;
    out.magic = get32(bytes, kOffMagic);
    out.format_version = get16(bytes, kOffFormatVersion);
    out.kind = get16(bytes, kOffKind);
    out.build_id = get32(bytes, kOffBuildId);
    out.header_size = get32(bytes, kOffHeaderSize);
    out.payload_size = get32(bytes, kOffPayloadSize);
    out.checksum = get32(bytes, kOffChecksum);
    out.reserved_zero = true;
    for (uint32_t i = kOffReserved; i < kHeaderSize; ++i)
        out.reserved_zero = out.reserved_zero && bytes[i] == 0;
    if (out.magic != kMagic)
        return ImageError::bad_magic;
    if (out.format_version != kFormatVersion)
        return ImageError::bad_version;
    if (out.header_size != kHeaderSize)
        return ImageError::bad_header_size;
    if (!out.reserved_zero)
        return ImageError::bad_reserved;
    if (out.payload_size > kMaxPayloadSize)
        return ImageError::too_large;
    return ImageError::none;
}

ImageError validate(std::span<const uint8_t> file, ImageKind expected_kind)
{
    ImageHeader h;
    if (const ImageError e = decode_header(file, h); e != ImageError::none)
        return e;
    if (file.size() < uint64_t{kHeaderSize} + h.payload_size)
        return ImageError::truncated;
    if (h.kind != static_cast<uint16_t>(expected_kind))
        return ImageError::bad_kind;
    const uint32_t crc =
        crc32_final(crc32_update(header_crc(file), file.subspan(kHeaderSize, h.payload_size)));
    return crc == h.checksum ? ImageError::none : ImageError::bad_checksum;
}

} // namespace aie4emu::fw::image
