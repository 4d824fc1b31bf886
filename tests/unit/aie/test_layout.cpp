// AIE4 BD, task-queue and lock layouts (hw/aie/register_map.hpp) checked against BDs that AMD's
// compiler wrote: the words below are transcribed as numbers from AMD's published AIE4 control
// code (Xilinx/aiebu test/aie4-ctrlcode/compile_time/op_Add_qdq_BroadCast_uint16xuint16xuint16_
// layer_id_1357/Work_AIE4/uc0.asm unless a test names another operator, docs/spec/array.md §A.2c). Plus the caps on guest-chosen
// sizes: burst size, repeat count, iteration count, lock ids.
#include <catch2/catch_test_macros.hpp>

#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/bd.hpp"
#include "hw/aie/program.hpp"

using namespace aie4emu::aie;

namespace {
constexpr uint16_t kShim = 0, kMem = 1, kCore = 2;

// Memory-tile BD at 0x108000 (S2MM0 BD0): DMAWRITE_data_0.
constexpr uint32_t kMemS2mm0Bd0[11] = {0x00803408, 0xfe000800, 0x1d200ba7, 1, 1, 1, 1, 0, 0, 0, 0};
// 0x108630 (S2MM2 BD1, DMAWRITE_data_6), the head of the chain 1 -> 2 -> 3 -> 4 of S2MM2's group.
constexpr uint32_t kMemS2mm2Bd1[11] = {0x00801388, 0xfe000800, 0x1cc00381, 1, 1, 1, 1, 0, 0, 0, 0x14000000};
// 0x1086c0 (S2MM2 BD4, DMAWRITE_data_9), the chain's end.
constexpr uint32_t kMemS2mm2Bd4[11] = {0x00802b88, 0x00000800, 0x1c000b9b, 1, 1, 1, 1, 0, 0, 0, 0};
// 0x108900 (S2MM3 BD0, DMAWRITE_data_15).
constexpr uint32_t kMemS2mm3Bd0[11] = {0x00800400, 0xfe000120, 0x1c600b8f, 1, 1, 1, 1, 0, 0, 0, 0x0c000000};
// Shim BD0 at 0x18000 (DMAWRITE_data_63), linear, address patched by APPLY_OFFSET_57.
constexpr uint32_t kShimBd0[9] = {0, 0x00a2f000, 0x00000400, 0x03000000, 0, 1, 1, 0x20000001, 0x400};
// Shim BD2 at 0x18060 (DMAWRITE_data_65): 2D, chained to BD3, 6 iterations.
constexpr uint32_t kShimBd2[9] = {0, 0x0067e000, 0x00000800, 0x03000000, 0x01000000, 0x1c000280, 1, 0x21400060, 0x400};
// Shim BD5 at 0x180f0 (DMAWRITE_data_68): the chain's end; BD3/BD4 at 0x6a6000/0x6ce000.
constexpr uint32_t kShimBd5[9] = {0, 0x006f6000, 0x00000800, 0x03000000, 0x01000000, 0x00000280, 1, 0x21400060, 0x400};

Bd decode(TileKind k, const uint32_t* w, unsigned n) { return decode_bd(k, std::span<const uint32_t>(w, n), resources(k).locks); }
} // namespace

