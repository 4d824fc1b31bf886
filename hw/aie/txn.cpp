#include "hw/aie/txn.hpp"

#include <fmt/format.h>

#include "hw/sim/log.hpp"

namespace aie4emu::aie::txn {

Result Interpreter::run(std::span<const uint32_t> w)
{
    Result r;
    size_t i = 0;
    auto fail = [&](std::string msg) {
        r.ok = false;
        r.error = std::move(msg);
        r.error_offset = i * 4;
        AIE4_LOG(txn, "array", array_.now(), "txn error at byte {}: {}", r.error_offset, r.error);
        return r;
    };
    if (w.size() < 4)
        return fail("stream shorter than its 16-byte header");
    const uint32_t major = w[0] & 0xFF;
    const uint32_t minor = (w[0] >> 8) & 0xFF;
    if (major > 1)
        return fail(fmt::format("unknown transaction version {}.{}", major, minor));
    const bool current = major == 0;
    const uint32_t op_count = w[2];
    const uint64_t total = w[3];
    const size_t end = total >= 16 && total / 4 <= w.size() ? total / 4 : w.size();
    i = 4;
    auto need = [&](size_t n) { return i + n <= end; };
    for (uint32_t op = 0; op < op_count; ++op) {
        if (!need(1))
            return fail(fmt::format("stream ends after {} of {} ops", op, op_count));
        const uint32_t code = w[i] & 0xFF;
        switch (code) {
        case kWrite: {
            const size_t n = current ? 6 : 3;
            if (!need(n))
                return fail("truncated WRITE");
            const uint64_t addr = current ? (uint64_t{w[i + 3]} << 32 | w[i + 2]) : w[i + 1];
            array_.write32(addr, current ? w[i + 4] : w[i + 2]);
            i += n;
            break;
        }
        case kBlockWrite: {
            const size_t hdr = current ? 4 : 3;
            if (!need(hdr))
                return fail("truncated BLOCKWRITE");
            const uint32_t size = w[i + hdr - 1];
            if (size % 4 || size / 4 < hdr || !need(size / 4))
                return fail(fmt::format("BLOCKWRITE size {} invalid", size));
            uint64_t addr = w[i + hdr - 2];
            if (current && addr < (1u << Geometry::kRowShift)) {
                const uint32_t col = w[i + 1] & 0xFF, row = (w[i + 1] >> 8) & 0xFF;
                addr = array_.tile_address(static_cast<uint16_t>(col), static_cast<uint16_t>(row),
                                           static_cast<uint32_t>(addr));
            }
            array_.block_write(addr, w.subspan(i + hdr, size / 4 - hdr));
            i += size / 4;
            break;
        }
        case kMaskWrite:
        case kMaskPoll: {
            const size_t n = current ? 7 : 4;
            if (!need(n))
                return fail("truncated MASKWRITE/MASKPOLL");
            const uint64_t addr = current ? (uint64_t{w[i + 3]} << 32 | w[i + 2]) : w[i + 1];
            const uint32_t value = current ? w[i + 4] : w[i + 2];
            const uint32_t mask = current ? w[i + 5] : w[i + 3];
            if (code == kMaskWrite)
                array_.mask_write32(addr, mask, value);
            else if (!array_.mask_poll(addr, mask, value & mask, wait_limit_))
                return fail(fmt::format("MASKPOLL {:#x} & {:#x} == {:#x} timed out", addr, mask, value));
            i += n;
            break;
        }
        case kNoop: i += 1; break;
        case kTct: {
            if (!need(4))
                return fail("truncated TCT sync");
            const uint32_t a = w[i + 2], b = w[i + 3];
            const auto dir = (a & 0xFF) ? Direction::mm2s : Direction::s2mm;
            const uint32_t row = (a >> 8) & 0xFF, col = (a >> 16) & 0xFF;
            const uint32_t nrow = std::max<uint32_t>(1, (b >> 8) & 0xFF), ncol = std::max<uint32_t>(1, (b >> 16) & 0xFF);
            const auto chan = static_cast<uint8_t>(b >> 24);
            for (uint32_t c = col; c < col + ncol; ++c)
                for (uint32_t rr = row; rr < row + nrow; ++rr)
                    if (!array_.wait_tcts({static_cast<uint16_t>(c), static_cast<uint16_t>(rr), dir, chan}, 1, wait_limit_))
                        return fail(fmt::format("TCT sync on tile({},{}) {} channel {} timed out", c, rr,
                                                dir == Direction::s2mm ? "S2MM" : "MM2S", chan));
            i += 4;
            break;
        }
        case kDdrPatch: {
            const size_t n = current ? 12 : 6;
            if (!need(n))
                return fail("truncated DDR_PATCH");
            const uint64_t reg = current ? w[i + 6] : w[i + 2];
            const uint32_t arg = current ? w[i + 8] : w[i + 3];
            const uint32_t plus = current ? w[i + 10] : w[i + 4];
            if (arg >= buffers_.size())
                return fail(fmt::format("DDR_PATCH argument {} beyond the {} host buffers", arg, buffers_.size()));
            const uint64_t value = buffers_[arg] + plus + array_.costs().shim_host_address_offset;
            array_.write32(reg, static_cast<uint32_t>(value));
            if (value >> 32)
                array_.write32(reg - 4, static_cast<uint32_t>(value >> 32));
            i += n;
            break;
        }
        default: return fail(fmt::format("unknown opcode {:#x}", code));
        }
        ++r.ops;
    }
    return r;
}

} // namespace aie4emu::aie::txn
