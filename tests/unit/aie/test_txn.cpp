#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <vector>

#include "hw/aie/program.hpp"
#include "hw/aie/txn.hpp"

using namespace aie4emu::aie;

namespace {

std::vector<uint32_t> with_header(uint32_t major, uint32_t ops, std::vector<uint32_t> body)
{
    std::vector<uint32_t> w = {6u << 24 | 4u << 16 | (major == 0 ? 1u : 0u) << 8 | major, 1u << 8 | 3u, ops,
                               static_cast<uint32_t>((body.size() + 4) * 4)};
    w.insert(w.end(), body.begin(), body.end());
    return w;
}

// A shim -> memory tile copy expressed as transaction ops: routes, BDs by blockwrite,
// a DDR patch of the shim BD address, queue pushes and a TCT sync.
std::vector<uint32_t> copy_program(Array& a, uint32_t major)
{
    ArrayProgrammer p(a);
    std::vector<uint32_t> body;
    uint32_t ops = 0;
    auto write = [&](uint64_t addr, uint32_t v) {
        if (major == 0)
            body.insert(body.end(), {0u, 0u, static_cast<uint32_t>(addr), static_cast<uint32_t>(addr >> 32), v, 24u});
        else
            body.insert(body.end(), {0u, static_cast<uint32_t>(addr), v});
        ++ops;
    };
    auto block = [&](uint64_t addr, std::span<const uint32_t> words, unsigned n) {
        const uint32_t hdr = major == 0 ? 4 : 3;
        if (major == 0)
            body.insert(body.end(), {1u, 0u, static_cast<uint32_t>(addr), (hdr + n) * 4});
        else
            body.insert(body.end(), {1u, static_cast<uint32_t>(addr), (hdr + n) * 4});
        body.insert(body.end(), words.begin(), words.begin() + n);
        ++ops;
    };
    const auto& shim = regs::kShimMap;
    const auto& mem = regs::kMemMap;
    // routes: shim MM2S0 -> north 0; memory tile south 0 -> S2MM0
    const unsigned s_mm2s0 = *port_number(slave_groups(TileKind::shim), Port{PortType::dma, 0});
    const unsigned m_north0 = *port_number(master_groups(TileKind::shim), Port{PortType::north, 0});
    const unsigned s_south0 = *port_number(slave_groups(TileKind::mem), Port{PortType::south, 0});
    const unsigned m_s2mm0 = *port_number(master_groups(TileKind::mem), Port{PortType::dma, 0});
    write(a.tile_address(0, 0, shim.ss_master + 4 * m_north0), regs::ss::kEnable | s_mm2s0);
    write(a.tile_address(0, 1, mem.ss_master + 4 * m_s2mm0), regs::ss::kEnable | s_south0);
    const auto shim_bd = encode_bd(TileKind::shim, BdFields{.address = 0, .length = 8});
    const auto mem_bd = encode_bd(TileKind::mem, BdFields{.address = 0x3000, .length = 8});
    block(a.tile_address(0, 0, shim.dma[0].bd_base), shim_bd.span(), regs::kShimBdWords);
    block(a.tile_address(0, 1, mem.dma[0].bd_base), mem_bd.span(), regs::kMemBdWords);
    // patch the shim BD's address (word 1) with buffer 1 + 16
    const uint32_t bd_w1 = static_cast<uint32_t>(a.tile_address(0, 0, shim.dma[0].bd_base + 4));
    if (major == 0)
        body.insert(body.end(), {0x81u, 48u, 0u, 0u, 0u, 0u, bd_w1, 0u, 1u, 0u, 16u, 0u});
    else
        body.insert(body.end(), {0x81u, 24u, bd_w1, 1u, 16u, 0u});
    ++ops;
    write(p.queue_address(0, 1, Direction::s2mm, 0), regs::queue::kToken);
    write(p.queue_address(0, 0, Direction::mm2s, 0), 0);
    body.insert(body.end(), {5u});   // noop
    ++ops;
    body.insert(body.end(), {0x80u, 16u, 0u | 1u << 8 | 0u << 16, 0u});   // S2MM, row 1, col 0, chan 0
    ++ops;
    // poll the memory tile S2MM0 status idle
    const uint64_t st = p.status_address(0, 1, Direction::s2mm, 0);
    if (major == 0)
        body.insert(body.end(), {4u, 0u, static_cast<uint32_t>(st), 0u, 0u, regs::kIdlePollMask, 28u});
    else
        body.insert(body.end(), {4u, static_cast<uint32_t>(st), 0u, regs::kIdlePollMask});
    ++ops;
    return with_header(major, ops, body);
}

} // namespace

TEST_CASE("both transaction encodings run a patched shim copy to completion")
{
    for (uint32_t major : {0u, 1u}) {
        Array array;
        BufferHostMemory host(0x5000'0000, 4096);
        array.attach_host_memory(0, 3, &host);
        for (uint32_t i = 0; i < 32; ++i)
            host.at(0x5000'0000)[i + 16 + 0x100] = static_cast<uint8_t>(i * 7 + major);
        txn::Interpreter interp(array);
        interp.set_buffers({0x5000'0000, 0x5000'0100});
        const auto prog = copy_program(array, major);
        const auto r = interp.run(prog);
        INFO("major " << major << " error " << r.error);
        REQUIRE(r.ok);
        CHECK(r.ops == 10);
        uint8_t got[32];
        REQUIRE(array.read_tile_memory(0, 1, 0x3000, got, 32));
        for (uint32_t i = 0; i < 32; ++i)
            CHECK(got[i] == static_cast<uint8_t>(i * 7 + major));
        CHECK(array.tct_pending({0, 1, Direction::s2mm, 0}) == 0);   // consumed by the sync
        CHECK(array.errors().empty());
    }
}

TEST_CASE("unknown opcodes, truncation and bad patch arguments report the op offset")
{
    Array array;
    txn::Interpreter interp(array);
    auto prog = with_header(0, 2, {5u, 0x42u});
    auto r = interp.run(prog);
    CHECK_FALSE(r.ok);
    CHECK(r.error_offset == 20);
    CHECK(r.error.find("0x42") != std::string::npos);

    r = interp.run(with_header(1, 1, {0u, 0x100000u}));   // WRITE missing its value
    CHECK_FALSE(r.ok);
    CHECK(r.error_offset == 16);

    r = interp.run(with_header(1, 1, {0x81u, 24u, 0x18004u, 3u, 0u, 0u}));
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("argument 3") != std::string::npos);

    r = interp.run(with_header(7, 0, {}));
    CHECK_FALSE(r.ok);

    interp.set_wait_limit(1000);
    r = interp.run(with_header(1, 1, {0x80u, 16u, 1u << 8, 0u}));   // nothing will ever complete
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("TCT") != std::string::npos);
    CHECK(interp.run(std::vector<uint32_t>{1, 2}).ok == false);
}
