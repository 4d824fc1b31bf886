#include "hw/aie/bd.hpp"

#include <fmt/format.h>

namespace aie4emu::aie {
Bd decode_bd(TileKind kind, std::span<const uint32_t> w, size_t locks)
{
    const regs::TileMap& map = regs::tile_map(kind);
    using regs::BdField;
    using regs::sign7;
    Bd b;
    uint32_t addr_high = 0, local_tile = 1, acq_raw = 0, rel_raw = 0, iter_wrap = 0;
    for (const regs::Field& f : map.bd_fields) {
        const uint32_t v = regs::get_field(w, f);
        if (f.use == regs::Field::Use::refuse_nonzero) {
            if (v != 0 && b.refused.empty())
                b.refused = fmt::format("{} = {:#x} is set; the model cannot honour it [{}]", f.name, v,
                                        regs::evidence_tag(f.evidence));
            continue;
        }
        switch (f.id) {
        case BdField::base_address: b.address = v; break;
        case BdField::address_high: addr_high = v; break;
        case BdField::local_tile: local_tile = v; break;
        case BdField::length: b.length = v; break;
        case BdField::d0_wrap: b.d[0].wrap = v; break;
        case BdField::d1_wrap: b.d[1].wrap = v; break;
        case BdField::d2_wrap: b.d[2].wrap = v; break;
        case BdField::d1_step: b.d[1].step = v; break;
        case BdField::d2_step: b.d[2].step = v; break;
        case BdField::d3_step: b.d[3].step = v; break;
        case BdField::iter_wrap: iter_wrap = v; break;
        case BdField::iter_step: b.iter_step = v; break;
        case BdField::iter_current: b.iter_current = v; break;
        case BdField::next_bd: b.next_bd = static_cast<uint16_t>(v); break;
        case BdField::use_next: b.use_next = v != 0; break;
        case BdField::acq_enable: b.acq_en = v != 0; break;
        case BdField::acq_value: b.acq_val = sign7(v); break;
        case BdField::acq_id: acq_raw = v; break;
        case BdField::rel_value: b.rel_val = sign7(v); break;
        case BdField::rel_id: rel_raw = v; break;
        default: break;   // stored, no behaviour
        }
    }
    b.d[0].step = 1;   // D0 step is fixed at 1 [R]
    b.iterations = iter_wrap + 1;
    if (kind == TileKind::shim) {
        b.address |= uint64_t{addr_high} << 32;
    } else {
        if (kind == TileKind::mem && local_tile == 0 && b.refused.empty())
            b.refused = fmt::format("BASE_ADDRESS {:#x} lacks the 0x800000 local-tile bit: neighbouring memory "
                                    "tiles are not modelled", b.address);
        b.address *= 4;   // word addresses [R]
    }
    // Lock ids: memory-tile BDs name 448..511 (this tile's 64 locks) [R/D]; others index directly.
    auto map_lock = [&](uint32_t raw, const char* what) -> uint16_t {
        uint32_t idx = raw;
        if (kind == TileKind::mem) {
            if (raw < regs::kMemLocalLockFirst || raw >= regs::kMemLocalLockEnd) {
                if (b.refused.empty())
                    b.refused = fmt::format("{} {} is outside this tile's locks {}..{} (neighbouring tiles' locks "
                                            "are not modelled)", what, raw, regs::kMemLocalLockFirst,
                                            regs::kMemLocalLockEnd - 1);
                return 0;
            }
            idx = raw - regs::kMemLocalLockFirst;
        }
        if (idx >= locks && b.refused.empty())
            b.refused = fmt::format("{} {} names a lock beyond the tile's {}", what, raw, locks);
        return static_cast<uint16_t>(idx);
    };
    if (b.acq_en)
        b.acq_id = map_lock(acq_raw, "LOCK_ACQ_ID");
    if (b.rel_val != 0)
        b.rel_id = map_lock(rel_raw, "LOCK_REL_ID");
    return b;
}

} // namespace aie4emu::aie
