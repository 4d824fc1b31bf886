#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <utility>
#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/program.hpp"

using namespace aie4emu::aie;
using aie4emu::sim::Cycle;

namespace {

constexpr uint64_t kHostBase = 0x1000'0000;
constexpr uint16_t kShim = 0, kMem = 1, kCore = 2;

struct Fixture {
    Array array;
    ArrayProgrammer prog{array};
    BufferHostMemory host{kHostBase, 1 << 20};
    CostParams c;
    Fixture() { array.attach_host_memory(0, 3, &host); }
    uint64_t dev(uint64_t host_addr) const { return host_addr + c.shim_host_address_offset; }
};

std::vector<uint32_t> iota_words(size_t n, uint32_t start = 1)
{
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = start + static_cast<uint32_t>(i) * 3u;
    return v;
}

} // namespace

TEST_CASE("1D shim MM2S -> memory tile S2MM copies exact bytes in the hand-computed cycles")
{
    Fixture f;
    const auto src = iota_words(256);
    std::memcpy(f.host.at(kHostBase + 0x100), src.data(), 1024);
    REQUIRE(f.prog.route_vertical(0, kShim, 0, kMem, 0, 0));
    f.prog.write_bd(0, kShim, Direction::mm2s, 0, 0, BdFields{.address = f.dev(kHostBase + 0x100), .length = 256});
    f.prog.write_bd(0, kMem, Direction::s2mm, 0, 3, BdFields{.address = 0x4000, .length = 256});
    f.prog.push_task(0, kMem, Direction::s2mm, 0, 3);
    f.prog.push_task(0, kShim, Direction::mm2s, 0, 0);
    REQUIRE(f.array.run_until_idle(100000));

    // setup + 1024 B at 4 B/cycle + 2 switches x 4 cycles (shim and memory tile switch)
    const Cycle expected = f.c.bd_setup_cycles + 1024 / 4 + 2 * f.c.switch_hop_cycles;
    CHECK(expected == 272);
    CHECK(f.array.now() == expected);
    std::vector<uint32_t> dst(256);
    REQUIRE(f.array.read_tile_memory(0, kMem, 0x4000, dst.data(), 1024));
    CHECK(dst == src);
    CHECK(f.array.tct_issued({0, kMem, Direction::s2mm, 0}) == 1);
    CHECK(f.array.tct_issued({0, kShim, Direction::mm2s, 0}) == 1);
    CHECK(f.array.errors().empty());
    // The idle poll the published control code uses succeeds once both are done.
    CHECK(f.array.mask_poll(f.prog.status_address(0, kMem, Direction::s2mm, 0), 0x01F8003C, 0, 10));
    // Data memory is also readable through its AXI window (address rows 2.. of the memory tile).
    CHECK(f.array.read32(f.array.tile_address(0, kMem, 0) + 0x100000 + 0x4000) == src[0]);
}

TEST_CASE("2D memory-tile loopback reads a sub-matrix")
{
    Fixture f;
    // 8x16 word matrix, read rows 2..5, columns 4..11 (4x8 block).
    const auto m = iota_words(128, 100);
    REQUIRE(f.array.write_tile_memory(0, kMem, 0, m.data(), m.size() * 4));
    REQUIRE(f.prog.route_vertical(0, kMem, 0, kMem, 0, 0));
    f.prog.write_bd(0, kMem, Direction::mm2s, 0, 0,
                    BdFields{.address = (2 * 16 + 4) * 4, .length = 32, .d = {{8, 1}, {0, 16}}});
    f.prog.write_bd(0, kMem, Direction::s2mm, 0, 1, BdFields{.address = 0x10000, .length = 32});
    f.prog.push_task(0, kMem, Direction::mm2s, 0, 0);
    f.prog.push_task(0, kMem, Direction::s2mm, 0, 1);
    REQUIRE(f.array.run_until_idle(10000));
    std::vector<uint32_t> got(32);
    REQUIRE(f.array.read_tile_memory(0, kMem, 0x10000, got.data(), 128));
    for (unsigned r = 0; r < 4; ++r)
        for (unsigned c = 0; c < 8; ++c)
            CHECK(got[r * 8 + c] == m[(2 + r) * 16 + 4 + c]);
    CHECK(f.array.now() == f.c.bd_setup_cycles + 32 + 1 * f.c.switch_hop_cycles);
}

