#include <catch2/catch_test_macros.hpp>

#include <array>
#include <cstring>

#include "firmware-stub/image_format.hpp"

using namespace aie4emu::fw::image;

TEST_CASE("CRC-32 matches the IEEE check value")
{
    // "123456789" -> 0xCBF43926 is the published check value of CRC-32/IEEE.
    const std::array<uint8_t, 9> s{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    CHECK(crc32(s) == 0xCBF43926u);
    // Incremental equals one-shot.
    uint32_t c = crc32_update(kCrcInit, std::span<const uint8_t>(s).first(4));
    c = crc32_update(c, std::span<const uint8_t>(s).subspan(4));
    CHECK(crc32_final(c) == 0xCBF43926u);
}

TEST_CASE("images are deterministic and validate for their own kind only")
{
    const auto a = build_image(ImageKind::npu, 42, 1000);
    const auto b = build_image(ImageKind::npu, 42, 1000);
    CHECK(a == b);
    CHECK(a.size() == kHeaderSize + 1000);
    CHECK(build_image(ImageKind::npu, 43, 1000) != a);
    CHECK(validate(a, ImageKind::npu) == ImageError::none);
    CHECK(validate(a, ImageKind::cert) == ImageError::bad_kind);
    ImageHeader h;
    REQUIRE(decode_header(a, h) == ImageError::none);
    CHECK(h.build_id == 42);
    CHECK(h.payload_size == 1000);
    CHECK(h.kind == static_cast<uint16_t>(ImageKind::npu));
}

TEST_CASE("corruption anywhere is detected")
{
    const auto good = build_image(ImageKind::cert, 5, 512);
    CHECK(validate(build_image(ImageKind::cert, 5, 512, true), ImageKind::cert) == ImageError::bad_checksum);
    auto flipped = good;
    flipped[kHeaderSize + 300] ^= 0x01;
    CHECK(validate(flipped, ImageKind::cert) == ImageError::bad_checksum);
    auto build = good;
    build[kOffBuildId] ^= 0x80;   // header fields are covered too
    CHECK(validate(build, ImageKind::cert) == ImageError::bad_checksum);
    auto magic = good;
    magic[0] = 'X';
    CHECK(validate(magic, ImageKind::cert) == ImageError::bad_magic);
    auto version = good;
    version[kOffFormatVersion] = 9;
    CHECK(validate(version, ImageKind::cert) == ImageError::bad_version);
    auto reserved = good;
    reserved[kOffReserved + 3] = 1;
    CHECK(validate(reserved, ImageKind::cert) == ImageError::bad_reserved);
    auto truncated = good;
    truncated.resize(good.size() - 4);
    CHECK(validate(truncated, ImageKind::cert) == ImageError::truncated);
    CHECK(validate(std::span<const uint8_t>(good).first(10), ImageKind::cert) == ImageError::truncated);
}

TEST_CASE("payload size is bounded by the driver's 4 MiB limit")
{
    CHECK_THROWS(build_image(ImageKind::npu, 1, kMaxPayloadSize + 1));
    CHECK(kHeaderSize + kMaxPayloadSize < 4u * 1024 * 1024);
    auto huge = build_image(ImageKind::npu, 1, 16);
    const uint32_t claimed = kMaxPayloadSize + 1;
    std::memcpy(huge.data() + kOffPayloadSize, &claimed, 4);
    ImageHeader h;
    CHECK(decode_header(huge, h) == ImageError::too_large);
}
