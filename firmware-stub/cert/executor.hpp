// The control-code executor: runs the control code of one command (one
// program per uC) on the tile array, the way CERT's job runner does
// (docs/spec/queue-and-cert.md §8).
//
// Resumable: an Execution holds one command's state between slices. Several
// executions (commands of different partitions) advance together on the
// array's one clock: advance() does what every execution has due at the
// current cycle, then moves the array to the earliest cycle any of them (or
// any array event) needs, a bounded number of times per call. Because every
// execution acts at exactly the cycles it would act at alone, slicing and a
// concurrent tenant do not change a command's cycle count. execute() runs one
// command to completion (tests and tools).
//
// Model (emulator choices, marked [ours] where no source says otherwise):
// - Pages are fetched from guest memory on demand: page P of a uC at
//   code address + P * 8 KiB, its header first, then its used length; the
//   next page's length must match the header's "next" field (§8.2).
// - A page holds jobs (START_JOB / START_JOB_DEFERRED ... END_JOB) and ends
//   with EOF. All non-deferred jobs of a page are started together and run
//   cooperatively on their uC: a job runs until it ends, yields or blocks
//   (WAIT_*, POLL, barriers); then the uC's next ready job runs, round robin
//   in page order [ours]. A uC moves to its next page when every launched
//   job of the page has ended [ours].
// - uCs of one command run side by side on the array's clock. Each uC has
//   its own time; an operation costs CertCosts::op_cycles and happens when
//   the array has reached the uC's time. When every uC waits, the array runs
//   to its next event (or the next UC-DMA completion) [ours].
// - Registers r0..r7 belong to a job, r8..r23 (g0..g15) to the uC (§8.4).
// - Addresses in operations and UC-DMA BDs are partition-relative AXI-MM
//   addresses (column 0 = the partition's first column; docs/spec/array.md
//   §A.2b). Anything beyond the partition's columns fails the
//   command: control code never reaches another partition's tiles.
// - UC-DMA (DM2MM) copies words from the page data into array registers; a
//   uC has one DMA engine, BDs complete in order, the data lands when the
//   transfer completes [ours].
// - WAIT_TCTS consumes task-completion tokens of the channel named by
//   tile id (col << 5 | row) and actor id (control_code.hpp kTctActors).
// - Errors the array reports on the partition's columns fail the command.
// - A command that makes no progress for lack of events (every job waits on
//   something nothing will deliver) or runs past max_cycles fails with
//   HSA_PKT_TIMEOUT instead of hanging.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hw/sim/event_queue.hpp"

namespace aie4emu::aie {
class Array;
}
namespace aie4emu::pcie {
class DmaSpace;
}