TEST_CASE("3D and 4D patterns on the memory tile, scatter on the S2MM side")
{
    Fixture f;
    const auto m = iota_words(4096, 7);
    REQUIRE(f.array.write_tile_memory(0, kMem, 0, m.data(), m.size() * 4));
    REQUIRE(f.prog.route_vertical(0, kMem, 1, kMem, 1, 0));

    SECTION("3D gather")
    {
        // d0: 2 words contiguous, d1: 3 x step 10, d2: outer step 100; 24 words.
        f.prog.write_bd(0, kMem, Direction::mm2s, 1, 0, BdFields{.length = 24, .d = {{2, 1}, {3, 10}, {0, 100}}});
        f.prog.write_bd(0, kMem, Direction::s2mm, 1, 1, BdFields{.address = 0x20000, .length = 24});
        f.prog.push_task(0, kMem, Direction::mm2s, 1, 0);
        f.prog.push_task(0, kMem, Direction::s2mm, 1, 1);
        REQUIRE(f.array.run_until_idle(10000));
        std::vector<uint32_t> got(24);
        REQUIRE(f.array.read_tile_memory(0, kMem, 0x20000, got.data(), 96));
        for (unsigned i = 0; i < 24; ++i)
            CHECK(got[i] == m[(i % 2) + ((i / 2) % 3) * 10 + (i / 6) * 100]);
    }
    SECTION("4D scatter")
    {
        // Linear source, destination pattern d0 2, d1 2 x step 5, d2 2 x step 50, d3 step 500.
        f.prog.write_bd(0, kMem, Direction::mm2s, 1, 0, BdFields{.address = 0, .length = 32});
        f.prog.write_bd(0, kMem, Direction::s2mm, 1, 1,
                        BdFields{.address = 0x40000, .length = 32, .d = {{2, 1}, {2, 5}, {2, 50}, {0, 500}}});
        f.prog.push_task(0, kMem, Direction::mm2s, 1, 0);
        f.prog.push_task(0, kMem, Direction::s2mm, 1, 1);
        REQUIRE(f.array.run_until_idle(10000));
        for (unsigned i = 0; i < 32; ++i) {
            const unsigned off = (i % 2) + ((i / 2) % 2) * 5 + ((i / 4) % 2) * 50 + (i / 8) * 500;
            uint32_t v = 0;
            REQUIRE(f.array.read_tile_memory(0, kMem, 0x40000 + off * 4, &v, 4));
            CHECK(v == m[i]);
        }
    }
    CHECK(f.array.errors().empty());
}

TEST_CASE("BD chaining, task repeat and the iteration dimension")
{
    Fixture f;
    const auto m = iota_words(64, 1000);
    REQUIRE(f.array.write_tile_memory(0, kMem, 0, m.data(), m.size() * 4));
    REQUIRE(f.prog.route_vertical(0, kMem, 0, kMem, 0, 0));
    // MM2S: BD0 (words 0..7) chains to BD1 (words 32..39).
    f.prog.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = 8, .use_next = true, .next_bd = 1});
    f.prog.write_bd(0, kMem, Direction::mm2s, 0, 1, BdFields{.address = 32 * 4, .length = 8});
    // S2MM: one 8-word BD run 2 times (repeat 1); iterations=2, step 8 words: second run lands 32 bytes later.
    f.prog.write_bd(0, kMem, Direction::s2mm, 0, 2,
                    BdFields{.address = 0x8000, .length = 8, .iterations = 2, .iter_step = 8});
    f.prog.push_task(0, kMem, Direction::mm2s, 0, 0);
    f.prog.push_task(0, kMem, Direction::s2mm, 0, 2, /*repeat*/ 1);
    REQUIRE(f.array.run_until_idle(10000));
    std::vector<uint32_t> got(16);
    REQUIRE(f.array.read_tile_memory(0, kMem, 0x8000, got.data(), 64));
    for (unsigned i = 0; i < 8; ++i) {
        CHECK(got[i] == m[i]);
        CHECK(got[8 + i] == m[32 + i]);
    }
    // One token per task, not per BD.
    CHECK(f.array.tct_issued({0, kMem, Direction::mm2s, 0}) == 1);
    CHECK(f.array.tct_issued({0, kMem, Direction::s2mm, 0}) == 1);
    CHECK(f.array.counters().value("dma.bds") == 4);
}

