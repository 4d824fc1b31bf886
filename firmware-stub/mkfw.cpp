// aie4-mkfw: write a stub firmware image (image_format.hpp) for the PSP stub (aie4-mkfw --help).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/cli.hpp"

#include <fmt/format.h>

#include "firmware-stub/image_format.hpp"

namespace {

using namespace aie4emu::fw::image;

constexpr aie4emu::cli::Choice<ImageKind> kKinds[] = {
    {"npu", ImageKind::npu, "the NPU firmware image (npu.dev.sbin)"},
    {"cert", ImageKind::cert, "the CERT firmware image (cert.dev.sbin)"},
};

} // namespace

int main(int argc, char** argv)
{
    ImageKind kind = ImageKind::npu;
    std::string out;
    uint32_t build_id = 1;
    uint32_t payload = kDefaultPayloadSize;
    bool corrupt = false;
    CLI::App app{fmt::format("Writes a stub firmware image for the PSP stub (firmware-stub/image_format.hpp).\n"
                             "Default payload {} bytes (file {} bytes); at most {} payload bytes.",
                             kDefaultPayloadSize, kDefaultPayloadSize + kHeaderSize, kMaxPayloadSize),
                 "aie4-mkfw"};
    aie4emu::cli::configure(app, "usage: aie4-mkfw --kind npu|cert --out FILE [--build-id N] [--payload-bytes N] [--corrupt]");
    aie4emu::cli::add_choice<ImageKind>(app, "--kind", kind, kKinds, "which image:")->required();
    app.add_option("--out", out, "the file to write")->type_name("FILE")->required();
    aie4emu::cli::add_number(app, "--build-id", build_id, 0u, UINT32_MAX, "build id stored in the header (default 1)");
    aie4emu::cli::add_number(app, "--payload-bytes", payload, 0u, UINT32_MAX, "payload size in bytes");
    app.add_flag("--corrupt", corrupt, "store a wrong checksum (the PSP must refuse the image)");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    if (payload > kMaxPayloadSize) {
        fmt::print(stderr, "aie4-mkfw: payload {} exceeds {} (the driver cannot load files of 4 MiB)\n", payload,
                   kMaxPayloadSize);
        return 2;
    }
    const auto bytes = build_image(kind, build_id, payload, corrupt);
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
    fmt::print("{}: {} image, build {}, {} bytes{}\n", out, kind_name(kind), build_id, bytes.size(),
               corrupt ? " (corrupt checksum)" : "");
    return 0;
}
