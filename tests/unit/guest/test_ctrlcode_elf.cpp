// Control-code ELF reader, checked against fixtures produced by the real Debian
// `aiebu-asm -t aie4` 2.25 (guest-driver/ctrlcode/build-fixtures.sh) and against the byte
// values docs/spec/queue-and-cert.md §8.2 recorded from separate assembler runs.

#include "guest-driver/lib/bytes.hpp"
#include "guest-driver/lib/cli.hpp"
#include "guest-driver/lib/ctrlcode_elf.hpp"

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

using namespace aie4emu::guest;

namespace {

std::vector<std::uint8_t> fixture(const std::string& name)
{
    auto bytes = read_file_bytes(std::string(AIE4EMU_CTRLCODE_FIXTURES) + "/" + name);
    REQUIRE(bytes.has_value());
    return *bytes;
}

ControlCodeElf parse_ok(const std::vector<std::uint8_t>& file)
{
    auto result = parse_ctrlcode_elf(file);
    INFO(result.error);
    REQUIRE(result.elf.has_value());
    return *result.elf;
}

} // namespace

TEST_CASE("empty control code is the 32-byte START_JOB/END_JOB/EOF page", "[guest][ctrlcode]")
{
    const auto elf = parse_ok(fixture("empty.elf"));
    CHECK(elf.osabi == 70);       // aiebu 2.25 -t aie4 writes the legacy-group OSABI
    CHECK(elf.abi_version == 2);
    REQUIRE(elf.ucs.size() == 1);
    CHECK(elf.relocs.empty());
    const auto& uc = elf.ucs[0];
    CHECK(uc.uc == 0);
    REQUIRE(uc.page_count == 1);
    REQUIRE(uc.image.size() == 8192);
    const std::vector<std::uint8_t> expected = {
        0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // header
        0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,                                                 // START_JOB 0
        0x07, 0x00, 0x00, 0x00,                                                                         // END_JOB
        0xff, 0x00, 0x00, 0x00};                                                                        // EOF
    CHECK(std::vector<std::uint8_t>(uc.image.begin(), uc.image.begin() + 32) == expected);

    const auto walk = walk_pages(uc.image);
    REQUIRE(walk.error.empty());
    REQUIRE(walk.pages.size() == 1);
    CHECK(walk.pages[0].used_length == 0x20);
    CHECK(walk.pages[0].next_length == 0);
}

TEST_CASE("copy control code: APPLY_OFFSET_57 relocations are type 6 at the BD offset minus 16", "[guest][ctrlcode]")
{
    const auto elf = parse_ok(fixture("copy.elf"));
    REQUIRE(elf.ucs.size() == 1);
    REQUIRE(elf.relocs.size() == 2);
    const auto& image = elf.ucs[0].image;
    const std::span<const std::uint8_t> img(image);

    for (std::uint32_t arg = 0; arg < 2; ++arg) {
        const auto& r = elf.relocs[arg];
        CHECK(r.uc == 0);
        CHECK(r.page == 0);
        CHECK(r.type == 6);
        REQUIRE(r.arg_index == arg);
        CHECK(r.symbol == std::to_string(arg));
        // The matching APPLY_OFFSET_57 (page offset 24 + 8*arg: after the header and START_JOB)
        // names the same BD: table_ptr == r_offset; its offset operand is 2 * argument index
        // (observed: the argument table is indexed in 32-bit words).
        const std::size_t op = 16 + 8 + 8 * arg;
        CHECK(image[op] == 0x0E);
        CHECK(load_le<std::uint16_t>(img, op + 2) == r.r_offset);
        CHECK(load_le<std::uint16_t>(img, op + 4) == 1);
        CHECK(load_le<std::uint16_t>(img, op + 6) == 2 * arg);
        // Shim BD word 2 (length) is 0x400 in copy.asm.
        CHECK(load_le<std::uint32_t>(img, r.image_offset() + 8) == 0x400);
    }
    // The UC-DMA BD chain's word 1 points from each BD to its shim BD.
    const std::size_t ucbd = 0x100; // first data after the text of copy.asm
    CHECK(load_le<std::uint32_t>(img, ucbd + 0) == (9u | (1u << 16) | (1u << 18)));
    CHECK(ucbd + load_le<std::uint32_t>(img, ucbd + 4) == elf.relocs[0].image_offset());
    CHECK(load_le<std::uint32_t>(img, ucbd + 8) == 0x18000);
    CHECK(ucbd + 16 + load_le<std::uint32_t>(img, ucbd + 16 + 4) == elf.relocs[1].image_offset());
}

