#include "firmware-stub/faults.hpp"

namespace aie4emu::fw {

const char* fault_kind_name(FaultKind kind)
{
    switch (kind) {
    case FaultKind::mailbox_timeout: return "mailbox-timeout";
    case FaultKind::mailbox_status: return "mailbox-status";
    case FaultKind::psp_validate: return "psp-validate";
    case FaultKind::command_hang: return "command-hang";
    }
    return "?";
}

bool FaultTable::add(FirmwareFault fault)
{
    if (faults_.size() >= kMaxFaults)
        return false;
    faults_.push_back(fault);
    return true;
}

std::optional<FirmwareFault> FaultTable::strike(FaultKind kind, npu3::FunctionIndex fn,
                                                std::optional<uint32_t> opcode)
{
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->kind != kind || (it->fn && *it->fn != fn))
            continue;
        if (it->opcode && (!opcode || *it->opcode != *opcode))
            continue;
        ++it->struck;
        FirmwareFault hit = *it;
        if (it->count != 0 && it->struck >= it->count)
            faults_.erase(it);
        return hit;
    }
    return std::nullopt;
}

} // namespace aie4emu::fw
