// aie4-ctrlcode: inspect and extract control-code ELFs written by `aiebu-asm -t aie4`
// (`aie4-ctrlcode --help`).

#include "cli/cli.hpp"
#include "guest-driver/lib/cli.hpp"
#include "guest-driver/lib/ctrlcode_elf.hpp"
#include "guest-driver/lib/embedded_files.hpp"

#include <cstdio>
#include <cstring>
#include <string>

using namespace aie4emu::guest;

namespace {

std::optional<std::vector<std::uint8_t>> load(const std::string& path)
{
    const std::string prefix = "embedded:";
    if (path.rfind(prefix, 0) == 0) {
        const auto bytes = embedded_file(path.substr(prefix.size()));
        if (bytes.empty())
            return std::nullopt;
        return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
    }
    return read_file_bytes(path);
}

void print_relocs(std::FILE* out, const ControlCodeElf& elf)
{
    std::fprintf(out, "# uc page r_offset image_offset type symbol\n");
    for (const auto& r : elf.relocs)
        std::fprintf(out, "%u %u 0x%x 0x%llx %u %s\n", r.uc, r.page, r.r_offset,
                     static_cast<unsigned long long>(r.image_offset()), r.type, r.symbol.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    std::string elf_path, prefix;
    CLI::App app{"Inspects and extracts control-code ELFs written by 'aiebu-asm -t aie4'. Runs on the host\n"
                 "(build-fixtures.sh) and in the guest; ELF may name an embedded fixture as embedded:NAME\n"
                 "(e.g. embedded:empty.elf).",
                 "aie4-ctrlcode"};
    aie4emu::cli::configure(app, "usage: aie4-ctrlcode dump ELF | extract ELF PREFIX");
    app.require_subcommand(1);
    auto* dump = app.add_subcommand("dump", "print pages, page headers and relocations");
    dump->add_option("ELF", elf_path, "control-code ELF")->required();
    auto* extract = app.add_subcommand("extract", "write PREFIX.ucU.bin (pages back to back) and PREFIX.rela.txt");
    extract->add_option("ELF", elf_path, "control-code ELF")->required();
    extract->add_option("PREFIX", prefix, "output path prefix")->required();
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    const auto file = load(elf_path);
    if (!file) {
        std::fprintf(stderr, "aie4-ctrlcode: cannot read %s\n", elf_path.c_str());
        return 2;
    }
    const auto parsed = parse_ctrlcode_elf(*file);
    if (!parsed.elf) {
        std::fprintf(stderr, "aie4-ctrlcode: %s: %s\n", elf_path.c_str(), parsed.error.c_str());
        return 1;
    }
    const auto& elf = *parsed.elf;
    if (dump->parsed()) {
        std::printf("osabi=%u abi_version=%u ucs=%zu relocs=%zu\n", elf.osabi, elf.abi_version, elf.ucs.size(),
                    elf.relocs.size());
        for (const auto& uc : elf.ucs) {
            const auto walk = walk_pages(uc.image);
            std::printf("uc=%u pages=%u%s%s\n", uc.uc, uc.page_count, walk.error.empty() ? "" : " error=",
                        walk.error.c_str());
            for (const auto& p : walk.pages)
                std::printf("  page=%u used=%u next=%u\n", p.index, p.used_length, p.next_length);
        }
        print_relocs(stdout, elf);
        return 0;
    }
    { // extract
        for (const auto& uc : elf.ucs) {
            const std::string path = prefix + ".uc" + std::to_string(uc.uc) + ".bin";
            if (!write_file_bytes(path, uc.image)) {
                std::fprintf(stderr, "aie4-ctrlcode: cannot write %s\n", path.c_str());
                return 1;
            }
        }
        const std::string rela = prefix + ".rela.txt";
        std::FILE* out = std::fopen(rela.c_str(), "w");
        if (out == nullptr) {
            std::fprintf(stderr, "aie4-ctrlcode: cannot write %s\n", rela.c_str());
            return 1;
        }
        print_relocs(out, elf);
        std::fclose(out);
        return 0;
    }
}
