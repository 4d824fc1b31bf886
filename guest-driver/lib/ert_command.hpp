#pragma once
// ERT_START_DPU command BO content as XRT 2.25 builds it for an AIE4 ELF kernel
// (docs/spec/queue-and-cert.md §7), and decoding of the completion word CERT writes back (§5.2).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aie4emu::guest {

struct DpuData {
    std::uint64_t dtrace_buffer = 0;
    std::uint64_t instruction_buffer = 0; // xdna address of this uC's control code
    std::uint32_t instruction_buffer_size = 0;
    std::uint16_t uc_index = 0;
    // 'chained' is computed by write_start_dpu (entries that follow).
};

// Header word: state NEW, count = payload dwords, opcode ERT_START_DPU, type ERT_CU.
std::uint32_t start_dpu_header(std::uint32_t payload_dwords);

// Writes header, cu_mask (1) and the ert_dpu_data entries into cmd. Returns the bytes used,
// or 0 if cmd is too small or entries is empty.
std::size_t write_start_dpu(std::span<std::uint8_t> cmd, std::span<const DpuData> entries);

// Re-arm an already built command: state back to NEW (XRT restores the saved header on
// every run start).
void rearm_command(std::span<std::uint8_t> cmd, std::uint32_t header);

std::uint32_t completion_state(std::uint32_t word);           // low 4 bits
bool completion_done(std::uint32_t word);                      // state >= COMPLETED (XRT's test)
bool completion_ok(std::uint32_t word);                        // state == COMPLETED (4)
std::string describe_completion(std::uint32_t word);

} // namespace aie4emu::guest
