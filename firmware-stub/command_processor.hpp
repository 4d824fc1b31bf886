// The seam between the management firmware and CERT, the per-queue command
// processor that will run a context's user-mode queue on the array
// (docs/spec/queue-and-cert.md). The firmware owns the context table and calls these
// hooks; CERT implements them later.
#pragma once

#include <cstdint>
#include <deque>

#include "firmware-stub/hw_context.hpp"
#include "hw/npu3/firmware_port.hpp"

namespace aie4emu::fw {

class CommandProcessor {
public:
    virtual ~CommandProcessor() = default;
    // Once, when the firmware is bound to the device.
    virtual void bind(npu3::DeviceServices& device) = 0;
    // The host wrote `value` at `offset` of the doorbell page of `context`
    // (an active context). Runs on the simulation thread. `context` stays valid
    // (the firmware keeps it in a node-stable map) until on_context_destroyed
    // for it returns; a processor may keep the reference until then.
    virtual void on_doorbell(HwContext& context, uint32_t offset, uint32_t value) = 0;
    // `context` is being destroyed: stop all DMA and interrupts for it before
    // returning (docs/spec/driver-interface.md §5.1 DESTROY_HW_CONTEXT).
    virtual void on_context_destroyed(const HwContext& context) = 0;
    // Commands of function `fn` executing on the array right now (started, not yet
    // retired). The firmware reports it when a function-level reset arrives, so the trace
    // shows whether a job was still running at that moment.
    [[nodiscard]] virtual unsigned executing_commands(npu3::FunctionIndex fn) const = 0;
};

// Until CERT exists: records doorbells, completes nothing. The queue's
// read_index never advances, so a guest waiting on it times out; that is
// the honest behaviour of a device without a command processor.
class NullCommandProcessor final : public CommandProcessor {
public:
    struct DoorbellRecord {
        npu3::FunctionIndex fn;
        uint32_t context_id;
        uint32_t offset;
        uint32_t value;
    };
    void bind(npu3::DeviceServices& device) override;
    void on_doorbell(HwContext& context, uint32_t offset, uint32_t value) override;
    void on_context_destroyed(const HwContext& context) override;
    [[nodiscard]] unsigned executing_commands(npu3::FunctionIndex) const override { return 0; }

    // The most recent kMaxRecords of each (a guest may ring forever).
    static constexpr size_t kMaxRecords = 256;
    [[nodiscard]] const std::deque<DoorbellRecord>& doorbells() const { return doorbells_; }
    [[nodiscard]] const std::deque<uint32_t>& destroyed() const { return destroyed_; }
    [[nodiscard]] uint64_t doorbell_count() const { return doorbell_count_; }

private:
    npu3::DeviceServices* device_ = nullptr;
    std::deque<DoorbellRecord> doorbells_;
    std::deque<uint32_t> destroyed_;
    uint64_t doorbell_count_ = 0;
};

} // namespace aie4emu::fw
