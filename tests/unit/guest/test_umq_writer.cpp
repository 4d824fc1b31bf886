#include "guest-driver/include/xrt_umq_layout.hpp"
#include "guest-driver/lib/bytes.hpp"
#include "guest-driver/lib/umq_writer.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <stdexcept>
#include <vector>

using namespace aie4emu::guest;

namespace {

constexpr std::uint64_t queue_xdna_addr = 0x40001000;

// Page-aligned backing store standing in for the mmapped queue BO; the test plays device.
struct FakeQueueBo {
    alignas(4096) std::uint8_t bytes[0x3000];
    FakeQueueBo() { std::memset(bytes, 0xCD, sizeof bytes); }
    std::span<std::uint8_t> span(std::size_t n = sizeof(bytes)) { return {bytes, n}; }
    std::uint64_t u64(std::size_t off) const { return load_le<std::uint64_t>(std::span<const std::uint8_t>(bytes), off); }
    std::uint32_t u32(std::size_t off) const { return load_le<std::uint32_t>(std::span<const std::uint8_t>(bytes), off); }
    std::uint16_t u16(std::size_t off) const { return load_le<std::uint16_t>(std::span<const std::uint8_t>(bytes), off); }
    void device_sets_read_index(std::uint64_t v) { store_le<std::uint64_t>(std::span<std::uint8_t>(bytes), 0, v); }
};

} // namespace

TEST_CASE("XRT layout header matches the 2.25 shim's queue v1.0", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(0x2080), queue_xdna_addr, QueueLayout::xrt_v1);
    q.initialise();

    CHECK(bo.u64(0x00) == 0);                          // read_index
    CHECK(bo.u16(0x08) == 1);                          // version.major
    CHECK(bo.u16(0x0A) == 0);                          // version.minor
    CHECK(bo.u32(0x0C) == 32);                         // capacity
    CHECK(bo.u64(0x40) == 0);                          // write_index
    CHECK(bo.u64(0x78) == queue_xdna_addr + 0x80);     // data_address
    for (std::size_t off = 0x10; off < 0x40; ++off)    // padding the shim never writes
        REQUIRE(bo.bytes[off] == 0);
    // Indirect buffers at data_address + 0x800 = BO + 0x880, 6 x 32 of 32 bytes, pre-filled.
    for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{191}}) {
        const std::size_t off = 0x880 + i * 32;
        CHECK(bo.bytes[off + 0] == 0);
        CHECK(bo.bytes[off + 2] == 1);
        CHECK(bo.u16(off + 4) == 24);
        CHECK(bo.bytes[off + 6] == 1);
        CHECK(bo.bytes[off + 7] == 0);
    }
    // Nothing beyond the 0x2080 bytes XRT allocates is touched.
    CHECK(bo.bytes[0x2080] == 0xCD);
}

TEST_CASE("XRT layout: a direct EXEC_BUF packet is written as issue_single_exec_buf does", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(), queue_xdna_addr, QueueLayout::xrt_v1);
    q.initialise();

    const std::uint64_t ctrlcode = 0x1'2345'6000ULL;
    const std::uint64_t cmd = 0x40008000ULL;
    const auto seq = q.submit_exec_buf(ExecBuf{ctrlcode, 0}, cmd);
    REQUIRE(seq.has_value());
    CHECK(*seq == 0);
    CHECK(bo.u64(0x40) == 1);       // write_index advanced
    CHECK(bo.u64(0x10) == 0);       // the kernel's write_index slot stays untouched (docs/spec/queue-and-cert.md §1.2)

    const std::size_t slot = 0x80; // data_address - xdna_addr
    CHECK(bo.bytes[slot + 0] == 0); // type VENDOR_SPECIFIC
    CHECK(bo.bytes[slot + 2] == 1); // opcode EXEC_BUF
    CHECK(bo.bytes[slot + 3] == 0); // chain_flag
    CHECK(bo.u16(slot + 4) == 24);  // count
    CHECK(bo.bytes[slot + 6] == 0); // distribute
    CHECK(bo.bytes[slot + 7] == 0); // indirect
    CHECK(bo.u64(slot + 8) == cmd); // completion_signal
    CHECK(bo.u32(slot + 0x10) == 0);          // dtrace low
    CHECK(bo.u32(slot + 0x14) == 0x23456000); // control code low
    CHECK(bo.u32(slot + 0x18) == 0x1);        // control code high
    CHECK(bo.u16(slot + 0x1C) == 0);          // args_len
    CHECK(bo.u32(slot + 0x20) == 0);          // args low
    CHECK(bo.u32(slot + 0x24) == 0);          // args high

    const auto seq2 = q.submit_exec_buf(ExecBuf{ctrlcode, 0}, cmd + 0x1000, true);
    REQUIRE(seq2.has_value());
    CHECK(*seq2 == 1);
    CHECK(bo.u64(0x80 + 64 + 8) == cmd + 0x1000);
    CHECK(bo.bytes[0x80 + 64 + 3] == 1);
    CHECK(bo.u64(0x40) == 2);
}