TEST_CASE("BD locks: an S2MM waits for its lock until software releases it")
{
    Fixture f;
    const auto m = iota_words(16, 5);
    REQUIRE(f.array.write_tile_memory(0, kMem, 0, m.data(), 64));
    REQUIRE(f.prog.route_vertical(0, kMem, 0, kMem, 0, 0));
    f.prog.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.length = 16});
    // acquire_greater_equal(1) on lock 5, release +1 on lock 6
    f.prog.write_bd(0, kMem, Direction::s2mm, 0, 1,
                    BdFields{.address = 0x1000, .length = 16, .acquire = true, .acq_val = -1, .acq_id = 5,
                             .rel_val = 1, .rel_id = 6});
    f.prog.push_task(0, kMem, Direction::mm2s, 0, 0);
    f.prog.push_task(0, kMem, Direction::s2mm, 0, 1);
    CHECK(f.array.run_until_idle(10000));   // deadlocked on the lock: nothing scheduled
    const auto st = f.array.read32(f.prog.status_address(0, kMem, Direction::s2mm, 0));
    CHECK((st & regs::status::kStalledLockAcq) != 0);
    CHECK((st & regs::kIdlePollMask) != 0);
    CHECK(f.array.tct_pending({0, kMem, Direction::s2mm, 0}) == 0);

    const Cycle before = f.array.now();
    f.prog.set_lock(0, kMem, 5, 1);
    REQUIRE(f.array.wait_tcts({0, kMem, Direction::s2mm, 0}, 1, 1000));
    CHECK(f.array.lock_value(0, kMem, 5) == 0);
    CHECK(f.array.lock_value(0, kMem, 6) == 1);
    // woken after one lock handshake, then 16 words + 1 switch
    CHECK(f.array.now() - before == f.c.lock_cycles + 16 + f.c.switch_hop_cycles);
    CHECK(f.array.tct_pending({0, kMem, Direction::s2mm, 0}) == 0);   // consumed
    std::vector<uint32_t> got(16);
    REQUIRE(f.array.read_tile_memory(0, kMem, 0x1000, got.data(), 64));
    CHECK(got == m);
}

TEST_CASE("lock request registers: acquire_ge, acquire_equal and release by read")
{
    Fixture f;
    const uint64_t req = f.array.tile_address(0, kCore, regs::kCoreMap.dma[0].lock_request);
    auto request = [&](unsigned id, bool acq, int v) {
        return f.array.read32(req + id * regs::kLockRequestIdStride + (acq ? regs::kLockRequestAcquire : 0) +
                              ((static_cast<uint32_t>(v) & 0x7F) << 2));
    };
    CHECK(request(3, false, 2) == 1);    // release +2
    CHECK(f.array.lock_value(0, kCore, 3) == 2);
    CHECK(request(3, true, -3) == 0);    // ge 3 fails
    CHECK(request(3, true, 2) == 1);     // equal 2 succeeds, unchanged
    CHECK(f.array.lock_value(0, kCore, 3) == 2);
    CHECK(request(3, true, -2) == 1);    // ge 2 takes 2
    CHECK(f.array.lock_value(0, kCore, 3) == 0);
    CHECK(request(3, false, -1) == 0);   // would go negative
    CHECK(f.array.read32(f.prog.lock_address(0, kCore, 3)) == 0);
}

