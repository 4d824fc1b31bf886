#include "firmware-stub/command_processor.hpp"

#include <fmt/format.h>

#include "firmware-stub/mailbox.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::fw {

void NullCommandProcessor::bind(npu3::DeviceServices& device) { device_ = &device; }

void NullCommandProcessor::on_doorbell(HwContext& context, uint32_t offset, uint32_t value)
{
    ++doorbell_count_;
    if (doorbells_.size() >= kMaxRecords)
        doorbells_.pop_front();
    doorbells_.push_back({context.fn, context.id, offset, value});
    AIE4_LOG(cert, npu3::function_name(context.fn), 0,
             "doorbell of context {} (+{:#x} <- {:#x}): CERT not implemented yet, queue not processed", context.id,
             offset, value);
    if (device_ != nullptr)
        device_->trace(context.fn, fmt::format("doorbell ctx={} CERT not implemented yet", context.id));
}

void NullCommandProcessor::on_context_destroyed(const HwContext& context)
{
    if (destroyed_.size() >= kMaxRecords)
        destroyed_.pop_front();
    destroyed_.push_back(context.id);
}

} // namespace aie4emu::fw
