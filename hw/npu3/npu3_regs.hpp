// Register facts of the AIE4 ("npu3") device as the amdxdna driver sees it:
// BAR indices, PSP and SMU register offsets and protocol values, mailbox_info
// layout, doorbell placement. Each fact names the driver file and symbol it
// comes from (Linux 7.3.4 drivers/accel/amdxdna). Values marked "emulator
// choice" are not fixed by the driver; they are the layout this emulator
// presents (docs/spec/driver-interface.md §1.2 "Recommended layout").
#pragma once

#include <cstdint>

namespace aie4emu::npu3::regs {

// ---- BAR indices -------------------------------------------------------------
inline constexpr unsigned kMboxBar = 0;        // npu3_regs.c NPU3_MBOX_BAR / NPU3_REG_BAR_INDEX
inline constexpr unsigned kSramBar = 2;        // npu3_regs.c NPU3_MBOX_BUFFER_BAR
inline constexpr unsigned kDoorbellBar = 2;    // npu3_regs.c NPU3_DOORBELL_BAR
inline constexpr unsigned kPspBar = 4;         // npu3_regs.c NPU3_PSP_BAR_INDEX
inline constexpr unsigned kSmuBar = 5;         // npu3_regs.c NPU3_SMU_BAR_INDEX

// ---- BAR sizes and placement (emulator choice within the driver's limits) ----
inline constexpr uint64_t kMboxBarSize = 64 * 1024;       // BAR0, 64-bit
inline constexpr uint64_t kSramBarSize = 1024 * 1024;     // BAR2, 64-bit
inline constexpr uint64_t kPspBarSize = 4096;             // BAR4, 32-bit (must hold 0xB78: §1.2)
inline constexpr uint64_t kSmuBarSize = 4096;             // BAR5, 32-bit (must hold 0x9F8: §1.2)
inline constexpr uint32_t kMsixTableOffset = 0x8000;      // in BAR0
inline constexpr uint32_t kMsixPbaOffset = 0x9000;        // in BAR0
inline constexpr unsigned kPfMsixVectors = 8;             // small tables (§1.3)
inline constexpr unsigned kVfMsixVectors = 16;
inline constexpr uint32_t kMboxRegFileSize = 0x100;       // BAR0 0x000..0x0FF: mailbox pointer registers

// ---- Mailbox pointer registers in BAR0 (emulator choice) ---------------------
// The driver takes these offsets from mailbox_info (aie4_pci.c struct
// mailbox_info x2i_tail_offset...; used as raw BAR0 offsets by
// amdxdna_mailbox.c mb_tail_ptr_reg / mb_head_ptr_reg). The firmware publishes
// exactly these constants; the device kicks the firmware on a write to
// kMboxX2iTail.
inline constexpr uint32_t kMboxX2iTail = 0x0;  // host writes: requests waiting
inline constexpr uint32_t kMboxX2iHead = 0x4;  // device writes
inline constexpr uint32_t kMboxI2xTail = 0x8;  // device writes
inline constexpr uint32_t kMboxI2xHead = 0xC;  // host writes

// ---- SRAM (BAR2) ---------------------------------------------------------------
inline constexpr uint32_t kMboxInfoOffset = 0x0;       // npu3_regs.c NPU3_MBOX_INFO_OFF
inline constexpr uint32_t kMboxInfoSize = 64;          // aie4_pci.c struct mailbox_info (16 dwords)
// struct mailbox_info field offsets (aie4_pci.c struct mailbox_info).
inline constexpr uint32_t kInfoValid = 0x00;
inline constexpr uint32_t kInfoProtocolMajor = 0x04;
inline constexpr uint32_t kInfoProtocolMinor = 0x08;
inline constexpr uint32_t kInfoX2iTailOffset = 0x0C;
inline constexpr uint32_t kInfoX2iHeadOffset = 0x10;
inline constexpr uint32_t kInfoX2iBufferAddr = 0x14;
inline constexpr uint32_t kInfoX2iBufferSize = 0x18;
inline constexpr uint32_t kInfoI2xTailOffset = 0x1C;
inline constexpr uint32_t kInfoI2xHeadOffset = 0x20;
inline constexpr uint32_t kInfoI2xBufferAddr = 0x24;
inline constexpr uint32_t kInfoI2xBufferSize = 0x28;
inline constexpr uint32_t kInfoI2xMsiIdx = 0x2C;
// Ring placement (emulator choice; power-of-2 sizes required by
// amdxdna_mailbox.c xdna_mailbox_start_channel).
inline constexpr uint32_t kX2iRingOffset = 0x1000;
inline constexpr uint32_t kX2iRingSize = 0x1000;
inline constexpr uint32_t kI2xRingOffset = 0x2000;
inline constexpr uint32_t kI2xRingSize = 0x1000;

// ---- VF doorbell pages in BAR2 ------------------------------------------------
// The driver maps BAR2 + NPU3_DOORBELL_OFF (0) + doorbell_offset, one 4 KiB
// page per hw context (aie4_pci.c aie4_doorbell_mmap, aie4_ctx.c
// aie4_hwctx_valid_doorbell: doorbell_offset >> PAGE_SHIFT). The pages start
// after the SRAM part (emulator choice) and always trap.
inline constexpr uint32_t kDoorbellOffset = 0x0;       // npu3_regs.c NPU3_DOORBELL_OFF
inline constexpr uint32_t kDoorbellPageSize = 4096;    // PAGE_SIZE on x86-64
inline constexpr uint32_t kVfSramSize = 0x10000;       // VF BAR2 0x00000..0x0FFFF: SRAM
inline constexpr uint32_t kDoorbellBase = kVfSramSize; // VF BAR2 0x10000..: doorbell pages
inline constexpr unsigned kVfDoorbellPages =
    static_cast<unsigned>((kSramBarSize - kDoorbellBase) / kDoorbellPageSize); // 240
// BAR2 offset of doorbell page `page` (what CREATE_HW_CONTEXT reports).
constexpr uint32_t doorbell_bar_offset(unsigned page)
{
    return kDoorbellOffset + kDoorbellBase + page * kDoorbellPageSize;
}

// ---- PSP (BAR4) ---------------------------------------------------------------
// BAR offset = SoC address - MMNPU_APERTURE3_BASE (npu3_regs.c
// DEFINE_BAR_OFFSET(..., NPU3_PSP, ...)).
inline constexpr uint32_t kPspApertureBase = 0x3810000;   // npu3_regs.c MMNPU_APERTURE3_BASE
inline constexpr uint32_t kPspCmd = 0x3810AEC - kPspApertureBase;  // MPASP_C2PMSG_123_ALT_1: PSP_CMD_REG,
                                                                   // PSP_ARG2_REG, PSP_STATUS_REG (aliased)
inline constexpr uint32_t kPspArg0 = 0x3810B70 - kPspApertureBase; // MPASP_C2PMSG_156_ALT_1: PSP_ARG0_REG,
                                                                   // PSP_RESP_REG (aliased)
inline constexpr uint32_t kPspArg1 = 0x3810B74 - kPspApertureBase; // MPASP_C2PMSG_157_ALT_1: PSP_ARG1_REG
inline constexpr uint32_t kPspIntr = 0x3810A24 - kPspApertureBase; // MPASP_C2PMSG_73_ALT_1: PSP_INTR_REG
inline constexpr uint32_t kPspStatus = kPspCmd;
inline constexpr uint32_t kPspResp = kPspArg0;
inline constexpr uint32_t kPspNotifyIntr = 0xD007BE11;    // aie4_pci.c PSP_NOTIFY_INTR
inline constexpr uint32_t kPspStatusReady = 1u << 31;     // aie_psp.c PSP_STATUS_READY
// aie_psp.c PSP_SET_CMD: CMD/ARG2 register = arg2 | cmd << 24 (bit 31 is READY).
inline constexpr unsigned kPspCmdShift = 24;
inline constexpr uint32_t kPspCmdMask = 0x7F;
inline constexpr uint32_t kPspArg2Mask = 0x00FFFFFF;
// PSP commands (aie_psp.c).
inline constexpr uint32_t kPspValidate = 1;               // PSP_VALIDATE
inline constexpr uint32_t kPspStart = 2;                  // PSP_START
inline constexpr uint32_t kPspReleaseTmr = 3;             // PSP_RELEASE_TMR
inline constexpr uint32_t kPspValidateCert = 4;           // PSP_VALIDATE_CERT
inline constexpr uint32_t kPspStartCopyFw = 1;            // PSP_START_COPY_FW
inline constexpr uint32_t kPspErrorCancel = 0xFFFF0002;   // PSP_ERROR_CANCEL
inline constexpr uint32_t kPspErrorBadState = 0xFFFF0007; // PSP_ERROR_BAD_STATE

// ---- SMU (BAR5) ---------------------------------------------------------------
inline constexpr uint32_t kSmuApertureBase = 0x3B10000;   // npu3_regs.c MMNPU_APERTURE4_BASE
inline constexpr uint32_t kSmuIntr = 0x3B10000 - kSmuApertureBase; // SMU_INTR_REG = MMNPU_APERTURE4_BASE
inline constexpr uint32_t kSmuCmd = 0x3B109EC - kSmuApertureBase;  // MP1_C2PMSG_59_ALT_1: SMU_CMD_REG
inline constexpr uint32_t kSmuResp = 0x3B109F0 - kSmuApertureBase; // MP1_C2PMSG_60_ALT_1: SMU_RESP_REG
inline constexpr uint32_t kSmuArg = 0x3B109F4 - kSmuApertureBase;  // MP1_C2PMSG_61_ALT_1: SMU_ARG_REG,
                                                                   // SMU_OUT_REG (aliased)
inline constexpr uint32_t kSmuOut = kSmuArg;
inline constexpr uint32_t kSmuKick = 1;                   // aie_smu.c aie_smu_exec: writel(1, SMU_INTR_REG)
inline constexpr uint32_t kSmuResultOk = 1;               // aie_smu.c SMU_RESULT_OK
// SMU commands (aie_smu.c).
inline constexpr uint32_t kSmuPowerOn = 0x3;              // AIE_SMU_POWER_ON
inline constexpr uint32_t kSmuPowerOff = 0x4;             // AIE_SMU_POWER_OFF

// ---- Configuration-space identity (emulator choice unless noted) -----------------
inline constexpr uint32_t kClassCode = 0x118000;          // signal processing controller, as AMD NPUs report
inline constexpr uint8_t kLinkWidth = 4;

} // namespace aie4emu::npu3::regs