TEST_CASE("a shim BD outside the VF's host memory is a DMA fault, not a crash")
{
    Fixture f;
    std::vector<ArrayError> seen;
    f.array.set_error_callback([&](const ArrayError& e) { seen.push_back(e); });
    REQUIRE(f.prog.route_vertical(1, kShim, 0, kMem, 0, 0));
    f.prog.write_bd(1, kShim, Direction::mm2s, 0, 0, BdFields{.address = f.dev(kHostBase + (1 << 20) - 8), .length = 4});
    f.prog.write_bd(1, kMem, Direction::s2mm, 0, 0, BdFields{.length = 4});
    f.prog.push_task(1, kMem, Direction::s2mm, 0, 0);
    f.prog.push_task(1, kShim, Direction::mm2s, 0, 0);
    f.array.run_until_idle(10000);
    REQUIRE(f.array.errors().size() == 1);
    CHECK(f.array.errors()[0].kind == ErrorKind::dma_fault);
    CHECK(f.array.errors()[0].col == 1);
    CHECK(seen.size() == 1);
    CHECK((f.array.read32(f.prog.status_address(1, kShim, Direction::mm2s, 0)) & regs::status::kError) != 0);
    CHECK(f.array.tct_issued({1, kShim, Direction::mm2s, 0}) == 0);

    // Column 3 has no host memory attached: also a fault.
    REQUIRE(f.prog.route_vertical(3, kShim, 0, kMem, 0, 0));
    f.prog.write_bd(3, kShim, Direction::mm2s, 0, 0, BdFields{.address = f.dev(kHostBase), .length = 4});
    f.prog.write_bd(3, kMem, Direction::s2mm, 0, 0, BdFields{.length = 4});
    f.prog.push_task(3, kMem, Direction::s2mm, 0, 0);
    f.prog.push_task(3, kShim, Direction::mm2s, 0, 0);
    f.array.run_until_idle(10000);
    REQUIRE(f.array.errors().size() == 2);
    CHECK(f.array.errors()[1].kind == ErrorKind::dma_fault);
}

TEST_CASE("bad routes, bad BDs and queue overflow are reported")
{
    Fixture f;
    SECTION("no route")
    {
        f.prog.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.length = 4});
        f.prog.push_task(0, kMem, Direction::mm2s, 0, 0);
        f.array.run_until_idle(1000);
        REQUIRE(f.array.errors().size() == 1);
        CHECK(f.array.errors()[0].kind == ErrorKind::bad_route);
    }
    SECTION("route leaves the array")
    {
        // Top compute row sends north: no tile above.
        REQUIRE(f.prog.connect(0, 5, Port{PortType::dma, 0}, Port{PortType::north, 0}));
        f.prog.write_bd(0, 5, Direction::mm2s, 0, 0, BdFields{.length = 4});
        f.prog.push_task(0, 5, Direction::mm2s, 0, 0);
        f.array.run_until_idle(1000);
        REQUIRE(f.array.errors().size() == 1);
        CHECK(f.array.errors()[0].kind == ErrorKind::bad_route);
        CHECK(f.array.errors()[0].message.find("leaves the array") != std::string::npos);
    }
    SECTION("4D BD on a 3D compute tile: the compute-tile layout has no D2 wrap")
    {
        const auto e = encode_bd(TileKind::core, BdFields{.length = 8, .d = {{2, 1}, {2, 2}, {2, 4}}});
        CHECK(e.error.find("D2 wrap") != std::string::npos);
        CHECK_THROWS_AS(f.prog.write_bd(0, kCore, Direction::s2mm, 0, 0,
                                        BdFields{.length = 8, .d = {{2, 1}, {2, 2}, {2, 4}}}),
                        std::invalid_argument);
    }
    SECTION("invalid BD and queue overflow")
    {
        f.prog.push_task(0, kMem, Direction::s2mm, 0, 7);   // BD 7 never written
        REQUIRE(f.array.errors().size() == 1);
        CHECK(f.array.errors()[0].kind == ErrorKind::bad_bd);
        f.prog.write_bd(0, kMem, Direction::s2mm, 0, 0, BdFields{.length = 4});
        for (unsigned i = 0; i < kTaskQueueDepth + 2; ++i)   // 1 running + 16 queued, then overflow
            f.prog.push_task(0, kMem, Direction::s2mm, 0, 0);
        REQUIRE(f.array.errors().size() == 2);
        CHECK(f.array.errors()[1].kind == ErrorKind::queue_overflow);
    }
}

