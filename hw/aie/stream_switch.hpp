// Stream-switch port numbering of the model [ours: AIE4's port numbers are not
// public; the groups and lane counts follow AIE-ML AM020 "AXI4-Stream
// Interconnect": compute tile 6 north masters / 4 south masters / 4 E-W,
// memory tile no E/W]. A master NORTH j of tile (c,r) feeds slave SOUTH j of
// (c,r+1); SOUTH j feeds NORTH j of (c,r-1); EAST j feeds WEST j of (c+1,r);
// WEST j feeds EAST j of (c-1,r). Circuit switching only; a packet-mode
// master is reported as a bad route.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "hw/aie/params.hpp"

namespace aie4emu::aie {

enum class PortType : uint8_t { dma, core, north, south, east, west };

struct Port {
    PortType type;
    uint8_t index;
    bool operator==(const Port&) const = default;
};

struct PortGroup {
    PortType type;
    uint8_t count;
};

namespace ports {
// Slaves (inputs to the switch). dma = MM2S channel k.
inline constexpr PortGroup kCoreSlaves[] = {{PortType::dma, 1}, {PortType::core, 1}, {PortType::south, 6},
                                            {PortType::north, 4}, {PortType::west, 4}, {PortType::east, 4}};
inline constexpr PortGroup kMemSlaves[] = {{PortType::dma, 10}, {PortType::south, 6}, {PortType::north, 4}};
inline constexpr PortGroup kShimSlaves[] = {{PortType::dma, 4}, {PortType::north, 4}, {PortType::west, 4},
                                            {PortType::east, 4}};
// Masters (outputs). dma = S2MM channel k.
inline constexpr PortGroup kCoreMasters[] = {{PortType::dma, 2}, {PortType::core, 1}, {PortType::south, 4},
                                             {PortType::north, 6}, {PortType::west, 4}, {PortType::east, 4}};
inline constexpr PortGroup kMemMasters[] = {{PortType::dma, 8}, {PortType::south, 4}, {PortType::north, 6}};
inline constexpr PortGroup kShimMasters[] = {{PortType::dma, 2}, {PortType::north, 6}, {PortType::west, 4},
                                             {PortType::east, 4}};
} // namespace ports

constexpr std::span<const PortGroup> slave_groups(TileKind k)
{
    return k == TileKind::core ? std::span<const PortGroup>(ports::kCoreSlaves)
           : k == TileKind::mem ? std::span<const PortGroup>(ports::kMemSlaves)
                                : std::span<const PortGroup>(ports::kShimSlaves);
}
constexpr std::span<const PortGroup> master_groups(TileKind k)
{
    return k == TileKind::core ? std::span<const PortGroup>(ports::kCoreMasters)
           : k == TileKind::mem ? std::span<const PortGroup>(ports::kMemMasters)
                                : std::span<const PortGroup>(ports::kShimMasters);
}

constexpr unsigned port_count(std::span<const PortGroup> groups)
{
    unsigned n = 0;
    for (const auto& g : groups)
        n += g.count;
    return n;
}

// Port -> register index, or nullopt if the tile has no such port.
constexpr std::optional<unsigned> port_number(std::span<const PortGroup> groups, Port p)
{
    unsigned base = 0;
    for (const auto& g : groups) {
        if (g.type == p.type)
            return p.index < g.count ? std::optional<unsigned>(base + p.index) : std::nullopt;
        base += g.count;
    }
    return std::nullopt;
}

constexpr std::optional<Port> port_at(std::span<const PortGroup> groups, unsigned number)
{
    for (const auto& g : groups) {
        if (number < g.count)
            return Port{g.type, static_cast<uint8_t>(number)};
        number -= g.count;
    }
    return std::nullopt;
}

} // namespace aie4emu::aie
