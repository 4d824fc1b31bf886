// The stream switches of the array: each tile's master/slave configuration registers and
// the circuit routes they form (docs/array-model.md "Streams"). The DMA engine asks this piece
// one question, through StreamRoutes: where does the stream of an MM2S channel end? Routes
// are traced on demand and the answer cached by the asker until epoch() changes, so a
// switch write costs nothing until data moves.
//
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
#include <string>
#include <vector>

#include "hw/aie/geometry.hpp"
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

// A route longer than this many switches is reported as a loop [ours].
inline constexpr unsigned kMaxRouteHops = 64;

// Where the stream of an MM2S channel ends: an S2MM channel `s2mm` of tile (col, row) after
// `hops` switches, or `error` (non-empty) saying why there is no route.
struct RouteEnd {
    uint16_t col = 0, row = 0;
    uint8_t s2mm = 0;
    unsigned hops = 0;
    std::string error;
};

// What the DMA engine needs of the switches (a test of the DMA engine may supply its own).
class StreamRoutes {
public:
    virtual ~StreamRoutes() = default;
    // Changes whenever any route may have changed (a switch register write, a column reset).
    [[nodiscard]] virtual uint64_t epoch() const = 0;
    // The end of the circuit route that MM2S channel `channel` of tile (col, row) feeds.
    [[nodiscard]] virtual RouteEnd route_from_mm2s(uint16_t col, uint16_t row, uint8_t channel) const = 0;
};

class StreamSwitch final : public StreamRoutes {
public:
    explicit StreamSwitch(const Geometry& geometry);

    // Master/slave configuration register `index` of tile (col, row); the caller checks the
    // index (register decode: below port_count of the tile kind's groups).
    [[nodiscard]] uint32_t master(uint16_t col, uint16_t row, unsigned index) const { return at(col, row).master[index]; }
    [[nodiscard]] uint32_t slave(uint16_t col, uint16_t row, unsigned index) const { return at(col, row).slave[index]; }
    void write_master(uint16_t col, uint16_t row, unsigned index, uint32_t value);
    void write_slave(uint16_t col, uint16_t row, unsigned index, uint32_t value);
    // Every register of columns [start, end) cleared.
    void reset_columns(unsigned start, unsigned end);

    [[nodiscard]] uint64_t epoch() const override { return epoch_; }
    [[nodiscard]] RouteEnd route_from_mm2s(uint16_t col, uint16_t row, uint8_t channel) const override;

private:
    struct TileSwitch {
        TileKind kind = TileKind::core;
        std::vector<uint32_t> master, slave;
    };
    [[nodiscard]] TileSwitch& at(uint16_t col, uint16_t row) { return tiles_[size_t{col} * geo_.rows() + row]; }
    [[nodiscard]] const TileSwitch& at(uint16_t col, uint16_t row) const { return tiles_[size_t{col} * geo_.rows() + row]; }

    Geometry geo_;
    std::vector<TileSwitch> tiles_;   // col-major, as TileGrid
    uint64_t epoch_ = 0;
};

} // namespace aie4emu::aie
