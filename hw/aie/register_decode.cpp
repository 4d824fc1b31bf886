#include "hw/aie/register_decode.hpp"

#include "hw/aie/register_map.hpp"
#include "hw/aie/stream_switch.hpp"

namespace aie4emu::aie {

const char* write_class_name(WriteClass c)
{
    switch (c) {
    case WriteClass::bd: return "bd";
    case WriteClass::modelled: return "modelled";
    case WriteClass::stored_no_behaviour: return "stored, no behaviour";
    case WriteClass::unknown: return "unknown address";
    }
    return "?";
}

RegisterDecoder::RegisterDecoder(const Geometry& geometry) : geo_(geometry)
{
    // aie-codegen XAie_GetTileAddr remap (register_map.hpp header).
    const uint16_t rows = geo_.rows();
    row_to_address_row_.resize(rows);
    address_rows_.assign(1u << (Geometry::kColumnShift - Geometry::kRowShift), AddressRow{});
    for (uint16_t r = 0; r < rows; ++r) {
        unsigned ar = r;
        const TileKind k = geo_.kind_of(r);
        if (k == TileKind::mem && r > geo_.mem_row_start)
            ar = r * 5u - 4u;
        else if (k == TileKind::core)
            ar = r + 4u * geo_.mem_rows;
        row_to_address_row_[r] = static_cast<uint16_t>(ar);
        const unsigned windows = k == TileKind::mem ? 5 : 1;
        for (unsigned w = 0; w < windows && ar + w < address_rows_.size(); ++w)
            address_rows_[ar + w] = AddressRow{r, w};
    }
}

uint64_t RegisterDecoder::tile_address(uint16_t col, uint16_t row, uint32_t offset) const
{
    const uint16_t ar = row < row_to_address_row_.size() ? row_to_address_row_[row] : row;
    return regs::tile_address(col, ar, offset);
}

std::optional<Decoded> RegisterDecoder::decode(uint64_t addr) const
{
    const uint64_t col = addr >> Geometry::kColumnShift;
    const unsigned arow = static_cast<unsigned>((addr >> Geometry::kRowShift) & (address_rows_.size() - 1));
    if (col >= geo_.columns || address_rows_[arow].row < 0)
        return std::nullopt;
    Decoded d;
    d.col = static_cast<uint16_t>(col);
    d.row = static_cast<uint16_t>(address_rows_[arow].row);
    d.offset = static_cast<uint32_t>(addr & ((1u << Geometry::kRowShift) - 1));
    const unsigned window = address_rows_[arow].window;
    if (window > 0)
        d.reg = Reg{RegKind::memory_window, 0, ((window - 1) << Geometry::kRowShift) + d.offset};
    else
        d.reg = decode_offset(geo_.kind_of(d.row), d.offset);
    return d;
}

Reg RegisterDecoder::decode_offset(TileKind kind, uint32_t o)
{
    const regs::TileMap& m = regs::tile_map(kind);
    const TileResources& res = resources(kind);
    auto in = [o](uint32_t base, uint64_t size) { return base != regs::kNone && o >= base && o < base + size; };
    if (kind == TileKind::core) {
        if (in(m.data_memory, res.data_memory_bytes))
            return Reg{RegKind::data, 0, o - m.data_memory};
        if (in(m.program_memory, res.program_memory_bytes))
            return Reg{RegKind::program, 0, o - m.program_memory};
        if (o == m.core_control)
            return Reg{RegKind::core_control};
        if (o == m.core_status)
            return Reg{RegKind::core_status};
    }
    for (unsigned b = 0; b < m.dma_blocks; ++b) {
        const auto& blk = m.dma[b];
        if (in(blk.bd_base, uint64_t{blk.bd_storage} * m.bd_stride)) {
            const uint32_t rel = o - blk.bd_base;
            const unsigned word = (rel % m.bd_stride) / 4;
            if (rel % 4 != 0 || word >= m.bd_words)
                return {};
            return Reg{RegKind::bd, b, rel / m.bd_stride, word};
        }
        for (Direction d : {Direction::s2mm, Direction::mm2s}) {
            const regs::ChannelRange ch = regs::channels(blk, d);
            // CTRL at ctrl + 8k, its task queue at + 4
            if (in(ch.ctrl, 8u * ch.count) && (o - ch.ctrl) % 4 == 0)
                return Reg{(o - ch.ctrl) % 8 == 0 ? RegKind::ctrl : RegKind::queue, b, ch.first + (o - ch.ctrl) / 8, 0, d};
            if (in(ch.status, 4u * ch.count) && (o - ch.status) % 4 == 0)
                return Reg{RegKind::status, b, ch.first + (o - ch.status) / 4, 0, d};
        }
        if (in(blk.lock_value, uint64_t{regs::kLockValueStride} * blk.lock_count) &&
            (o - blk.lock_value) % regs::kLockValueStride == 0)
            return Reg{RegKind::lock_value, b, blk.lock_first + (o - blk.lock_value) / regs::kLockValueStride};
        if (in(blk.lock_request, uint64_t{regs::kLockRequestIdStride} * blk.lock_count)) {
            const uint32_t rel = o - blk.lock_request;
            Reg r{RegKind::lock_request, b, blk.lock_first + rel / regs::kLockRequestIdStride};
            r.acquire = (rel & regs::kLockRequestAcquire) != 0;
            r.value = regs::sign7(rel >> regs::kLockRequestValueShift);
            return r;
        }
    }
    if (in(m.ss_master, 4u * port_count(master_groups(kind))) && o % 4 == 0)
        return Reg{RegKind::ss_master, 0, (o - m.ss_master) / 4};
    if (in(m.ss_slave, 4u * port_count(slave_groups(kind))) && o % 4 == 0)
        return Reg{RegKind::ss_slave, 0, (o - m.ss_slave) / 4};
    for (unsigned k = 0; k < m.stored.size(); ++k)
        if (in(m.stored[k].base, m.stored[k].size))
            return Reg{RegKind::stored, k, o - m.stored[k].base};
    return {};
}

WriteClass RegisterDecoder::classify(const std::optional<Decoded>& d) const
{
    if (!d)
        return WriteClass::unknown;
    switch (d->reg.kind) {
    case RegKind::none: return WriteClass::unknown;
    case RegKind::stored: return WriteClass::stored_no_behaviour;
    case RegKind::bd: return WriteClass::bd;
    case RegKind::memory_window:
        return uint64_t{d->reg.index} + 4 > resources(geo_.kind_of(d->row)).data_memory_bytes ? WriteClass::unknown
                                                                                                 : WriteClass::modelled;
    default: return WriteClass::modelled;
    }
}

} // namespace aie4emu::aie
