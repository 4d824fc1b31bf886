// The AIE4 tile array: shim row, memory-tile row, compute rows, per column.
// Cycle-approximate and event-driven (docs/array-model.md "Time"): DMAs
// move data in bursts per event, locks wake their waiters, cores run native
// kernels chosen by a program descriptor (kernels.hpp). Idle tiles cost nothing.
//
// Array is a composition: it owns the clock (ArrayContext: event queue, costs, counters,
// trace, errors) and the tiles (tile.hpp), and joins the pieces of the model, each in its own
// file and testable alone: register decode (register_decode.hpp: address -> block and
// register), the DMA engine (dma.hpp), the stream switches (stream_switch.hpp), the cores
// (cores.hpp) and the locks they share (locks.hpp). An access is decoded once and handed to
// the piece that owns the register.
//
// All software access goes through AXI-MM addresses (register_map.hpp):
// read32/write32 have the device's side effects (task-queue pushes start DMA
// channels, core-control writes start cores, lock-request reads perform
// lock operations). Unmodelled addresses read 0; writes to them are logged
// ("array" category) and counted ("unmodelled.writes"), never fatal.
// Errors (DMA faults, bad routes, bad descriptors, queue overflows) are
// recorded and passed to an optional callback. An exception (a bug in the
// model, std::bad_alloc, a throwing callback) is not caught here: it leaves
// through the call that ran the model (write32, run_for, ...) to the caller,
// which knows which partition's commands it concerns and fails them
// (hw/sim/internal_error.hpp); the array's state may be half-updated then.
//
// Not thread-safe: call from the simulation thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "hw/aie/array_context.hpp"
#include "hw/aie/dma.hpp"
#include "hw/aie/geometry.hpp"
#include "hw/aie/host_memory.hpp"
#include "hw/aie/params.hpp"
#include "hw/aie/register_decode.hpp"
#include "hw/sim/counters.hpp"
#include "hw/sim/event_queue.hpp"
#include "hw/sim/trace.hpp"

namespace aie4emu::aie {

class Array {
public:
    explicit Array(const Geometry& geometry = {}, const CostParams& costs = {});
    ~Array();
    Array(const Array&) = delete;
    Array& operator=(const Array&) = delete;

    [[nodiscard]] const Geometry& geometry() const;
    [[nodiscard]] const CostParams& costs() const;

    // --- AXI-MM access (addresses: col << 25 | address_row << 20 | offset) ---
    void write32(uint64_t axi_addr, uint32_t value);
    [[nodiscard]] uint32_t read32(uint64_t axi_addr);
    void block_write(uint64_t axi_addr, std::span<const uint32_t> words);
    void mask_write32(uint64_t axi_addr, uint32_t mask, uint32_t value);
    // AXI address of a tile register/memory offset (logical row: 0 shim, 1 mem, 2.. compute).
    [[nodiscard]] uint64_t tile_address(uint16_t col, uint16_t row, uint32_t offset) const;

    // --- Host memory per VF partition: columns [col_start, col_start+col_count) ---
    // Non-owning; nullptr detaches. Shim DMAs of a column without one fault.
    void attach_host_memory(uint16_t col_start, uint16_t col_count, HostMemory* memory);
    // Fault injection (driver development): the next `count` host-memory bursts of each shim
    // in the columns fail as a DMA fault would (the channel stops with ErrorKind::dma_fault);
    // count 0 disarms. Survives reset_columns (an injected fault is not tile state).
    void inject_host_dma_faults(uint16_t col_start, uint16_t col_count, uint32_t count);
    [[nodiscard]] uint32_t injected_host_dma_faults(uint16_t col) const;

    // --- Time ---
    [[nodiscard]] sim::Cycle now() const;
    // Run until nothing is scheduled or max_cycles pass; true if idle.
    bool run_until_idle(sim::Cycle max_cycles);
    // Run exactly `cycles` cycles (now() advances by that much).
    void run_for(sim::Cycle cycles);
    // Run until (read32(addr) & mask) == value or max_cycles pass (MASK_POLL).
    bool mask_poll(uint64_t axi_addr, uint32_t mask, uint32_t value, sim::Cycle max_cycles);

    // --- Task-completion tokens ---
    // Tokens issued by a channel since its column was last reset, and those
    // not yet consumed by wait_tcts.
    [[nodiscard]] uint64_t tct_issued(const ChannelId& ch) const;
    [[nodiscard]] uint64_t tct_pending(const ChannelId& ch) const;
    // WAIT_TCTS: run until `count` unconsumed tokens are available on `ch`,
    // consume them and return true; false after max_cycles (nothing consumed).
    bool wait_tcts(const ChannelId& ch, uint32_t count, sim::Cycle max_cycles);
    // Called whenever a channel issues a token (after counting it).
    void set_tct_callback(std::function<void(const ChannelId&)> callback);

    // Called for every AXI-MM write, before it takes effect.
    void set_write_observer(std::function<void(uint64_t axi_addr, uint32_t value, WriteClass)> observer);

    // Compute tiles (col, row) whose core has no program (program memory all zero) while
    // one of their DMA channels waits on a lock: work that a core program would have done.
    [[nodiscard]] std::vector<std::pair<uint16_t, uint16_t>> cores_awaited() const;

    // --- Errors ---
    [[nodiscard]] const std::vector<ArrayError>& errors() const;
    void clear_errors();
    void set_error_callback(std::function<void(const ArrayError&)> callback);

    // --- Partition destroy: reset every tile of columns [start, start+count) ---
    // Memories zeroed, locks 0, channels and cores stopped, routes cleared,
    // pending events of those tiles dropped, token counts zeroed.
    void reset_columns(uint16_t col_start, uint16_t col_count);

    // --- Observability ---
    [[nodiscard]] sim::Counters& counters();
    [[nodiscard]] sim::TraceWriter& trace();   // set_enabled(true) to record
    [[nodiscard]] sim::EventQueue& events();

    // --- Direct tile access for tests and tools (bounds-checked; false if out of range) ---
    bool read_tile_memory(uint16_t col, uint16_t row, uint32_t offset, void* out, size_t bytes) const;
    bool write_tile_memory(uint16_t col, uint16_t row, uint32_t offset, const void* in, size_t bytes);
    [[nodiscard]] int32_t lock_value(uint16_t col, uint16_t row, uint16_t lock) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace aie4emu::aie
