#include "firmware-stub/cert/control_code.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace aie4emu::fw::cert;

namespace {
std::vector<uint8_t> load(const std::string& name) {
    std::ifstream in(std::string(AIE4_SOURCE_ROOT) + "/tests/fixtures/" + name, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), {}};
}
} // namespace

TEST_CASE("cert: every operation assembled by aiebu-asm decodes with its operands", "[cert]") {
    auto bytes = load("cert/all_ops.uc0.bin");
    DecodeError err;
    auto page = decode_page(bytes, 0, err);
    INFO(err.message << " at 0x" << std::hex << err.offset);
    REQUIRE(page);
    CHECK(page->header.used_length == 0xd8);
    CHECK(page->header.next_length == 0);
    const auto& ops = page->ops;
    REQUIRE(ops.size() == 22);
    CHECK(ops[0].code == Opcode::StartJob);
    CHECK(ops[0].imm16_b == 0xa4);                       // job size: START_JOB..END_JOB inclusive
    CHECK(ops[1].code == Opcode::Write32);
    CHECK(ops[1].address == 0x1D000);
    CHECK(ops[1].value == 0x12345678);
    CHECK(ops[2].code == Opcode::MaskWrite32);
    CHECK((ops[2].mask == 0xFF && ops[2].value == 0x12));
    CHECK(ops[3].code == Opcode::MaskPoll32);
    CHECK(ops[4].code == Opcode::Poll32);
    CHECK(ops[4].value == 5);
    CHECK(ops[5].code == Opcode::WaitTcts);
    CHECK((ops[5].imm16_a == 1 && ops[5].actor == 2 && ops[5].target == 1));
    CHECK(ops[6].code == Opcode::Mov);
    CHECK((ops[6].reg_a == 1 && ops[6].value == 0x100));
    CHECK(ops[7].code == Opcode::Add);
    CHECK(ops[8].code == Opcode::Read32);
    CHECK(ops[8].reg_a == 2);
    CHECK(ops[9].code == Opcode::Read32D);
    CHECK((ops[9].reg_a == 1 && ops[9].reg_b == 3));
    CHECK(ops[12].code == Opcode::LocalBarrier);
    CHECK(ops[12].reg_b == 2);
    CHECK(ops[13].code == Opcode::RemoteBarrier);
    CHECK((ops[13].reg_a == 2 && ops[13].mask == 3));
    CHECK(ops[14].code == Opcode::UcDmaWriteDes);
    CHECK((ops[14].reg_a == 4 && ops[14].imm16_a == 0xb0)); // label = page offset 0xc0 minus the header
    CHECK(ops[16].code == Opcode::UcDmaWriteDesSync);
    CHECK(ops[17].code == Opcode::Write32D);
    CHECK(ops[17].flags == 3);
    CHECK(ops[20].code == Opcode::EndJob);
    CHECK(ops[21].code == Opcode::Eof);
}

TEST_CASE("cert: the aiebu fixtures of the guest programs decode page by page", "[cert]") {
    for (const char* name : {"ctrlcode/empty.uc0.bin", "ctrlcode/copy.uc0.bin", "ctrlcode/twopage.uc0.bin"}) {
        INFO(name);
        auto image = load(name);
        uint16_t index = 0;
        size_t at = 0;
        uint32_t expect_len = 0;
        while (true) {
            DecodeError err;
            std::span<const uint8_t> rest(image.data() + at, image.size() - at);
            auto page = decode_page(rest.first(std::min<size_t>(rest.size(), kPageSize)), index, err);
            INFO(err.message);
            REQUIRE(page);
            if (expect_len)
                CHECK(page->header.used_length == expect_len);
            CHECK(page->ops.back().code == Opcode::Eof);
            if (page->header.next_length == 0)
                break;
            expect_len = page->header.next_length;
            at += kPageSize;
            ++index;
        }
        if (std::string(name).find("twopage") != std::string::npos)
            CHECK(index == 1);
    }
}

TEST_CASE("cert: malformed pages are refused with the offset named", "[cert]") {
    auto good = load("cert/all_ops.uc0.bin");
    DecodeError err;

    auto bad = good;
    bad[0] = 0x00; // marker
    CHECK_FALSE(decode_page(bad, 0, err));
    CHECK(err.offset == 0);

    CHECK_FALSE(decode_page(good, 1, err)); // wrong page index
    CHECK(err.message.find("index") != std::string::npos);

    bad = good;
    bad[8] = 0xFF; bad[9] = 0xFF; // used length 65535 > 8192
    CHECK_FALSE(decode_page(bad, 0, err));

    bad = good;
    bad[0x18] = 0x04; // opcode 0x04 is not defined
    CHECK_FALSE(decode_page(bad, 0, err));
    CHECK(err.offset == 0x18);
    CHECK(err.message.find("unknown opcode") != std::string::npos);

    bad = good;
    bad[0x58 + 2] = 40; // MOV r40
    CHECK_FALSE(decode_page(bad, 0, err));
    CHECK(err.offset == 0x58);

    bad = good;
    bad[0x94 + 2] = 0xF0; bad[0x94 + 3] = 0x1F; // UC_DMA_WRITE_DES_SYNC label outside the page
    CHECK_FALSE(decode_page(bad, 0, err));
    CHECK(err.offset == 0x94);

    bad = good;
    bad[0xb4] = 0x16; // EOF replaced by NOP: the stream runs off the used length
    for (size_t i = 0xb8; i < 0xc0; ++i) bad[i] = 0x16;
    CHECK_FALSE(decode_page(std::span<const uint8_t>(bad).first(0xc0), 0, err));

    CHECK_FALSE(decode_page(std::span<const uint8_t>(good).first(8), 0, err)); // shorter than the header
}