TEST_CASE("AMD memory-tile BDs decode field by field")
{
    const Bd b = decode(TileKind::mem, kMemS2mm0Bd0, 11);
    CHECK(b.refused.empty());
    CHECK(b.address == 0x3408u * 4);        // BASE_ADDRESS in words, 0x800000 = this tile
    CHECK(b.length == 2048);                // BUFFER_LENGTH [24:0]
    CHECK(b.acq_en);                        // LOCK_ACQ_ENABLE [0]
    CHECK(b.acq_val == -1);                 // LOCK_ACQ_VALUE [31:25] 0x7F
    CHECK(b.acq_id == 466 - 448);           // LOCK_ACQ_ID [29:20] = 466
    CHECK(b.rel_val == 1);                  // LOCK_REL_VALUE [17:11]
    CHECK(b.rel_id == 467 - 448);           // LOCK_REL_ID [10:1] = 467
    CHECK(b.d[0].step == 1);                // D0 step: no field, always 1
    CHECK(b.d[1].step == 1);                // D1..D3 and iteration steps stored raw
    CHECK(b.d[2].step == 1);
    CHECK(b.d[3].step == 1);
    CHECK(b.iter_step == 1);
    CHECK(b.d[0].wrap == 0);                // D0/D1/D2 wrap 0: linear
    CHECK(b.d[1].wrap == 0);
    CHECK(b.d[2].wrap == 0);
    CHECK(b.iterations == 1);               // ITERATION_WRAP stored as wrap - 1
    CHECK_FALSE(b.use_next);

    const Bd head = decode(TileKind::mem, kMemS2mm2Bd1, 11);
    CHECK(head.refused.empty());
    CHECK(head.use_next);                   // USE_NEXT_BD [26]
    CHECK(head.next_bd == 2);               // NEXT_BD [30:27]: BD 2 of the same channel's group
    CHECK(head.acq_id == 460 - 448);
    CHECK(head.rel_val == 0);               // release value 0: no release
    const Bd end = decode(TileKind::mem, kMemS2mm2Bd4, 11);
    CHECK(end.acq_en);
    CHECK(end.acq_val == 0);                // acquire_equal(0) on lock 448
    CHECK(end.acq_id == 0);
    CHECK(end.rel_id == 461 - 448);
    CHECK_FALSE(end.use_next);
    const Bd s3 = decode(TileKind::mem, kMemS2mm3Bd0, 11);
    CHECK(s3.length == 0x120);
    CHECK(s3.next_bd == 1);
    CHECK(s3.acq_id == 454 - 448);
    CHECK(s3.rel_id == 455 - 448);
}

TEST_CASE("memory-tile wrap fields round-trip through the layout (positions from docs/spec/array.md §A.2c)")
{
    // D0_WRAP w9[17:6], D1_WRAP w9[29:18], D2_WRAP w10[25:14], ITERATION_WRAP w10[7:0].
    uint32_t w[11] = {0x00800000, 12544, 0, 1, 1, 1, 1, 0, 0, (4u << 18) | (224u << 6), (14u << 14) | 2u};
    const Bd b = decode(TileKind::mem, w, 11);
    CHECK(b.refused.empty());
    CHECK(b.d[0].wrap == 224);
    CHECK(b.d[1].wrap == 4);
    CHECK(b.d[2].wrap == 14);
    CHECK(uint64_t{b.d[0].wrap} * b.d[1].wrap * b.d[2].wrap == b.length);
    CHECK(b.iterations == 3);
    const auto e = encode_bd(TileKind::mem, BdFields{.length = 12544, .d = {{224, 1}, {4, 1}, {14, 1}}, .iterations = 3});
    CHECK(e.error.empty());
    CHECK(std::vector<uint32_t>(e.span().begin(), e.span().end()) == std::vector<uint32_t>(w, w + 11));
}

TEST_CASE("AMD shim BDs decode field by field")
{
    const Bd b = decode(TileKind::shim, kShimBd0, 9);
    CHECK(b.refused.empty());
    CHECK(b.address == 0x00a2f000);         // byte address, words 0/1
    CHECK(b.length == 1024);                // BUFFER_LENGTH w2, words
    CHECK(b.d[1].step == 1);                // D1_STEPSIZE w5[21:0]
    CHECK(b.d[2].step == 1);                // D2_STEPSIZE w6[21:0]
    CHECK(b.d[3].step == 1);                // w8 0x400: D3 step 1 at bit 10 (inferred)
    CHECK(b.iterations == 1);
    CHECK(b.iter_step == 1);
    CHECK_FALSE(b.acq_en);

    const Bd d = decode(TileKind::shim, kShimBd2, 9);
    CHECK(d.refused.empty());
    CHECK(d.length == 2048);
    CHECK(d.d[0].wrap == 32);               // D0_WRAP w4[30:19] (inferred, see below)
    CHECK(d.d[1].step == 640);
    CHECK(d.use_next);
    CHECK(d.next_bd == 3);
    CHECK(d.iterations == 6);               // ITERATION_WRAP w7[27:22] = 5
    CHECK(d.iter_step == 0x60);
    // The chain BD2..BD5 tiles one buffer: each BD covers length / D0 wrap rows of a
    // 640-word pitch, which is exactly the spacing AMD gave the four BDs' addresses.
    const uint64_t rows = d.length / d.d[0].wrap;
    CHECK(rows * d.d[1].step * 4 == 0x28000);
    const Bd last = decode(TileKind::shim, kShimBd5, 9);
    CHECK(last.address - d.address == 3 * 0x28000);
    CHECK_FALSE(last.use_next);
}

