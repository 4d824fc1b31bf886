// SMU (system management unit) commands as the AIE4 firmware sees them.
// Register offsets live in hw/npu3/npu3_regs.hpp; values shared with it are
// aliased from there.
// Source: Linux 7.3.4 drivers/accel/amdxdna/aie_smu.c.
#pragma once

#include <cstdint>

#include "hw/npu3/npu3_regs.hpp"

namespace aie4emu::fw::smu {

inline constexpr uint32_t kPowerOn = npu3::regs::kSmuPowerOn;    // AIE_SMU_POWER_ON 0x3
inline constexpr uint32_t kPowerOff = npu3::regs::kSmuPowerOff;  // AIE_SMU_POWER_OFF 0x4
inline constexpr uint32_t kSetMpnpuclkFreq = 0x5;                // AIE_SMU_SET_MPNPUCLK_FREQ (AIE2 only)
inline constexpr uint32_t kSetHclkFreq = 0x6;                    // AIE_SMU_SET_HCLK_FREQ (AIE2 only)
inline constexpr uint32_t kSetSoftDpmLevel = 0x7;                // AIE_SMU_SET_SOFT_DPMLEVEL (AIE2 only)
inline constexpr uint32_t kSetHardDpmLevel = 0x8;                // AIE_SMU_SET_HARD_DPMLEVEL (AIE2 only)

inline constexpr uint32_t kResultOk = npu3::regs::kSmuResultOk;  // SMU_RESULT_OK 1 (anything else: -EINVAL)

} // namespace aie4emu::fw::smu
