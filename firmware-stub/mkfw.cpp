// aie4-mkfw: write a stub firmware image (image_format.hpp) for the PSP stub.
//   aie4-mkfw --kind npu|cert --out FILE [--build-id N] [--payload-bytes N] [--corrupt]
// --corrupt stores a wrong checksum (the PSP must refuse the image).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "firmware-stub/image_format.hpp"

namespace {

using namespace aie4emu::fw::image;

void usage()
{
    fmt::print(stderr,
               "usage: aie4-mkfw --kind npu|cert --out FILE [--build-id N] [--payload-bytes N] [--corrupt]\n"
               "  default payload {} bytes (file {} bytes); at most {} payload bytes\n",
               kDefaultPayloadSize, kDefaultPayloadSize + kHeaderSize, kMaxPayloadSize);
}

std::optional<uint32_t> parse_u32(const char* s)
{
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > 0xFFFFFFFFull)
        return std::nullopt;
    return static_cast<uint32_t>(v);
}

} // namespace

int main(int argc, char** argv)
{
    std::optional<ImageKind> kind;
    std::string out;
    uint32_t build_id = 1;
    uint32_t payload = kDefaultPayloadSize;
    bool corrupt = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--kind" && has_value) {
            kind = parse_kind(argv[++i]);
            if (!kind) {
                fmt::print(stderr, "aie4-mkfw: --kind must be npu or cert\n");
                return 2;
            }
        } else if (a == "--out" && has_value) {
            out = argv[++i];
        } else if ((a == "--build-id" || a == "--payload-bytes") && has_value) {
            const auto v = parse_u32(argv[++i]);
            if (!v) {
                fmt::print(stderr, "aie4-mkfw: {} needs an unsigned 32-bit number\n", a);
                return 2;
            }
            (a == "--build-id" ? build_id : payload) = *v;
        } else if (a == "--corrupt") {
            corrupt = true;
        } else if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else {
            fmt::print(stderr, "aie4-mkfw: unknown or incomplete option '{}'\n", a);
            usage();
            return 2;
        }
    }
    if (!kind || out.empty()) {
        usage();
        return 2;
    }
    if (payload > kMaxPayloadSize) {
        fmt::print(stderr, "aie4-mkfw: payload {} exceeds {} (the driver cannot load files of 4 MiB)\n", payload,
                   kMaxPayloadSize);
        return 2;
    }
    const auto bytes = build_image(*kind, build_id, payload, corrupt);
    std::FILE* f = std::fopen(out.c_str(), "wb");
    if (f == nullptr) {
        fmt::print(stderr, "aie4-mkfw: cannot open {}: {}\n", out, std::strerror(errno));
        return 1;
    }
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) {
        fmt::print(stderr, "aie4-mkfw: writing {} failed\n", out);
        return 1;
    }
    fmt::print("{}: {} image, build {}, {} bytes{}\n", out, kind_name(*kind), build_id, bytes.size(),
               corrupt ? " (corrupt checksum)" : "");
    return 0;
}
