#include "firmware-stub/cert/control_code.hpp"

#include <fmt/core.h>

#include <array>
#include <cstring>

namespace aie4emu::fw::cert {

namespace {

uint16_t u16_at(std::span<const uint8_t> b, size_t off) {
    return static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
}
uint32_t u32_at(std::span<const uint8_t> b, size_t off) {
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v; // little-endian host (x86_64), as the device
}

// Operand packing per opcode (byte 0 = opcode, byte 1 = 0, operands follow).
struct Encoding {
    Opcode code;
    const char* name;
    uint8_t size;
};

constexpr std::array kEncodings{
    Encoding{Opcode::StartJob, "START_JOB", 8},
    Encoding{Opcode::UcDmaWriteDes, "UC_DMA_WRITE_DES", 8},
    Encoding{Opcode::WaitUcDma, "WAIT_UC_DMA", 4},
    Encoding{Opcode::MaskWrite32, "MASK_WRITE_32", 16},
    Encoding{Opcode::Write32, "WRITE_32", 12},
    Encoding{Opcode::WaitTcts, "WAIT_TCTS", 8},
    Encoding{Opcode::EndJob, "END_JOB", 4},
    Encoding{Opcode::Yield, "YIELD", 4},
    Encoding{Opcode::UcDmaWriteDesSync, "UC_DMA_WRITE_DES_SYNC", 4},
    Encoding{Opcode::Write32D, "WRITE_32_D", 12},
    Encoding{Opcode::Read32, "READ_32", 8},
    Encoding{Opcode::Read32D, "READ_32_D", 4},
    Encoding{Opcode::ApplyOffset57, "APPLY_OFFSET_57", 8},
    Encoding{Opcode::Add, "ADD", 8},
    Encoding{Opcode::Mov, "MOV", 8},
    Encoding{Opcode::LocalBarrier, "LOCAL_BARRIER", 4},
    Encoding{Opcode::RemoteBarrier, "REMOTE_BARRIER", 8},
    Encoding{Opcode::Poll32, "POLL_32", 12},
    Encoding{Opcode::MaskPoll32, "MASK_POLL_32", 16},
    Encoding{Opcode::Trace, "TRACE", 4},
    Encoding{Opcode::Nop, "NOP", 4},
    Encoding{Opcode::StartJobDeferred, "START_JOB_DEFERRED", 8},
    Encoding{Opcode::LaunchJob, "LAUNCH_JOB", 4},
    Encoding{Opcode::PreemptionCheckpoint, "PREEMPTION_CHECKPOINT", 8},
    Encoding{Opcode::LoadPdi, "LOAD_PDI", 8},
    Encoding{Opcode::LoadLastPdi, "LOAD_LAST_PDI", 4},
    Encoding{Opcode::SaveTimestamps, "SAVE_TIMESTAMPS", 8},
    Encoding{Opcode::Eof, "EOF", 4},
};

const Encoding* find_encoding(uint8_t opcode) {
    for (const auto& e : kEncodings)
        if (static_cast<uint8_t>(e.code) == opcode)
            return &e;
    return nullptr;
}

bool label_in_page(uint16_t label, uint32_t used_length, uint32_t min_bytes) {
    // Label operands are byte offsets within the page, minus the header.
    return uint32_t{label} + kPageHeaderSize + min_bytes <= used_length;
}

} // namespace

std::string_view opcode_name(Opcode op) {
    const Encoding* e = find_encoding(static_cast<uint8_t>(op));
    return e ? e->name : "UNKNOWN";
}

std::optional<uint32_t> encoded_size(uint8_t opcode) {
    const Encoding* e = find_encoding(opcode);
    if (!e)
        return std::nullopt;
    return e->size;
}

std::optional<PageHeader> decode_header(std::span<const uint8_t> b, DecodeError& error) {
    if (b.size() < kPageHeaderSize) {
        error = {0, fmt::format("page shorter than its {}-byte header", kPageHeaderSize)};
        return std::nullopt;
    }
    if (u16_at(b, PageHeaderLayout::marker) != kPageMarker) {
        error = {0, fmt::format("bad page marker 0x{:04x} (want 0x{:04x})", u16_at(b, 0), kPageMarker)};
        return std::nullopt;
    }
    PageHeader h;
    h.index = u16_at(b, PageHeaderLayout::index);
    h.ooo_length1 = u16_at(b, PageHeaderLayout::ooo_len1);
    h.ooo_length2 = u16_at(b, PageHeaderLayout::ooo_len2);
    h.used_length = u16_at(b, PageHeaderLayout::used_len);
    h.next_length = u16_at(b, PageHeaderLayout::next_len);
    if (h.used_length < kPageHeaderSize + 4 || h.used_length > kPageSize) {
        error = {PageHeaderLayout::used_len,
                 fmt::format("page used length {} outside {}..{}", h.used_length, kPageHeaderSize + 4, kPageSize)};
        return std::nullopt;
    }
    if (h.next_length > kPageSize) {
        error = {PageHeaderLayout::next_len, fmt::format("next page length {} exceeds {}", h.next_length, kPageSize)};
        return std::nullopt;
    }
    return h;
}

std::optional<DecodedPage> decode_page(std::span<const uint8_t> b, uint16_t expected_index, DecodeError& error) {
    auto header = decode_header(b, error);
    if (!header)
        return std::nullopt;
    if (header->index != expected_index) {
        error = {PageHeaderLayout::index,
                 fmt::format("page index {} where page {} was expected", header->index, expected_index)};
        return std::nullopt;
    }
    if (b.size() < header->used_length) {
        error = {0, fmt::format("page holds {} bytes, header says {}", b.size(), header->used_length)};
        return std::nullopt;
    }
    const uint32_t end = header->used_length;
    DecodedPage page{*header, {}};
    uint32_t pc = kPageHeaderSize;
    while (true) {
        if (pc + 4 > end) {
            error = {pc, "operation stream runs past the page's used length without EOF"};
            return std::nullopt;
        }
        const uint8_t opcode = b[pc];
        const Encoding* enc = find_encoding(opcode);
        if (!enc) {
            error = {pc, fmt::format("unknown opcode 0x{:02x}", opcode)};
            return std::nullopt;
        }
        if (pc + enc->size > end) {
            error = {pc, fmt::format("{} truncated by the end of the page", enc->name)};
            return std::nullopt;
        }
        Op op;
        op.code = enc->code;
        op.offset = pc;
        op.size = enc->size;
        switch (op.code) {
        case Opcode::StartJob:
        case Opcode::StartJobDeferred:
            op.imm16_a = u16_at(b, pc + 2); // job id
            op.imm16_b = u16_at(b, pc + 4); // job size
            break;
        case Opcode::UcDmaWriteDes:
            op.reg_a = b[pc + 2];           // wait handle register
            op.imm16_a = u16_at(b, pc + 4); // descriptor_ptr
            break;
        case Opcode::UcDmaWriteDesSync:
            op.imm16_a = u16_at(b, pc + 2);
            break;
        case Opcode::WaitUcDma:
            op.reg_a = b[pc + 2];
            break;
        case Opcode::MaskWrite32:
        case Opcode::MaskPoll32:
            op.address = u32_at(b, pc + 4);
            op.mask = u32_at(b, pc + 8);
            op.value = u32_at(b, pc + 12);
            break;
        case Opcode::Write32:
        case Opcode::Poll32:
            op.address = u32_at(b, pc + 4);
            op.value = u32_at(b, pc + 8);
            break;
        case Opcode::Write32D:
            op.flags = b[pc + 2];
            op.address = u32_at(b, pc + 4);
            op.value = u32_at(b, pc + 8);
            break;
        case Opcode::WaitTcts:
            op.imm16_a = u16_at(b, pc + 2); // tile id
            op.actor = b[pc + 4];
            op.target = b[pc + 6];
            break;
        case Opcode::Read32:
            op.reg_a = b[pc + 2];
            op.address = u32_at(b, pc + 4);
            break;
        case Opcode::Read32D:
            op.reg_a = b[pc + 2]; // address register
            op.reg_b = b[pc + 3]; // value register
            break;
        case Opcode::ApplyOffset57:
            op.imm16_a = u16_at(b, pc + 2); // table_ptr
            op.imm16_b = u16_at(b, pc + 4); // num_entries
            op.imm16_c = u16_at(b, pc + 6); // offset (argument index or 0xFFFF)
            break;
        case Opcode::Add:
        case Opcode::Mov:
            op.reg_a = b[pc + 2];
            op.value = u32_at(b, pc + 4);
            break;
        case Opcode::LocalBarrier:
            op.reg_a = b[pc + 2]; // barrier id
            op.reg_b = b[pc + 3]; // participants
            break;
        case Opcode::RemoteBarrier:
            op.reg_a = b[pc + 2]; // barrier id (1..64)
            op.mask = u32_at(b, pc + 4);
            break;
        case Opcode::Trace:
        case Opcode::LaunchJob:
            op.imm16_a = u16_at(b, pc + 2);
            break;
        case Opcode::PreemptionCheckpoint:
            op.imm16_a = u16_at(b, pc + 2);
            op.imm16_b = u16_at(b, pc + 4);
            op.imm16_c = u16_at(b, pc + 6);
            break;
        case Opcode::LoadPdi:
            op.imm16_a = u16_at(b, pc + 2);
            op.imm16_b = u16_at(b, pc + 4);
            break;
        case Opcode::SaveTimestamps:
            op.value = u32_at(b, pc + 4);
            break;
        case Opcode::EndJob:
        case Opcode::Yield:
        case Opcode::Nop:
        case Opcode::LoadLastPdi:
        case Opcode::Eof:
            break;
        }
        // Register operands must name one of r0..r23.
        const bool uses_reg_a = op.code == Opcode::UcDmaWriteDes || op.code == Opcode::WaitUcDma ||
                                op.code == Opcode::Read32 || op.code == Opcode::Read32D ||
                                op.code == Opcode::Add || op.code == Opcode::Mov;
        if ((uses_reg_a && op.reg_a >= kRegisters) || (op.code == Opcode::Read32D && op.reg_b >= kRegisters)) {
            error = {pc, fmt::format("{} names register {} (only r0..r{})", enc->name,
                                     op.reg_a >= kRegisters ? op.reg_a : op.reg_b, kRegisters - 1)};
            return std::nullopt;
        }
        if (op.code == Opcode::LocalBarrier && op.reg_a >= kLocalBarriers) {
            error = {pc, fmt::format("LOCAL_BARRIER id {} (only lb0..lb{})", op.reg_a, kLocalBarriers - 1)};
            return std::nullopt;
        }
        const bool has_label = op.code == Opcode::UcDmaWriteDes || op.code == Opcode::UcDmaWriteDesSync ||
                               op.code == Opcode::ApplyOffset57;
        if (has_label && !label_in_page(op.imm16_a, end, kUcDmaBdSize)) {
            error = {pc, fmt::format("{} label 0x{:x} points outside the page (used length {})", enc->name,
                                     op.imm16_a, end)};
            return std::nullopt;
        }
        page.ops.push_back(op);
        pc += enc->size;
        if (op.code == Opcode::Eof)
            break;
    }
    return page;
}

} // namespace aie4emu::fw::cert
