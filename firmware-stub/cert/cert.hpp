// CERT: the per-context command processor of the emulated AIE4 (docs/spec/queue-and-cert.md §5).
//
// On a doorbell of a context it reads the context's user-mode queue in guest
// memory (queue_facts.hpp), runs every packet from its consumer index up to
// write_index - 1 in order (one packet per deferred run, so the register
// write that rang returns at once and contexts interleave fairly), runs each
// EXEC_BUF's control code on the tile array (executor.hpp), and per packet:
//   1. writes the completion word to *completion_signal,
//   2. (XRT v1.0 queue, umq_mirror on) mirrors the write_index snapshot to +0x10,
//   3. writes read_index (one 64-bit store),
//   4. raises the context's completion MSI-X          (§5.3 order).
//
// The queue-header bridge (§1.3): with umq_mirror on (default) the layout is
// chosen by version.major (1: XRT 2.25, write_index @0x40; 0: kernel layout,
// @0x10) and a v1.0 write_index is mirrored to +0x10 so the 7.3.4 kernel's
// WAIT_CMD sees it. With umq_mirror off CERT reads every queue with the kernel
// layout, as a CERT paired with the 7.3.4 kernel would: XRT 2.25's packets are
// not seen (write_index @0x10 stays 0), nothing completes, XRT hangs (§1.2).
//
// Errors:
//   - packet level (bad opcode/count, control-code fetch DMA fault, bad page,
//     unknown or unimplemented operation, address outside the partition,
//     array fault, timeout): ERROR completion HSA_ERR(code) (queue_facts.hpp),
//     a log line, the packet still retires (read_index advances) and the
//     context keeps serving (§5.1, §9: never a hang). Members after a
//     failed one in the same chain complete ABORT (§5.2).
//     CertConfig::fail_context_on_packet_error turns such errors into context
//     failures too.
//   - queue level (header unreadable, unknown version, capacity not a power of
//     two, write_index behind the consumer or more than capacity ahead, slot
//     or read_index DMA fault): the context is marked failed (HwContext state
//     failed, later doorbells ignored), a log line; nothing more is written.
//   Other contexts and functions are never affected.
// on_context_destroyed: packets still queued complete ABORT (completion word,
// read_index, one MSI-X) before it returns; after it returns CERT issues no
// DMA or interrupt for the context. When no other context of the function is
// left on the partition's columns, their host-memory window is detached and
// the columns are reset (any DMA still running there stops).
//
// Deterministic: everything runs on the array's cycle clock; the same inputs
// give the same completions and the same cycle counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firmware-stub/cert/executor.hpp"
#include "firmware-stub/command_processor.hpp"
#include "firmware-stub/hw_context.hpp"
#include "hw/sim/counters.hpp"

namespace aie4emu::fw::cert {

struct CertConfig {
    // The §1.3 bridge (layout by version + write_index mirror). Off: kernel layout for every queue.
    bool umq_mirror = true;
    // Columns of a context when `partition_columns` is unset or returns nullopt: VF k (function
    // k + 1) owns [k * columns_per_vf, +columns_per_vf), which is the partition the amdxdna VF
    // creates (CREATE_PARTITION{0, 3}, docs/spec/driver-interface.md §5; firmware-stub FirmwareConfig).
    unsigned columns_per_vf = msg::kVfPartitionColumns;
    std::function<std::optional<ColumnRange>(const HwContext&)> partition_columns;
    CertCosts costs{};
    ExecLimits limits{};
    // Time slicing: each turn starts waiting packets, then moves every executing command
    // forward (in lockstep on the array's clock) by at most slice_cycles simulated cycles or
    // slice_events array events, then yields to the I/O loop.
    sim::Cycle slice_cycles = 4096;
    uint64_t slice_events = 2048;
    // Packets a function may start per turn (its share), by function index (0 = PF, k+1 = VFk);
    // functions not listed get default_share. Equal by default.
    std::vector<unsigned> function_shares;
    unsigned default_share = 1;
    // Ceiling on the host memory a function's command may make CERT hold (cap host_memory), by
    // function index; 0 or unlisted: limits.max_host_bytes.
    std::vector<size_t> function_host_memory;
    bool reset_partition_on_error = true;     // reset the partition's columns after a failed command
    bool fail_context_on_packet_error = false;
    size_t history_size = 1024;               // CommandRecords kept
};

// One executed (or refused) packet.
struct CommandRecord {
    npu3::FunctionIndex fn = 0;
    uint32_t context_id = 0;
    uint64_t seq = 0;              // queue index of the packet (XRT's seq)
    uint8_t opcode = 0;            // packet opcode
    uint32_t state = 0;            // completion word written
    sim::Cycle start_cycle = 0;    // array cycles
    sim::Cycle end_cycle = 0;
    unsigned ucs = 0;              // uCs that ran control code
    uint64_t ops = 0;
    uint64_t pages = 0;
    uint64_t uc_dma_words = 0;
    std::string error;             // empty on success
    std::vector<Timestamp> timestamps;
    // Host time (steady clock, not simulated) from the doorbell or retire that made CERT look at
    // the queue for this packet to its completion word: the service time another function's
    // work can stretch (docs/performance.md, "Time isolation"). Statistics only; no simulated
    // behaviour depends on it.
    std::chrono::steady_clock::time_point host_waiting_since{};
    uint64_t host_us = 0;
    [[nodiscard]] sim::Cycle cycles() const { return end_cycle - start_cycle; }
};

struct ContextStats {
    npu3::FunctionIndex fn = 0;
    uint32_t context_id = 0;
    uint64_t consumer = 0;         // packets retired (the read_index CERT last wrote)
    uint64_t commands = 0;         // packets retired, any state
    uint64_t completed = 0;        // state COMPLETED
    uint64_t errors = 0;           // ERROR states
    uint64_t aborted = 0;          // ABORT states
    sim::Cycle total_cycles = 0;   // sum of CommandRecord::cycles()
    sim::Cycle last_cycles = 0;
    bool failed = false;
    std::string failure;
};

// Packets of one function since the emulator started: unlike ContextStats these outlive the
// function's contexts (destroyed, or dropped by a reset), so a host can account for a VM's work
// after the VM has gone.
struct FunctionTotals {
    uint64_t commands = 0;         // packets retired, any state
    uint64_t completed = 0;        // state COMPLETED
    uint64_t errors = 0;           // ERROR states
    uint64_t aborted = 0;          // ABORT states
    sim::Cycle cycles = 0;         // sum of CommandRecord::cycles()
};

class Cert final : public CommandProcessor {
public:
    explicit Cert(CertConfig config = {});
    ~Cert() override;
    Cert(const Cert&) = delete;
    Cert& operator=(const Cert&) = delete;

