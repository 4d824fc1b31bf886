#include "hw/aie/stream_switch.hpp"

#include <fmt/format.h>

#include "hw/aie/register_map.hpp"

namespace aie4emu::aie {

StreamSwitch::StreamSwitch(const Geometry& geometry) : geo_(geometry)
{
    tiles_.resize(size_t{geo_.columns} * geo_.rows());
    for (uint16_t c = 0; c < geo_.columns; ++c)
        for (uint16_t r = 0; r < geo_.rows(); ++r)
            at(c, r).kind = geo_.kind_of(r);
    reset_columns(0, geo_.columns);
    epoch_ = 0;
}

void StreamSwitch::write_master(uint16_t col, uint16_t row, unsigned index, uint32_t value)
{
    at(col, row).master[index] = value;
    ++epoch_;
}

void StreamSwitch::write_slave(uint16_t col, uint16_t row, unsigned index, uint32_t value)
{
    at(col, row).slave[index] = value;
    ++epoch_;
}

void StreamSwitch::reset_columns(unsigned start, unsigned end)
{
    for (unsigned c = start; c < end && c < geo_.columns; ++c)
        for (uint16_t r = 0; r < geo_.rows(); ++r) {
            TileSwitch& t = at(static_cast<uint16_t>(c), r);
            t.master.assign(port_count(master_groups(t.kind)), 0);
            t.slave.assign(port_count(slave_groups(t.kind)), 0);
        }
    ++epoch_;
}

RouteEnd StreamSwitch::route_from_mm2s(uint16_t col, uint16_t row, uint8_t channel) const
{
    RouteEnd end;
    int c = col, r = row;
    auto slave = port_number(slave_groups(at(col, row).kind), Port{PortType::dma, channel});
    for (unsigned hop = 1; hop <= kMaxRouteHops; ++hop) {
        const TileSwitch& t = at(static_cast<uint16_t>(c), static_cast<uint16_t>(r));
        if (!slave) {
            end.error = fmt::format("no such slave port at tile({},{})", c, r);
            return end;
        }
        int found = -1;
        unsigned matches = 0;
        for (unsigned m = 0; m < t.master.size(); ++m) {
            const uint32_t v = t.master[m];
            if ((v & regs::ss::kEnable) && (v & regs::ss::kSlaveMask) == *slave && !(v & regs::ss::kPacket)) {
                ++matches;
                if (found < 0)
                    found = static_cast<int>(m);
            }
        }
        if (matches == 0) {
            end.error = fmt::format("dead end at tile({},{}) slave port {}", c, r, *slave);
            return end;
        }
        if (matches > 1) {
            end.error = fmt::format("fan-out at tile({},{}) slave port {} (broadcast not modelled)", c, r, *slave);
            return end;
        }
        const auto port = port_at(master_groups(t.kind), static_cast<unsigned>(found));
        int dc = 0, dr = 0;
        PortType in_type{};
        switch (port->type) {
        case PortType::dma:
            if (port->index >= resources(t.kind).s2mm_channels) {
                end.error = "route ends at a missing S2MM channel";
                return end;
            }
            end.col = static_cast<uint16_t>(c);
            end.row = static_cast<uint16_t>(r);
            end.s2mm = port->index;
            end.hops = hop;
            return end;
        case PortType::core:
            end.error = fmt::format("route ends at the core stream port of tile({},{}) (not modelled)", c, r);
            return end;
        case PortType::north: dr = 1; in_type = PortType::south; break;
        case PortType::south: dr = -1; in_type = PortType::north; break;
        case PortType::east: dc = 1; in_type = PortType::west; break;
        case PortType::west: dc = -1; in_type = PortType::east; break;
        }
        const int nc = c + dc, nr = r + dr;
        if (nc < 0 || nr < 0 || nc >= geo_.columns || nr >= geo_.rows()) {
            end.error = fmt::format("route leaves the array at tile({},{})", c, r);
            return end;
        }
        slave = port_number(slave_groups(at(static_cast<uint16_t>(nc), static_cast<uint16_t>(nr)).kind),
                            Port{in_type, port->index});
        c = nc;
        r = nr;
    }
    end.error = fmt::format("route longer than {} switches (loop?)", kMaxRouteHops);
    return end;
}

} // namespace aie4emu::aie