TEST_CASE("queue refuses a 33rd outstanding packet and honours a smaller depth", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(), queue_xdna_addr, QueueLayout::xrt_v1);
    q.initialise();
    for (std::uint64_t i = 0; i < 32; ++i)
        REQUIRE(q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x2000) == i);
    CHECK_FALSE(q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x2000).has_value());
    CHECK(q.outstanding() == 32);

    // The device completes 5: five more fit, and seq 32 wraps into slot 0.
    bo.device_sets_read_index(5);
    CHECK(q.completed(4));
    CHECK_FALSE(q.completed(5));
    const auto seq = q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x7000);
    REQUIRE(seq == 32u);
    CHECK(bo.u64(0x80 + 8) == 0x7000);

    // Depth limit.
    bo.device_sets_read_index(33);
    CHECK(q.outstanding() == 0);
    for (int i = 0; i < 4; ++i)
        REQUIRE(q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x2000, false, 4).has_value());
    CHECK_FALSE(q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x2000, false, 4).has_value());
}

TEST_CASE("queue refuses to submit when the device published read_index > write_index", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(), queue_xdna_addr, QueueLayout::xrt_v1);
    q.initialise();
    bo.device_sets_read_index(3);
    CHECK_FALSE(q.indices_valid());
    CHECK(q.outstanding() == 0);
    CHECK_FALSE(q.submit_exec_buf(ExecBuf{0x1000, 0}, 0x2000).has_value());
    CHECK(bo.u64(0x40) == 0);
}

TEST_CASE("kernel layout uses the 32-byte host_queue_header", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(0x820), queue_xdna_addr, QueueLayout::kernel_v0);
    q.initialise();
    CHECK(bo.u16(0x08) == 0);
    CHECK(bo.u16(0x0A) == 0);
    CHECK(bo.u32(0x0C) == 32);
    CHECK(bo.u64(0x18) == queue_xdna_addr + 0x20);
    CHECK(bo.bytes[0x820] == 0xCD);

    REQUIRE(q.submit_exec_buf(ExecBuf{0xABC000, 0}, 0x5000) == 0u);
    CHECK(bo.u64(0x10) == 1);           // write_index
    CHECK(bo.u64(0x20 + 8) == 0x5000);  // slot 0 right after the header
    CHECK(bo.u32(0x20 + 0x14) == 0xABC000);
    CHECK(bo.u64(0x40) == 0);           // nothing at the XRT offset
}

TEST_CASE("raw packets carry the requested opcode", "[guest][umq]")
{
    FakeQueueBo bo;
    UmqWriter q(bo.span(), queue_xdna_addr, QueueLayout::xrt_v1);
    q.initialise();
    REQUIRE(q.submit_raw(0x7F, 0x9000) == 0u);
    CHECK(bo.bytes[0x80 + 2] == 0x7F);
    CHECK(bo.u64(0x80 + 8) == 0x9000);
    CHECK(bo.u16(0x80 + 4) == 0);
}

TEST_CASE("queue writer rejects a BO too small for its layout", "[guest][umq]")
{
    FakeQueueBo bo;
    CHECK_THROWS_AS(UmqWriter(bo.span(0x207F), queue_xdna_addr, QueueLayout::xrt_v1), std::invalid_argument);
    CHECK_THROWS_AS(UmqWriter(bo.span(0x81F), queue_xdna_addr, QueueLayout::kernel_v0), std::invalid_argument);
    CHECK_NOTHROW(UmqWriter(bo.span(0x820), queue_xdna_addr, QueueLayout::kernel_v0));
    CHECK(parse_queue_layout("xrt") == QueueLayout::xrt_v1);
    CHECK(parse_queue_layout("kernel") == QueueLayout::kernel_v0);
    CHECK_FALSE(parse_queue_layout("v2").has_value());
}
