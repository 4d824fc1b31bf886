#include "guest-driver/lib/ert_command.hpp"

#include "guest-driver/include/xrt_umq_layout.hpp"
#include "guest-driver/lib/bytes.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace aie4emu::guest {

namespace ert = umq::ert;

std::uint32_t start_dpu_header(std::uint32_t payload_dwords)
{
    return (ert::state_new << ert::state_shift) | ((payload_dwords & ert::count_mask) << ert::count_shift) |
           (ert::opcode_start_dpu << ert::opcode_shift) | (ert::type_cu << ert::type_shift);
}

std::size_t write_start_dpu(std::span<std::uint8_t> cmd, std::span<const DpuData> entries)
{
    if (entries.empty())
        return 0;
    const std::size_t bytes = ert::dpu_data_offset + entries.size() * ert::dpu_data_size;
    if (cmd.size() < bytes)
        return 0;
    std::memset(cmd.data(), 0, bytes);
    // Payload dwords: cu_mask + the dpu entries (no kernel arguments: XRT patches them into
    // the control code instead).
    const auto payload_dwords = static_cast<std::uint32_t>((bytes - 4) / 4);
    store_le<std::uint32_t>(cmd, 4, 1); // cu_mask
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::size_t off = ert::dpu_data_offset + i * ert::dpu_data_size;
        store_le<std::uint64_t>(cmd, off + ert::dpu_dtrace_offset, entries[i].dtrace_buffer);
        store_le<std::uint64_t>(cmd, off + ert::dpu_instruction_offset, entries[i].instruction_buffer);
        store_le<std::uint32_t>(cmd, off + ert::dpu_instruction_size_offset, entries[i].instruction_buffer_size);
        store_le<std::uint16_t>(cmd, off + ert::dpu_uc_index_offset, entries[i].uc_index);
        store_le<std::uint16_t>(cmd, off + ert::dpu_chained_offset,
                                static_cast<std::uint16_t>(entries.size() - 1 - i));
    }
    rearm_command(cmd, start_dpu_header(payload_dwords));
    return bytes;
}

void rearm_command(std::span<std::uint8_t> cmd, std::uint32_t header)
{
    std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(cmd.data()))
        .store(header, std::memory_order_release);
}

std::uint32_t completion_state(std::uint32_t word)
{
    return word & ert::state_mask;
}

bool completion_done(std::uint32_t word)
{
    return completion_state(word) >= ert::state_completed;
}

bool completion_ok(std::uint32_t word)
{
    // XRT only looks at the state nibble; CERT may overwrite the whole word with 4 or
    // leave the header's other fields in place.
    return completion_state(word) == ert::state_completed;
}

std::string describe_completion(std::uint32_t word)
{
    char buf[96];
    const std::uint32_t state = completion_state(word);
    if (completion_state(word) == ert::state_completed)
        std::snprintf(buf, sizeof buf, "completed");
    else if (state == ert::state_error)
        std::snprintf(buf, sizeof buf, "error code %u (word 0x%08x)", word >> 4, word);
    else if (state == ert::state_abort)
        std::snprintf(buf, sizeof buf, "abort (word 0x%08x)", word);
    else if (state == ert::state_timeout)
        std::snprintf(buf, sizeof buf, "timeout (word 0x%08x)", word);
    else
        std::snprintf(buf, sizeof buf, "state %u (word 0x%08x)", state, word);
    return buf;
}

} // namespace aie4emu::guest