TEST_CASE("fields the model cannot honour are refused by name")
{
    SECTION("memory-tile padding word")
    {
        uint32_t w[11];
        std::copy(std::begin(kMemS2mm0Bd0), std::end(kMemS2mm0Bd0), w);
        w[8] = 0x10;
        CHECK(decode(TileKind::mem, w, 11).refused.find("word 8") != std::string::npos);
    }
    SECTION("memory-tile address of a neighbouring tile")
    {
        uint32_t w[11];
        std::copy(std::begin(kMemS2mm0Bd0), std::end(kMemS2mm0Bd0), w);
        w[0] = 0x3408;
        CHECK(decode(TileKind::mem, w, 11).refused.find("0x800000") != std::string::npos);
    }
    SECTION("memory-tile lock outside 448..511")
    {
        uint32_t w[11];
        std::copy(std::begin(kMemS2mm0Bd0), std::end(kMemS2mm0Bd0), w);
        w[2] = (100u << 20) | 1;
        CHECK(decode(TileKind::mem, w, 11).refused.find("LOCK_ACQ_ID 100") != std::string::npos);
    }
    SECTION("shim lock or wrap bits whose positions are unknown")
    {
        uint32_t w[9];
        std::copy(std::begin(kShimBd0), std::end(kShimBd0), w);
        w[3] |= 0x10;
        CHECK(decode(TileKind::shim, w, 9).refused.find("word 3") != std::string::npos);
    }
    SECTION("compute-tile packet word")
    {
        const uint32_t w[6] = {16, 1, 1, 1, 1, 0};
        CHECK(decode(TileKind::core, w, 6).refused.find("packet") != std::string::npos);
    }
    SECTION("a refused BD stops its channel with a bad_bd error naming the field")
    {
        Array a;
        uint32_t w[11];
        std::copy(std::begin(kMemS2mm0Bd0), std::end(kMemS2mm0Bd0), w);
        w[7] = 1;
        ArrayProgrammer p(a);
        a.block_write(p.bd_address(0, kMem, Direction::s2mm, 0, 0), w);
        p.push_task(0, kMem, Direction::s2mm, 0, 0);
        a.run_until_idle(1000);
        REQUIRE(a.errors().size() == 1);
        CHECK(a.errors()[0].kind == ErrorKind::bad_bd);
        CHECK(a.errors()[0].message.find("word 7") != std::string::npos);
    }
}

TEST_CASE("memory-tile BDs are private to their channel: the same id names different BDs")
{
    Array a;
    ArrayProgrammer p(a);
    CHECK(p.bd_address(0, kMem, Direction::s2mm, 0, 0) == a.tile_address(0, kMem, 0x8000));
    CHECK(p.bd_address(0, kMem, Direction::s2mm, 2, 1) == a.tile_address(0, kMem, 0x8630));
    CHECK(p.bd_address(0, kMem, Direction::mm2s, 0, 0) == a.tile_address(0, kMem, 0x8C00));
    CHECK(p.bd_address(0, kMem, Direction::mm2s, 4, 0) == a.tile_address(0, kMem, 0x9800));
    CHECK(p.bd_address(0, kMem, Direction::s2mm, 4, 0) == a.tile_address(0, kMem, 0x48000));   // App B
    CHECK(p.bd_address(0, kShim, Direction::mm2s, 0, 2) == a.tile_address(0, kShim, 0x18060));
    CHECK(p.bd_address(0, kCore, Direction::s2mm, 0, 3) == a.tile_address(0, kCore, 0xA8060));
    // Memory-tile locks: value register of lock 448 + n at 0x10000 + 0x10 n (App B from 480).
    CHECK(p.lock_address(0, kMem, 18) == a.tile_address(0, kMem, 0x10120));
    CHECK(p.lock_address(0, kMem, 33) == a.tile_address(0, kMem, 0x50010));
}

