// Our own firmware image format ("aie4emu stub image"), what the PSP stub
// validates for PSP_VALIDATE (kind npu) and PSP_VALIDATE_CERT (kind cert).
// The real npu.dev.sbin / cert.dev.sbin formats are not public and the driver
// never parses the files (docs/spec/driver-interface.md §2.3), so this is entirely an
// emulator choice. Images are made by `aie4-mkfw`.
//
// Layout (little-endian), header of kHeaderSize bytes then the payload:
//   +0  u32 magic           kMagic ("A4FW" as bytes)
//   +4  u16 format_version  kFormatVersion
//   +6  u16 kind            ImageKind
//   +8  u32 build_id        free-form, reported in logs
//   +12 u32 header_size     kHeaderSize
//   +16 u32 payload_size    bytes after the header
//   +20 u32 checksum        CRC-32 (IEEE 802.3: reflected, poly 0xEDB88320,
//                           init and final xor 0xFFFFFFFF) over the header with
//                           this field read as 0, followed by the payload
//   +24 .. +63 reserved     must be 0
// Payload: deterministic filler (payload_byte()), so images of the same
// kind, build id and size are byte-identical.
// The file must stay under 4 MiB: the driver kmallocs ALIGN(size, 64K) + 64K.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace aie4emu::fw::image {

inline constexpr uint32_t kMagic = 0x57463441;     // 'A','4','F','W'
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr uint32_t kHeaderSize = 64;
inline constexpr uint32_t kOffMagic = 0, kOffFormatVersion = 4, kOffKind = 6, kOffBuildId = 8, kOffHeaderSize = 12,
                          kOffPayloadSize = 16, kOffChecksum = 20, kOffReserved = 24;
// Largest file the driver can load (aie_psp.c: kmalloc(ALIGN(sz, 64K) + 64K)
// must stay within the 4 MiB kmalloc limit).
inline constexpr uint32_t kMaxFileSize = 4 * 1024 * 1024 - 2 * 0x10000;
inline constexpr uint32_t kMaxPayloadSize = kMaxFileSize - kHeaderSize;
inline constexpr uint32_t kDefaultPayloadSize = 16 * 1024 - kHeaderSize;   // 16 KiB files

enum class ImageKind : uint16_t { npu = 1, cert = 2 };
[[nodiscard]] std::string_view kind_name(ImageKind kind);
[[nodiscard]] std::optional<ImageKind> parse_kind(std::string_view name);

struct ImageHeader {
    uint32_t magic = kMagic;
    uint16_t format_version = kFormatVersion;
    uint16_t kind = 0;
    uint32_t build_id = 0;
    uint32_t header_size = kHeaderSize;
    uint32_t payload_size = 0;
    uint32_t checksum = 0;
    bool reserved_zero = true;
};

enum class ImageError { none, truncated, bad_magic, bad_version, bad_header_size, bad_reserved, too_large, bad_kind,
                        bad_checksum };
[[nodiscard]] std::string_view error_name(ImageError e);

// Incremental CRC-32 (IEEE): crc32_update(crc32_update(kCrcInit, a), b) ...,
// then crc32_final.
inline constexpr uint32_t kCrcInit = 0xFFFFFFFF;
[[nodiscard]] uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes);
[[nodiscard]] constexpr uint32_t crc32_final(uint32_t crc) { return crc ^ 0xFFFFFFFF; }
[[nodiscard]] uint32_t crc32(std::span<const uint8_t> bytes);

// Filler byte `i` of the payload of an image of `kind` and `build_id`.
[[nodiscard]] uint8_t payload_byte(ImageKind kind, uint32_t build_id, uint32_t i);

// A complete image. `corrupt_checksum` stores a wrong checksum (for tests).
// Throws std::invalid_argument if payload_bytes > kMaxPayloadSize.
[[nodiscard]] std::vector<uint8_t> build_image(ImageKind kind, uint32_t build_id, uint32_t payload_bytes,
                                               bool corrupt_checksum = false);

// Decode the header bytes (at least kHeaderSize). Checks magic, version,
// header size, reserved bytes and the payload size bound; not kind or checksum.
[[nodiscard]] ImageError decode_header(std::span<const uint8_t> bytes, ImageHeader& out);
// CRC state after the header (checksum field read as 0); continue with the payload.
[[nodiscard]] uint32_t header_crc(std::span<const uint8_t> header_bytes);
// Whole-image check of an in-memory file (tests, the tool).
[[nodiscard]] ImageError validate(std::span<const uint8_t> file, ImageKind expected_kind);

} // namespace aie4emu::fw::image
