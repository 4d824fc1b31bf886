// PSP (platform security processor) boot protocol as the AIE4 firmware sees
// it: the commands the PF driver sends through BAR4 and the response codes.
// Register offsets and the kick value are hardware facts and live in
// hw/npu3/npu3_regs.hpp; this header names the command semantics and aliases
// the values from there, so each number has one home.
// Sources: Linux 7.3.4 drivers/accel/amdxdna/aie_psp.c, aie4_pci.c.
#pragma once

#include <cstdint>

#include "hw/npu3/npu3_regs.hpp"

namespace aie4emu::fw::psp {

// ---- Commands (aie_psp.c) ------------------------------------------------------
inline constexpr uint32_t kValidate = npu3::regs::kPspValidate;          // PSP_VALIDATE (1): arg0|arg1<<32 = fw_paddr, arg2 = fw_buf_sz
inline constexpr uint32_t kStart = npu3::regs::kPspStart;                // PSP_START (2): arg0 = PSP_START_COPY_FW
inline constexpr uint32_t kReleaseTmr = npu3::regs::kPspReleaseTmr;      // PSP_RELEASE_TMR (3)
inline constexpr uint32_t kValidateCert = npu3::regs::kPspValidateCert;  // PSP_VALIDATE_CERT (4): cert address and size
inline constexpr uint32_t kStartCopyFw = npu3::regs::kPspStartCopyFw;    // PSP_START_COPY_FW (1), START's arg0

// Buffer alignment of the images the driver hands over (aie_psp.c
// PSP_FW_ALIGN, PSP_CFW_ALIGN); arg2 is the file size rounded up to these.
inline constexpr uint32_t kFwAlign = 0x10000;    // PSP_FW_ALIGN
inline constexpr uint32_t kCertAlign = 0x8000;   // PSP_CFW_ALIGN

// ---- Response codes (RESP register; aie_psp.c psp_exec: 0 = success) -----------
inline constexpr uint32_t kOk = 0;
inline constexpr uint32_t kErrorCancel = npu3::regs::kPspErrorCancel;     // PSP_ERROR_CANCEL 0xFFFF0002
inline constexpr uint32_t kErrorBadState = npu3::regs::kPspErrorBadState; // PSP_ERROR_BAD_STATE 0xFFFF0007
// The real PSP's other codes are not public (docs/spec/driver-interface.md §11.4); the driver
// treats every non-zero value alike. Emulator choice, kept in a range the
// driver does not name so logs tell them apart:
inline constexpr uint32_t kErrorUnknownCommand = 0xFFFF00F1;  // cmd not 1..4
inline constexpr uint32_t kErrorImageUnreadable = 0xFFFF00F2; // DMA of the image failed
inline constexpr uint32_t kErrorImageFormat = 0xFFFF00F3;     // magic, version, sizes, reserved fields
inline constexpr uint32_t kErrorImageKind = 0xFFFF00F4;       // npu image given as cert or the reverse
inline constexpr uint32_t kErrorImageChecksum = 0xFFFF00F5;   // CRC mismatch
inline constexpr uint32_t kErrorBadArgument = 0xFFFF00F6;     // e.g. START arg0 != PSP_START_COPY_FW
inline constexpr uint32_t kErrorPoweredOff = 0xFFFF00F7;      // START while the NPU is powered off (SMU)

} // namespace aie4emu::fw::psp
