#include "guest-driver/lib/bytes.hpp"
#include "guest-driver/lib/ert_command.hpp"

#include <catch2/catch_test_macros.hpp>

#include <vector>

using namespace aie4emu::guest;

TEST_CASE("ERT_START_DPU command passes XRT's dpu check and carries the control code", "[guest][ert]")
{
    alignas(8) std::uint8_t buf[256] = {};
    std::span<std::uint8_t> cmd(buf);
    DpuData dpu;
    dpu.instruction_buffer = 0x1'4000'2000ULL;
    dpu.instruction_buffer_size = 8192;
    dpu.uc_index = 0;
    const std::size_t used = write_start_dpu(cmd, std::span<const DpuData>(&dpu, 1));
    REQUIRE(used == 32);

    const auto header = load_le<std::uint32_t>(cmd, 0);
    CHECK(((header >> 16) & 0xF80) == 0x900);  // libxrt_driver_xdna: opcode 18
    CHECK((header & 0xF) == 1);                // state NEW
    CHECK(((header >> 12) & 0x7FF) == 7);      // cu_mask + 6 dwords of ert_dpu_data
    CHECK((header >> 28) == 0);                // ERT_CU
    CHECK(load_le<std::uint32_t>(cmd, 4) == 1);                      // cu_mask
    CHECK(load_le<std::uint64_t>(cmd, 8) == 0);                      // dtrace
    CHECK(load_le<std::uint64_t>(cmd, 16) == 0x1'4000'2000ULL);      // instruction_buffer
    CHECK(load_le<std::uint32_t>(cmd, 24) == 8192);
    CHECK(load_le<std::uint16_t>(cmd, 28) == 0);                     // uc_index
    CHECK(load_le<std::uint16_t>(cmd, 30) == 0);                     // chained
    CHECK(header == start_dpu_header(7));
}

TEST_CASE("multi-uC commands count 'chained' down to zero", "[guest][ert]")
{
    alignas(8) std::uint8_t buf[256] = {};
    std::vector<DpuData> dpus(3);
    for (std::uint16_t i = 0; i < 3; ++i) {
        dpus[i].uc_index = i;
        dpus[i].instruction_buffer = 0x1000u * (i + 1);
    }
    REQUIRE(write_start_dpu(std::span<std::uint8_t>(buf), dpus) == 8 + 3 * 24);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(load_le<std::uint16_t>(std::span<const std::uint8_t>(buf), 8 + i * 24 + 0x14) == i);
        CHECK(load_le<std::uint16_t>(std::span<const std::uint8_t>(buf), 8 + i * 24 + 0x16) == 2 - i);
    }
    CHECK(((load_le<std::uint32_t>(std::span<const std::uint8_t>(buf), 0) >> 12) & 0x7FF) == 1 + 3 * 6);
    CHECK(write_start_dpu(std::span<std::uint8_t>(buf, 31), std::span<const DpuData>(dpus.data(), 1)) == 0);
    CHECK(write_start_dpu(std::span<std::uint8_t>(buf), {}) == 0);
}

TEST_CASE("completion words decode like XRT's poll_command", "[guest][ert]")
{
    CHECK(completion_ok(4));
    CHECK(completion_done(4));
    CHECK_FALSE(completion_done(1));  // NEW, as rearmed
    CHECK_FALSE(completion_done(3));
    const std::uint32_t pdi_fail = (102u << 4) | 5u; // HSA_ERR(id*100+2) for uC 1
    CHECK(completion_done(pdi_fail));
    CHECK_FALSE(completion_ok(pdi_fail));
    CHECK(completion_state(pdi_fail) == 5);
    CHECK(describe_completion(pdi_fail).find("error code 102") != std::string::npos);
    CHECK(completion_done(6));
    CHECK_FALSE(completion_ok(6));
}