TEST_CASE("unmodelled addresses read 0 and are counted; reset clears a column range")
{
    Fixture f;
    f.array.write32(f.array.tile_address(0, kShim, 0x7FFF0), 0x1234);
    f.array.write32(uint64_t{40} << 25, 1);   // column beyond the array
    CHECK(f.array.read32(f.array.tile_address(0, kShim, 0x7FFF0)) == 0);
    CHECK(f.array.counters().value("unmodelled.writes") == 2);

    const uint32_t word = 0xCAFEF00D;
    REQUIRE(f.array.write_tile_memory(1, kCore, 0x100, &word, 4));
    REQUIRE(f.array.write_tile_memory(2, kCore, 0x100, &word, 4));
    f.prog.set_lock(1, kMem, 40, 3);
    CHECK(f.array.read32(f.array.tile_address(1, kCore, 0x100)) == word);
    CHECK(f.array.lock_value(1, kMem, 40) == 3);
    f.array.reset_columns(1, 1);
    CHECK(f.array.read32(f.array.tile_address(1, kCore, 0x100)) == 0);
    CHECK(f.array.lock_value(1, kMem, 40) == 0);
    CHECK(f.array.read32(f.array.tile_address(2, kCore, 0x100)) == word);   // other partition untouched
}

TEST_CASE("a channel reset mid-burst drops the burst; the restarted task takes its full time")
{
    Fixture f;
    const auto src = iota_words(256, 11);
    REQUIRE(f.array.write_tile_memory(0, kMem, 0, src.data(), 1024));
    REQUIRE(f.prog.route_vertical(0, kMem, 0, kCore, 0, 0));
    f.prog.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = 256});
    f.prog.write_bd(0, kCore, Direction::s2mm, 0, 0, BdFields{.address = 0x1000, .length = 256});
    auto start = [&] {
        f.prog.push_task(0, kCore, Direction::s2mm, 0, 0);
        f.prog.push_task(0, kMem, Direction::mm2s, 0, 0);
    };
    // setup + 1024 B at 4 B/cycle + 2 switches (memory tile, compute tile)
    const Cycle transfer = f.c.bd_setup_cycles + 1024 / 4 + 2 * f.c.switch_hop_cycles;
    start();
    f.array.run_for(100);   // the burst is in flight (it would end at `transfer`)
    REQUIRE(f.array.now() < transfer);
    // Channel reset (CTRL bit 1) on both ends, then the same tasks again at once.
    for (auto [row, dir] : {std::pair{kMem, Direction::mm2s}, std::pair{kCore, Direction::s2mm}})
        f.array.write32(f.prog.queue_address(0, row, dir, 0) - 4, 0x2);
    const Cycle restart = f.array.now();
    start();
    REQUIRE(f.array.wait_tcts({0, kCore, Direction::s2mm, 0}, 1, 10000));
    // The dropped burst's event must not complete the new one early.
    CHECK(f.array.now() == restart + transfer);
    std::vector<uint32_t> dst(256);
    REQUIRE(f.array.read_tile_memory(0, kCore, 0x1000, dst.data(), 1024));
    CHECK(dst == src);
    CHECK(f.array.tct_issued({0, kMem, Direction::mm2s, 0}) == 1);
    CHECK(f.array.errors().empty());
}

