// Faults the firmware commits on purpose, so that a driver's error paths can be exercised
// before silicon exists (docs/driver-development.md has what each one does to the driver).
// Set through the control plane (aie4ctl fault, aie4emu --fault); the firmware checks the
// table at the few places where it would answer: a mailbox request, a PSP VALIDATE, a doorbell.
// Faults of the hardware below the firmware (a lost MSI-X, a DMA fault of the array) live in
// hw/npu3 and hw/aie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/npu3/firmware_port.hpp"

namespace aie4emu::fw {

enum class FaultKind {
    mailbox_timeout,   // a request is taken off the x2i ring and never answered
    mailbox_status,    // a request is answered with `status` instead of being handled
    psp_validate,      // PSP VALIDATE / VALIDATE_CERT answers `status` (never 0)
    command_hang,      // a doorbell is taken and its commands never start (nor complete)
};

[[nodiscard]] const char* fault_kind_name(FaultKind kind);

struct FirmwareFault {
    FaultKind kind = FaultKind::mailbox_timeout;
    std::optional<npu3::FunctionIndex> fn;   // nullopt: every function
    std::optional<uint32_t> opcode;          // mailbox faults: only requests with this opcode
    uint32_t status = 0;                     // mailbox_status, psp_validate
    uint32_t count = 0;                      // times it strikes before it disarms itself; 0: until cleared
    uint64_t struck = 0;
};

// The armed faults. Small (a handful of entries at most: the control plane caps it).
class FaultTable {
public:
    static constexpr size_t kMaxFaults = 32;
    // False when the table is full.
    bool add(FirmwareFault fault);
    void clear() { faults_.clear(); }
    // The first armed fault of `kind` that matches fn (and opcode, for mailbox faults); it
    // counts the strike and disarms itself when its count is used up. nullopt: none.
    std::optional<FirmwareFault> strike(FaultKind kind, npu3::FunctionIndex fn,
                                        std::optional<uint32_t> opcode = std::nullopt);
    [[nodiscard]] const std::vector<FirmwareFault>& armed() const { return faults_; }

private:
    std::vector<FirmwareFault> faults_;
};

} // namespace aie4emu::fw