namespace aie4emu::fw::cert {

struct ColumnRange {
    uint16_t start = 0;   // absolute array column
    uint16_t count = 0;
};

// Time the command processor itself takes, in array cycles. All [ours]: AMD
// publishes no CERT timing.
struct CertCosts {
    sim::Cycle op_cycles = 4;                  // decode one operation and do its AXI-MM access
    sim::Cycle page_fetch_latency = 256;       // host-memory read round trip for a page
    uint32_t page_fetch_bytes_per_cycle = 16;  // then this many bytes per cycle
    sim::Cycle uc_dma_bd_cycles = 16;          // set-up of one UC-DMA BD
    uint32_t uc_dma_bytes_per_cycle = 4;       // DM2MM transfer rate
};

// One uC's control code: where page 0 starts in guest memory.
struct UcProgram {
    unsigned uc = 0;            // uC index (HSA error codes carry it, REMOTE_BARRIER masks name it)
    uint64_t code_address = 0;  // device address of page 0
};

// Caps on what one command may make CERT do or hold. Hitting one fails the command with an
// error that starts "cap NAME" (NAME as below). [ours]: AMD publishes none of these numbers.
struct ExecLimits {
    sim::Cycle max_cycles = 100'000'000;   // max_cycles: simulated cycles per command [ours]
    unsigned max_pages = 64;               // max_pages: pages per uC (512 KiB of control code) [ours]
    // host_memory: bytes of host memory the command's execution may hold at once (fetched
    // pages, decoded operations, UC-DMA data in flight). CERT sets it per function
    // (CertConfig::function_host_memory) [ours].
    size_t max_host_bytes = size_t{64} << 20;
};

struct ExecEnv {
    aie::Array& array;
    pcie::DmaSpace& guest;     // control-code fetches (the context's function)
    ColumnRange columns;       // the context's partition
    CertCosts costs;
    ExecLimits limits;
    uint16_t args_len = 0;     // exec_buf args_len (XRT 2.25: 0)
    std::string log_name;      // "vf0" etc., for log lines
};

struct Timestamp {
    unsigned uc;
    uint32_t id;               // SAVE_TIMESTAMPS unq_id, or TRACE info
    bool trace;                // TRACE rather than SAVE_TIMESTAMPS
    sim::Cycle cycle;
};

struct ExecResult {
    uint32_t state = 0;          // completion word: 4, or an HSA_ERR code (queue_facts.hpp)
    std::string error;           // empty on success
    sim::Cycle start_cycle = 0;  // array cycle when execution began
    sim::Cycle end_cycle = 0;    // array cycle when the last job ended (or the error)
    uint64_t ops = 0;            // operations executed
    uint64_t pages = 0;          // pages fetched
    uint64_t uc_dma_words = 0;   // words moved by UC-DMA
    bool touched_array = false;  // an operation reached the array
    uint64_t polls_met = 0;      // POLL_32 / MASK_POLL_32 whose condition held (the poll ended)
    uint64_t polls_pending = 0;  // polls still waiting when execution stopped
    std::array<uint64_t, 256> op_counts{};   // operations executed, by opcode byte
    size_t peak_host_bytes = 0;  // the most host memory the execution held at once
    std::vector<Timestamp> timestamps;   // at most kMaxTimestamps
    static constexpr size_t kMaxTimestamps = 256;
    [[nodiscard]] bool ok() const { return error.empty(); }
};

class Runner;

// One command in progress. Created at the array's current cycle (its start).
class Execution {
public:
    Execution(const ExecEnv& env, std::span<const UcProgram> programs);
    ~Execution();
    Execution(const Execution&) = delete;
    Execution& operator=(const Execution&) = delete;

    // Everything due at the array's current cycle: UC-DMA completions, ready operations, new
    // array errors. Never moves the array's clock.
    void step();
    [[nodiscard]] bool done() const;
    // Earliest cycle this execution acts at by itself (a uC's next operation, a UC-DMA
    // completion, the end of its last operation); kNever if it only waits for array events.
    [[nodiscard]] sim::Cycle wake() const;
    // start + max_cycles.
    [[nodiscard]] sim::Cycle deadline() const;
    // Ends the command with HSA_PKT_TIMEOUT (nothing can wake it / past its deadline).
    void fail_deadlock();
    void fail_timeout();
    // Ends the command with an error completion (the caller could not continue it).
    void fail_internal(const std::string& why);
    // The result; call once, after done().
    [[nodiscard]] ExecResult take_result();

private:
    std::unique_ptr<Runner> runner_;
};

struct AdvanceBudget {
    sim::Cycle cycles = sim::kNever;   // stop once the clock moved this far
    uint64_t events = ~uint64_t{0};    // or this many array events fired
};

// Lockstep: step every execution, move the array to the next cycle one of them or an array
// event needs, repeat until one is done or the budget is spent. Stops only between cycles
// (every event of a cycle has fired). Returns true when at least one execution is done (at
// the array's current cycle, so the caller can start the next command there, as if serial).
bool advance(aie::Array& array, std::span<Execution* const> running, const AdvanceBudget& budget);

// Runs `programs` (at least one; uC indices distinct) to completion.
[[nodiscard]] ExecResult execute(const ExecEnv& env, std::span<const UcProgram> programs);

} // namespace aie4emu::fw::cert