TEST_CASE("status registers sit where AMD's programs poll them")
{
    Array a;
    ArrayProgrammer p(a);
    CHECK(p.status_address(0, kShim, Direction::s2mm, 0) == a.tile_address(0, kShim, 0x18570));
    CHECK(p.status_address(0, kShim, Direction::mm2s, 0) == a.tile_address(0, kShim, 0x18580));
    CHECK(p.status_address(0, kShim, Direction::mm2s, 1) == a.tile_address(0, kShim, 0x18584));
    CHECK(p.status_address(0, kMem, Direction::mm2s, 4) == a.tile_address(0, kMem, 0x9F10));
    CHECK(p.queue_address(0, kShim, Direction::s2mm, 0) == a.tile_address(0, kShim, 0x18544));
    CHECK(p.queue_address(0, kMem, Direction::mm2s, 4) == a.tile_address(0, kMem, 0x9E84));
}

TEST_CASE("an AMD task-queue word runs its BD chain repeat + 1 times through the iterations")
{
    // 0x109e14 <- 0x00050001 (memory-tile S2MM2: start BD 1, REPEAT_COUNT 5 = 6 runs); here a
    // 2-BD chain on MM2S0 -> S2MM0 in one memory tile, the MM2S BD with 6 iterations of step 8.
    Array a;
    ArrayProgrammer p(a);
    std::vector<uint32_t> src(64);
    for (unsigned i = 0; i < src.size(); ++i)
        src[i] = 0x1000 + i;
    REQUIRE(a.write_tile_memory(0, kMem, 0, src.data(), src.size() * 4));
    REQUIRE(p.route_vertical(0, kMem, 0, kMem, 0, 0));
    p.write_bd(0, kMem, Direction::mm2s, 0, 1, BdFields{.address = 0, .length = 4, .iterations = 6, .iter_step = 8});
    p.write_bd(0, kMem, Direction::s2mm, 0, 1, BdFields{.address = 0x1000, .length = 24});
    a.write32(p.queue_address(0, kMem, Direction::mm2s, 0), 0x00050001);
    a.write32(p.queue_address(0, kMem, Direction::s2mm, 0), 0x00000001);
    REQUIRE(a.run_until_idle(100000));
    CHECK(a.errors().empty());
    std::vector<uint32_t> got(24);
    REQUIRE(a.read_tile_memory(0, kMem, 0x1000, got.data(), got.size() * 4));
    for (unsigned r = 0; r < 6; ++r)
        for (unsigned k = 0; k < 4; ++k)
            CHECK(got[r * 4 + k] == src[r * 8 + k]);
}

TEST_CASE("a memory-tile task queue holds the six tasks AMD's operator pushes before data moves (depth 16)")
{
    // op_Add_qdq_BroadCast_uint16xuint16xuint16_layer_id_721/Work_AIE4/uc0.asm [D]: S2MM2's BD0
    // (0x108600, DMAWRITE_data_7) acquires lock 449, which 0x110010 <- 1 initialises, and then
    // waits for stream data; before any arrives the program writes six words to S2MM2's queue.
    constexpr uint32_t kBd0[11] = {0x00800000, 0xfe000400, 0x1c100b85, 1, 1, 1, 1, 0, 0, 0, 0};
    constexpr uint32_t kQueueWords[6] = {0x00000000, 0x00040001, 0x00010005, 0x00040006, 0x00010005, 0x0004000a};
    Array a;
    for (unsigned w = 0; w < 11; ++w)
        a.write32(a.tile_address(0, kMem, 0x8600 + 4 * w), kBd0[w]);
    a.write32(a.tile_address(0, kMem, 0x10010), 1);
    const uint64_t queue = a.tile_address(0, kMem, 0x9E14);
    const uint64_t status = a.tile_address(0, kMem, 0x9ED8);   // S2MM2 status, 0x9ED0 + 4k
    for (uint32_t q : kQueueWords)
        a.write32(queue, q);
    a.run_until_idle(10000);
    CHECK(a.errors().empty());
    CHECK((a.read32(status) & regs::status::kRunning) != 0);        // BD0 holds the channel
    CHECK(((a.read32(status) >> regs::status::kQueueSizeShift) & 0x1F) == 5);
    // 16 pending tasks fit [R: aie-codegen waits on bit 24, the MSB of TASK_QUEUE_SIZE, for
    // "not full"]; at 16 that bit is set, and a 17th task is refused.
    for (unsigned i = 5; i < kTaskQueueDepth; ++i)
        a.write32(queue, 0x00000001);
    CHECK(a.errors().empty());
    CHECK((a.read32(status) & (1u << 24)) != 0);
    a.write32(queue, 0x00000001);
    REQUIRE(a.errors().size() == 1);
    CHECK(a.errors()[0].kind == ErrorKind::queue_overflow);
}