TEST_CASE("a column reset with bursts, lock waits and kernels in flight drops them cleanly")
{
    Fixture f;
    // Column 1: a memory tile -> compute tile burst in flight, and a compute-tile S2MM waiting
    // on a lock. Column 2: the same transfer, not reset, must finish as if nothing happened.
    const auto src = iota_words(256, 5);
    for (uint16_t col : {uint16_t{1}, uint16_t{2}}) {
        REQUIRE(f.array.write_tile_memory(col, kMem, 0, src.data(), 1024));
        REQUIRE(f.prog.route_vertical(col, kMem, 0, kCore, 0, 0));
        f.prog.write_bd(col, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = 256});
        f.prog.write_bd(col, kCore, Direction::s2mm, 0, 0, BdFields{.address = 0x1000, .length = 256});
        f.prog.write_bd(col, kCore, Direction::s2mm, 1, 1,
                        BdFields{.address = 0x2000, .length = 16, .acquire = true, .acq_val = -1, .acq_id = 7});
        f.prog.push_task(col, kCore, Direction::s2mm, 0, 0);
        f.prog.push_task(col, kMem, Direction::mm2s, 0, 0);
        f.prog.push_task(col, kCore, Direction::s2mm, 1, 1);
    }
    f.array.run_for(100);
    f.array.reset_columns(1, 1);
    f.prog.set_lock(2, kCore, 7, 1);   // a lock release after the reset: only column 2's waiter is left
    REQUIRE(f.array.run_until_idle(100000));
    std::vector<uint32_t> dst(256);
    REQUIRE(f.array.read_tile_memory(1, kCore, 0x1000, dst.data(), 1024));
    CHECK(dst == std::vector<uint32_t>(256, 0));   // the dropped burst wrote nothing
    CHECK(f.array.tct_issued({1, kCore, Direction::s2mm, 0}) == 0);
    REQUIRE(f.array.read_tile_memory(2, kCore, 0x1000, dst.data(), 1024));
    CHECK(dst == src);
    CHECK(f.array.tct_issued({2, kCore, Direction::s2mm, 0}) == 1);
    CHECK(f.array.errors().empty());
    // The reset column works again from scratch.
    REQUIRE(f.array.write_tile_memory(1, kMem, 0, src.data(), 1024));
    REQUIRE(f.prog.route_vertical(1, kMem, 0, kCore, 0, 0));
    f.prog.write_bd(1, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = 256});
    f.prog.write_bd(1, kCore, Direction::s2mm, 0, 0, BdFields{.address = 0x1000, .length = 256});
    f.prog.push_task(1, kCore, Direction::s2mm, 0, 0);
    f.prog.push_task(1, kMem, Direction::mm2s, 0, 0);
    REQUIRE(f.array.wait_tcts({1, kCore, Direction::s2mm, 0}, 1, 10000));
    REQUIRE(f.array.read_tile_memory(1, kCore, 0x1000, dst.data(), 1024));
    CHECK(dst == src);
}

TEST_CASE("a column reset zeroes every byte written since the last one, however it was written")
{
    // A reset zeroes only the range written since the previous one (not the whole 3 MB of a
    // memory tile); writes through each path must therefore be remembered.
    Fixture f;
    const uint32_t ones = 0xFFFFFFFFu;
    REQUIRE(f.array.write_tile_memory(1, kMem, 0x10, &ones, 4));
    REQUIRE(f.array.write_tile_memory(1, kMem, 0x2F'FFF0, &ones, 4));   // near the top
    REQUIRE(f.array.write_tile_memory(1, kCore, 0x100, &ones, 4));
    f.array.reset_columns(1, 1);
    for (auto [row, off] : {std::pair{kMem, 0x10u}, std::pair{kMem, 0x2F'FFF0u}, std::pair{kCore, 0x100u}}) {
        uint32_t v = 1;
        REQUIRE(f.array.read_tile_memory(1, row, off, &v, 4));
        CHECK(v == 0);
    }
    // A second round after the reset: the range was forgotten and is recorded anew.
    REQUIRE(f.array.write_tile_memory(1, kMem, 0x40, &ones, 4));
    f.array.reset_columns(1, 1);
    uint32_t v = 1;
    REQUIRE(f.array.read_tile_memory(1, kMem, 0x40, &v, 4));
    CHECK(v == 0);
}
