#include "hw/aie/gemm_pipeline.hpp"

#include "hw/aie/kernels.hpp"
#include "hw/aie/program.hpp"

namespace aie4emu::aie {
namespace {
constexpr uint32_t kMemA = 0x0, kMemB = 0x80000, kMemC = 0x100000;   // memory-tile buffers
constexpr uint32_t kCoreA = 0x0, kCoreB = 0x8000, kCoreC = 0x10000;   // compute-tile buffers
} // namespace

bool program_gemm_pipeline(Array& a, const GemmPipelineConfig& cfg)
{
    ArrayProgrammer p(a);
    const auto& g = a.geometry();
    const uint16_t col = cfg.col, shim = g.shim_row, mem = g.mem_row_start, core = cfg.core_row;
    const uint32_t esize = cfg.bf16 ? 2 : 1;
    const uint64_t a_bytes = uint64_t{cfg.m} * cfg.k * esize, b_bytes = uint64_t{cfg.k} * cfg.n * esize;
    const uint64_t c_bytes = uint64_t{cfg.m} * cfg.n * 4;
    if (a_bytes % 4 || b_bytes % 4 || a_bytes > kCoreB - kCoreA || b_bytes > kCoreC - kCoreB ||
        c_bytes > kCoreTile.data_memory_bytes - kCoreC || col >= g.columns || core < g.core_row_start ||
        core >= g.rows())
        return false;
    const uint32_t aw = static_cast<uint32_t>(a_bytes / 4), bw = static_cast<uint32_t>(b_bytes / 4),
                   cw = static_cast<uint32_t>(c_bytes / 4);
    const uint64_t off = a.costs().shim_host_address_offset;
    using D = Direction;

    bool ok = p.route_vertical(col, shim, 0, mem, 0, 0) && p.route_vertical(col, shim, 1, mem, 1, 1) &&
              p.route_vertical(col, mem, 0, core, 0, 0) && p.route_vertical(col, mem, 1, core, 1, 1) &&
              p.route_vertical(col, core, 0, mem, 2, 0) && p.route_vertical(col, mem, 2, shim, 0, 0);
    if (!ok)
        return false;

    for (unsigned l : {3u, 4u, 5u})
        p.set_lock(col, mem, l, 1);
    for (unsigned l : {0u, 2u, 4u})
        p.set_lock(col, core, l, 1);

    // shim
    p.write_bd(col, shim, D::mm2s, 0, 0, BdFields{.address = cfg.host_a + off, .length = aw});
    p.write_bd(col, shim, D::mm2s, 1, 1, BdFields{.address = cfg.host_b + off, .length = bw});
    p.write_bd(col, shim, D::s2mm, 0, 2, BdFields{.address = cfg.host_c + off, .length = cw});
    // memory tile: S2MM fills (acquire empty, release full); MM2S drains (the reverse)
    auto fill = [](uint32_t addr, uint32_t len, uint8_t empty, uint8_t full) {
        return BdFields{.address = addr, .length = len, .acquire = true, .acq_val = -1, .acq_id = empty,
                        .rel_val = 1, .rel_id = full};
    };
    p.write_bd(col, mem, D::s2mm, 0, 0, fill(kMemA, aw, 3, 0));
    p.write_bd(col, mem, D::s2mm, 1, 1, fill(kMemB, bw, 4, 1));
    p.write_bd(col, mem, D::s2mm, 2, 2, fill(kMemC, cw, 5, 2));
    p.write_bd(col, mem, D::mm2s, 0, 3, fill(kMemA, aw, 0, 3));
    p.write_bd(col, mem, D::mm2s, 1, 4, fill(kMemB, bw, 1, 4));
    p.write_bd(col, mem, D::mm2s, 2, 5, fill(kMemC, cw, 2, 5));
    // compute tile
    p.write_bd(col, core, D::s2mm, 0, 0, fill(kCoreA, aw, 0, 1));
    p.write_bd(col, core, D::s2mm, 1, 1, fill(kCoreB, bw, 2, 3));
    p.write_bd(col, core, D::mm2s, 0, 2, fill(kCoreC, cw, 5, 4));

    ProgramDescriptor d;
    d.kernel = cfg.bf16 ? KernelId::gemm_bf16 : KernelId::gemm_i8;
    d.iterations = cfg.repeat;
    d.in0 = kCoreA;
    d.in1 = kCoreB;
    d.out = kCoreC;
    d.m = cfg.m;
    d.n = cfg.n;
    d.k = cfg.k;
    d.in0_locks = LockPair{true, 1, 0};
    d.in1_locks = LockPair{true, 3, 2};
    d.out_locks = LockPair{true, 4, 5};
    const auto words = d.encode();
    a.block_write(a.tile_address(col, core, regs::kCoreMap.program_memory), words);

    const unsigned rep = cfg.repeat - 1;
    p.push_task(col, shim, D::s2mm, 0, 2, rep);
    p.push_task(col, mem, D::s2mm, 2, 2, rep);
    p.push_task(col, mem, D::mm2s, 2, 5, rep);
    p.push_task(col, core, D::mm2s, 0, 2, rep);
    p.push_task(col, core, D::s2mm, 0, 0, rep);
    p.push_task(col, core, D::s2mm, 1, 1, rep);
    p.push_task(col, mem, D::s2mm, 0, 0, rep);
    p.push_task(col, mem, D::s2mm, 1, 1, rep);
    p.push_task(col, mem, D::mm2s, 0, 3, rep);
    p.push_task(col, mem, D::mm2s, 1, 4, rep);
    p.push_task(col, shim, D::mm2s, 0, 0, rep);
    p.push_task(col, shim, D::mm2s, 1, 1, rep);
    a.mask_write32(a.tile_address(col, core, regs::kCoreMap.core_control), regs::core::kEnable, regs::core::kEnable);
    return true;
}

ChannelId gemm_output_channel(const Array& array, const GemmPipelineConfig& cfg)
{
    return ChannelId{cfg.col, array.geometry().shim_row, Direction::s2mm, 0};
}

} // namespace aie4emu::aie