TEST_CASE("caps on guest-chosen sizes")
{
    SECTION("a long BD moves in bursts of at most kMaxBurstWords")
    {
        Array a;
        ArrayProgrammer p(a);
        REQUIRE(p.route_vertical(0, kMem, 0, kMem, 0, 0));
        const uint32_t words = 3 * kMaxBurstWords + 5;   // 768 KiB + 20 bytes, inside the 3 MB tile
        p.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = words});
        p.write_bd(0, kMem, Direction::s2mm, 0, 0, BdFields{.address = 0x100000, .length = words});
        p.push_task(0, kMem, Direction::mm2s, 0, 0);
        p.push_task(0, kMem, Direction::s2mm, 0, 0);
        REQUIRE(a.run_until_idle(10'000'000));
        CHECK(a.errors().empty());
        CHECK(a.counters().value("dma.bursts") == 4);
        CHECK(a.counters().value("dma.bytes") == uint64_t{words} * 4);
    }
    SECTION("a repeat count beyond REPEAT_COUNT's 8 bits is refused, naming the cap")
    {
        Array a;
        ArrayProgrammer p(a);
        p.write_bd(0, kMem, Direction::s2mm, 0, 0, BdFields{.length = 4});
        a.write32(p.queue_address(0, kMem, Direction::s2mm, 0), (300u << 16) | 0);
        REQUIRE(a.errors().size() == 1);
        CHECK(a.errors()[0].message.find("cap 256 repeats") != std::string::npos);
        CHECK(a.counters().value("dma.tasks") == 0);
    }
    SECTION("an iteration count is bounded by ITERATION_WRAP's width")
    {
        // Shim ITERATION_WRAP is 6 bits: 64 iterations at most; 65 cannot be expressed.
        CHECK(encode_bd(TileKind::shim, BdFields{.length = 4, .iterations = 64}).error.empty());
        CHECK(encode_bd(TileKind::shim, BdFields{.length = 4, .iterations = 65}).error.find("iteration wrap") !=
              std::string::npos);
        // A raw ITERATION_WRAP field of all ones decodes to the cap, never more.
        uint32_t w[9] = {0, 0, 4, 0, 0, 1, 1, (0x3Fu << 22) | 1u, 0x400};
        CHECK(decode(TileKind::shim, w, 9).iterations == 64);
    }
    SECTION("a BD length is bounded by BUFFER_LENGTH's width and by the tile memory")
    {
        // Memory tile BUFFER_LENGTH is 25 bits; longer cannot be expressed, and what the
        // field holds beyond the tile's memory faults instead of reading past it.
        CHECK(encode_bd(TileKind::mem, BdFields{.length = 1u << 25}).error.find("length") != std::string::npos);
        Array a;
        ArrayProgrammer p(a);
        REQUIRE(p.route_vertical(0, kMem, 0, kMem, 0, 0));
        p.write_bd(0, kMem, Direction::mm2s, 0, 0, BdFields{.address = 0, .length = (1u << 25) - 1});
        p.write_bd(0, kMem, Direction::s2mm, 0, 0, BdFields{.address = 0, .length = (1u << 25) - 1});
        p.push_task(0, kMem, Direction::mm2s, 0, 0);
        p.push_task(0, kMem, Direction::s2mm, 0, 0);
        a.run_until_idle(100'000'000);
        REQUIRE_FALSE(a.errors().empty());
        CHECK(a.errors()[0].kind == ErrorKind::dma_fault);
    }
}

