// The cores of the array's compute tiles (docs/array-model.md "Cores"). There is no ISA model:
// a core's program memory holds a program descriptor (kernels.hpp) naming a native kernel, its
// buffers, shape, lock pairs and iteration count. This piece owns each core's control word,
// status and run state: enabling a core (regs::core::kEnable) decodes and checks the program,
// then runs the kernel `iterations` times, each time acquiring its buffers' locks (LockUnit),
// computing on the tile's data memory after kernel_cycles(), and releasing them. A disable,
// reset bit or tile reset stops it: its pending events and lock waits lapse on its epoch.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/aie/kernels.hpp"
#include "hw/sim/event_queue.hpp"

namespace aie4emu::aie {

struct ArrayContext;
struct Tile;
class TileGrid;
class LockUnit;

struct CoreState {
    bool running = false;
    bool done = false;
    bool error = false;
    ProgramDescriptor desc;
    uint32_t iteration = 0;
    int stage = 0;        // next lock pair to acquire: in0, in1, out
    unsigned acquires = 0;
    uint32_t track = ~0u;
    uint64_t epoch = 0;   // bumped when the core stops or its tile resets: its pending events and lock waits lapse
    sim::Cycle compute_start = 0;
};

// One tile's core.
struct Core {
    Tile* tile = nullptr;
    uint32_t control = 0;
    CoreState state;
};

class Cores {
public:
    Cores(ArrayContext& ctx, TileGrid& tiles, LockUnit& locks);
    Cores(const Cores&) = delete;
    Cores& operator=(const Cores&) = delete;

    // Core control register: enable starts the core (a core_error if the tile has no core or
    // its program cannot run), clearing enable or setting reset stops it.
    void write_control(Tile& t, uint32_t value);
    [[nodiscard]] uint32_t control(const Tile& t) const { return at(t).control; }
    // Core status register: running, done, error halt (register_map.hpp core).
    [[nodiscard]] uint32_t status(const Tile& t) const;
    [[nodiscard]] const CoreState& state(const Tile& t) const { return at(t).state; }

    // Columns [start, end): every core stopped, control 0.
    void reset_columns(unsigned start, unsigned end);

private:
    [[nodiscard]] Core& at(const Tile& t);
    [[nodiscard]] const Core& at(const Tile& t) const;
    void reset(Core& c);
    void start(Core& c);
    void stop(Core& c);
    void fail(Core& c, std::string msg);
    void step(Core& c);
    void compute_done(Core& c);
    static void on_step(void* self, uint64_t core, uint64_t epoch);
    static void on_compute_done(void* self, uint64_t core, uint64_t epoch);

    ArrayContext& ctx_;
    TileGrid& tiles_;
    LockUnit& locks_;
    std::vector<Core> cores_;   // parallel to tiles_.all() (every tile; only compute tiles run)
    uint64_t& c_invocations_;
    uint64_t& c_busy_;
    uint64_t& c_lock_stalls_;
};

} // namespace aie4emu::aie