TEST_CASE("patch57_aie4 adds address + 2 GiB into BD words 0[24:0] and 1", "[guest][ctrlcode]")
{
    auto elf = parse_ok(fixture("copy.elf"));
    UcControlCode code = elf.ucs[0];
    const std::uint64_t in_addr = 0x1'2345'6000ULL, out_addr = 0x4000'0000ULL;
    CHECK(patch_argument(code, elf.relocs, 0, in_addr, 0x80000000ULL) == 1);
    CHECK(patch_argument(code, elf.relocs, 1, out_addr, 0x80000000ULL) == 1);
    CHECK(patch_argument(code, elf.relocs, 7, out_addr, 0x80000000ULL) == 0);
    const std::span<const std::uint8_t> img(code.image);
    const auto in_bd = elf.relocs[0].image_offset(), out_bd = elf.relocs[1].image_offset();
    CHECK(load_le<std::uint32_t>(img, in_bd) == 0x1);             // 0x1_A345_6000 >> 32
    CHECK(load_le<std::uint32_t>(img, in_bd + 4) == 0xA3456000);
    CHECK(load_le<std::uint32_t>(img, out_bd) == 0x0);
    CHECK(load_le<std::uint32_t>(img, out_bd + 4) == 0xC0000000);
    CHECK(load_le<std::uint32_t>(img, in_bd + 8) == 0x400);       // other words untouched

    // The existing BD value is an offset into the buffer; carries reach the high word and
    // bits 31:25 of word 0 survive.
    std::vector<std::uint8_t> bd(16, 0);
    store_le<std::uint32_t>(std::span<std::uint8_t>(bd), 0, 0xFE000000u | 0x2);
    store_le<std::uint32_t>(std::span<std::uint8_t>(bd), 4, 0xFFFFFF00u);
    REQUIRE(patch57_aie4(bd, 0, 0x100, 0x80000000ULL));
    CHECK(load_le<std::uint32_t>(std::span<const std::uint8_t>(bd), 0) == (0xFE000000u | 0x3));
    CHECK(load_le<std::uint32_t>(std::span<const std::uint8_t>(bd), 4) == 0x80000000u);
    CHECK_FALSE(patch57_aie4(bd, 9, 0, 0));
}

TEST_CASE("a job that does not fit starts a new page; headers chain the used lengths", "[guest][ctrlcode]")
{
    const auto elf = parse_ok(fixture("twopage.elf"));
    REQUIRE(elf.ucs.size() == 1);
    REQUIRE(elf.ucs[0].page_count == 2);
    const auto walk = walk_pages(elf.ucs[0].image);
    REQUIRE(walk.error.empty());
    REQUIRE(walk.pages.size() == 2);
    CHECK(walk.pages[1].index == 1);
    CHECK(walk.pages[0].next_length == walk.pages[1].used_length);
    CHECK(walk.pages[1].next_length == 0);
    CHECK(walk.pages[0].used_length > 4096);
    // Job 1 (START_JOB with job id 1) opens page 1.
    const std::span<const std::uint8_t> img(elf.ucs[0].image);
    CHECK(img[8192 + 16] == 0x00);
    CHECK(load_le<std::uint16_t>(img, 8192 + 18) == 1);
}

TEST_CASE("committed per-uC images match what the reader extracts from the committed ELFs", "[guest][ctrlcode]")
{
    for (const char* name : {"empty", "copy", "twopage"}) {
        INFO(name);
        const auto elf = parse_ok(fixture(std::string(name) + ".elf"));
        CHECK(elf.ucs[0].image == fixture(std::string(name) + ".uc0.bin"));
    }
}

TEST_CASE("page walk rejects broken page headers", "[guest][ctrlcode]")
{
    const auto elf = parse_ok(fixture("twopage.elf"));
    const auto good = elf.ucs[0].image;

    auto bad = good;
    bad[0] = 0;
    CHECK_FALSE(walk_pages(bad).error.empty());

    bad = good;
    store_le<std::uint16_t>(std::span<std::uint8_t>(bad), 8192 + 2, 5); // page index
    CHECK_FALSE(walk_pages(bad).error.empty());

    bad = good;
    store_le<std::uint16_t>(std::span<std::uint8_t>(bad), 10, 0x10); // next-page length
    CHECK_FALSE(walk_pages(bad).error.empty());

    bad = good;
    store_le<std::uint16_t>(std::span<std::uint8_t>(bad), 8, 8193); // used length > page
    CHECK_FALSE(walk_pages(bad).error.empty());

    CHECK_FALSE(walk_pages(std::span<const std::uint8_t>(good.data(), 100)).error.empty());
    CHECK_FALSE(walk_pages({}).error.empty());
}

TEST_CASE("malformed ELF input is rejected without crashing", "[guest][ctrlcode]")
{
    const auto copy = fixture("copy.elf");
    CHECK_FALSE(parse_ctrlcode_elf({}).elf.has_value());

    auto bad_magic = copy;
    bad_magic[1] = 'X';
    CHECK_FALSE(parse_ctrlcode_elf(bad_magic).elf.has_value());

    auto bad_shoff = copy;
    store_le<std::uint32_t>(std::span<std::uint8_t>(bad_shoff), 32, 0xFFFFFF00u);
    CHECK_FALSE(parse_ctrlcode_elf(bad_shoff).elf.has_value());

    // Every truncation either parses (never reads past the end) or reports an error.
    for (std::size_t len = 0; len < copy.size(); len += 97) {
        const auto r = parse_ctrlcode_elf(std::span<const std::uint8_t>(copy.data(), len));
        CHECK((r.elf.has_value() || !r.error.empty()));
    }

    // Deterministic byte corruption across the headers and tables.
    std::uint32_t lcg = 12345;
    for (int round = 0; round < 2000; ++round) {
        auto mutated = copy;
        for (int k = 0; k < 4; ++k) {
            lcg = lcg * 1664525u + 1013904223u;
            const std::size_t pos = (lcg >> 8) % mutated.size();
            lcg = lcg * 1664525u + 1013904223u;
            mutated[pos] = static_cast<std::uint8_t>(lcg >> 24);
        }
        const auto r = parse_ctrlcode_elf(mutated);
        if (r.elf) {
            for (const auto& uc : r.elf->ucs)
                (void)walk_pages(uc.image);
            for (auto uc : r.elf->ucs)
                (void)patch_argument(uc, r.elf->relocs, 0, 0x1000, 0x80000000ULL);
        }
    }
}