TEST_CASE("known blocks without behaviour are stored and counted apart from unknown addresses")
{
    Array a;
    const uint64_t ss = a.tile_address(0, kMem, 0x20004);   // memory-tile stream-switch block [I]
    a.write32(ss, 0x1234);
    CHECK(a.read32(ss) == 0x1234);
    CHECK(a.counters().value("stored_no_behaviour.writes") == 1);
    CHECK(a.counters().value("unmodelled.writes") == 0);
    a.write32(a.tile_address(0, kMem, 0x70000), 1);          // nothing known there
    CHECK(a.counters().value("unmodelled.writes") == 1);
}

TEST_CASE("a core enabled with no program loaded fails naming the tile; a DMA waiting on it is reported")
{
    Array a;
    ArrayProgrammer p(a);
    // The compute tile's S2MM waits on a lock only a core program would release.
    p.write_bd(1, 3, Direction::s2mm, 0, 0, BdFields{.length = 4, .acquire = true, .acq_val = -1, .acq_id = 2});
    p.push_task(1, 3, Direction::s2mm, 0, 0);
    a.run_until_idle(1000);
    REQUIRE(a.cores_awaited().size() == 1);
    CHECK(a.cores_awaited()[0] == std::pair<uint16_t, uint16_t>{1, 3});
    a.mask_write32(a.tile_address(1, 3, regs::kCoreMap.core_control), regs::core::kEnable, regs::core::kEnable);
    REQUIRE(a.errors().size() == 1);
    CHECK(a.errors()[0].kind == ErrorKind::core_error);
    CHECK(a.errors()[0].message == "core program not loaded for tile (1,3)");
}

TEST_CASE("every register AMD's operator writes lands in a modelled block")
{
    // Destinations of the UC-DMA BDs and polls of AMD's uc0.asm (the operator above), column 0.
    const uint32_t bds[] = {0x108000, 0x108030, 0x108060, 0x108300, 0x108330, 0x108600, 0x1086f0, 0x108780,
                            0x1087b0, 0x108900, 0x108ab0, 0x148000, 0x148330, 0x108c00, 0x108cc0, 0x108f30,
                            0x109200, 0x1092c0, 0x109500, 0x109530, 0x109800, 0x109980, 0x148c00, 0x148cc0,
                            0x149200, 0x1492f0, 0x18000, 0x18030, 0x18270};
    const uint32_t regs_written[] = {0x110000, 0x110010, 0x1101f0, 0x150000, 0x150050, 0x109e04, 0x109e0c, 0x109e14,
                                     0x109e1c, 0x149e04, 0x149e0c, 0x109e64, 0x109e6c, 0x109e74, 0x109e7c, 0x109e84,
                                     0x149e64, 0x149e74, 0x18544, 0x18554, 0x1855c, 0x10000};
    Array a;
    std::vector<WriteClass> seen;
    a.set_write_observer([&](uint64_t, uint32_t, WriteClass c) { seen.push_back(c); });
    for (uint32_t addr : bds)
        for (unsigned w = 0; w < (addr < 0x100000 ? 9u : 11u); ++w)
            a.write32(addr + 4 * w, 0);
    const size_t bd_writes = seen.size();
    for (size_t i = 0; i < bd_writes; ++i)
        CHECK(seen[i] == WriteClass::bd);
    for (uint32_t addr : regs_written)
        a.write32(addr, 0);   // lock values 0, and task-queue words naming BD 0 once
    for (size_t i = bd_writes; i < seen.size(); ++i)
        CHECK(seen[i] == WriteClass::modelled);
    // Polled status registers decode (channel status, not "unmodelled" reads).
    const auto reads_before = a.counters().value("unmodelled.reads");
    for (uint32_t addr : {0x18570u, 0x18580u, 0x18584u, 0x109ed0u, 0x109ed4u, 0x109f10u, 0x149ed0u})
        (void)a.read32(addr);
    CHECK(a.counters().value("unmodelled.reads") == reads_before);
}