    // ---- CommandProcessor ----
    void bind(npu3::DeviceServices& device) override;
    void on_doorbell(HwContext& context, uint32_t offset, uint32_t value) override;
    void on_context_destroyed(const HwContext& context) override;
    [[nodiscard]] unsigned executing_commands(npu3::FunctionIndex fn) const override;

    // ---- observability ----
    // Live contexts CERT has seen a doorbell from.
    [[nodiscard]] std::optional<ContextStats> context_stats(npu3::FunctionIndex fn, uint32_t context_id) const;
    [[nodiscard]] std::vector<ContextStats> all_context_stats() const;
    // Per function index (0 = PF, k+1 = VFk), only functions that retired a packet.
    [[nodiscard]] const std::map<npu3::FunctionIndex, FunctionTotals>& function_totals() const { return totals_; }
    // The last history_size packets of every context (destroyed ones included), oldest first.
    [[nodiscard]] const std::deque<CommandRecord>& history() const { return history_; }
    // cert.doorbells, cert.commands, cert.completed, cert.errors, cert.aborted, cert.cycles,
    // cert.queue_failures.
    [[nodiscard]] sim::Counters& counters() { return counters_; }
    // Called after each packet retires (the demo prints cycle counts from it).
    void set_command_observer(std::function<void(const CommandRecord&)> observer) { observer_ = std::move(observer); }
    [[nodiscard]] const CertConfig& config() const { return config_; }

private:
    struct Queue;
    struct Running;
    class FunctionMemory;

    void schedule();
    void turn();
    void admit_waiting();
    void advance_running();
    [[nodiscard]] bool columns_busy(const Queue& q) const;
    [[nodiscard]] unsigned share(npu3::FunctionIndex fn) const;
    [[nodiscard]] size_t host_memory_limit(npu3::FunctionIndex fn) const;
    bool admit(Queue& q);
    void finish_execution(Queue& q);
    void retire(Queue& q, CommandRecord rec, uint32_t state, uint64_t completion, bool chain, bool more);
    void fail_queue(Queue& q, std::string why);
    void record(Queue& q, CommandRecord rec);
    [[nodiscard]] Queue* find(npu3::FunctionIndex fn, uint32_t id);
    [[nodiscard]] ColumnRange columns_of(const HwContext& c) const;
    void switch_context(aie::Array& array, const Queue& q);
    FunctionMemory& host_memory(npu3::FunctionIndex fn);

    CertConfig config_;
    npu3::DeviceServices* device_ = nullptr;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    uint64_t next_serial_ = 1;
    bool turn_scheduled_ = false;
    npu3::FunctionIndex last_first_fn_ = 0;
    std::map<npu3::FunctionIndex, uint64_t> last_served_;   // serial of the context served last
    std::map<uint64_t, Queue> queues_;   // by serial (a context id can come back after a VF reset)
    std::map<uint16_t, uint64_t> column_owner_;   // first column -> serial of the last queue that ran there
    std::map<npu3::FunctionIndex, std::unique_ptr<FunctionMemory>> host_;
    std::deque<CommandRecord> history_;
    std::map<npu3::FunctionIndex, FunctionTotals> totals_;
    sim::Counters counters_;
    std::function<void(const CommandRecord&)> observer_;
};

} // namespace aie4emu::fw::cert
