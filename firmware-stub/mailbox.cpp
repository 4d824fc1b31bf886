#include "firmware-stub/mailbox.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "firmware-stub/mailbox_protocol.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::fw {

using namespace mbox;

RingLayout RingLayout::standard()
{
    namespace r = npu3::regs;
    RingLayout l;
    l.x2i_tail_reg = r::kMboxX2iTail;
    l.x2i_head_reg = r::kMboxX2iHead;
    l.i2x_tail_reg = r::kMboxI2xTail;
    l.i2x_head_reg = r::kMboxI2xHead;
    l.x2i_offset = r::kX2iRingOffset;
    l.x2i_size = r::kX2iRingSize;
    l.i2x_offset = r::kI2xRingOffset;
    l.i2x_size = r::kI2xRingSize;
    l.i2x_msi_idx = kI2xMsiIdx;
    return l;
}

MailboxChannel::MailboxChannel(npu3::DeviceServices& device, npu3::FunctionIndex fn, RingLayout layout)
    : device_(device), fn_(fn), layout_(layout), name_(npu3::function_name(fn))
{
}

namespace {

constexpr bool pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The smallest ring that holds the largest package either way plus a tombstone.
constexpr uint32_t kMinRingSize = 128;

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) { return a < b + blen && b < a + alen; }

} // namespace

bool MailboxChannel::start()
{
    const auto sram = device_.sram(fn_);
    const RingLayout& l = layout_;
    const bool sizes_ok = pow2(l.x2i_size) && pow2(l.i2x_size) && l.x2i_size >= kMinRingSize &&
                          l.i2x_size >= kMinRingSize && l.x2i_offset % kAlign == 0 && l.i2x_offset % kAlign == 0;
    const bool placed = uint64_t{l.x2i_offset} + l.x2i_size <= sram.size() &&
                        uint64_t{l.i2x_offset} + l.i2x_size <= sram.size() && sram.size() >= sizeof(MailboxInfo) &&
                        !overlaps(l.x2i_offset, l.x2i_size, l.i2x_offset, l.i2x_size) &&
                        !overlaps(0, sizeof(MailboxInfo), l.x2i_offset, l.x2i_size) &&
                        !overlaps(0, sizeof(MailboxInfo), l.i2x_offset, l.i2x_size);
    if (!sizes_ok || !placed) {
        log("cannot start: ring layout x2i {:#x}+{:#x} i2x {:#x}+{:#x} does not fit SRAM of {:#x} bytes",
            l.x2i_offset, l.x2i_size, l.i2x_offset, l.i2x_size, sram.size());
        up_ = false;
        return false;
    }
    // Rings empty (docs/spec/driver-interface.md §4.2: x2i head == tail, i2x tail == head).
    x2i_head_ = 0;
    i2x_tail_ = 0;
    device_.set_mbox_reg(fn_, l.x2i_tail_reg, 0);
    device_.set_mbox_reg(fn_, l.x2i_head_reg, 0);
    device_.set_mbox_reg(fn_, l.i2x_tail_reg, 0);
    device_.set_mbox_reg(fn_, l.i2x_head_reg, 0);
    std::fill_n(sram.begin() + l.x2i_offset, l.x2i_size, uint8_t{0});
    std::fill_n(sram.begin() + l.i2x_offset, l.i2x_size, uint8_t{0});

    MailboxInfo info{};
    info.protocol_major = kProtocolMajor;
    info.protocol_minor = kProtocolMinor;
    info.x2i_tail_offset = l.x2i_tail_reg;
    info.x2i_head_offset = l.x2i_head_reg;
    info.x2i_buffer_addr = l.x2i_offset;
    info.x2i_buffer_size = l.x2i_size;
    info.i2x_tail_offset = l.i2x_tail_reg;
    info.i2x_head_offset = l.i2x_head_reg;
    info.i2x_buffer_addr = l.i2x_offset;
    info.i2x_buffer_size = l.i2x_size;
    info.i2x_msi_idx = l.i2x_msi_idx;
    // Everything else first, `valid` last: the host polls `valid` and then
    // reads the rest.
    std::memcpy(sram.data(), &info, sizeof(info));
    const uint32_t valid = kInfoValid;
    std::memcpy(sram.data() + offsetof(MailboxInfo, valid), &valid, sizeof(valid));
    up_ = true;
    log("up: mailbox_info valid, rings empty");
    return true;
}

void MailboxChannel::stop()
{
    const auto sram = device_.sram(fn_);
    if (sram.size() >= sizeof(MailboxInfo))
        std::fill_n(sram.begin(), sizeof(MailboxInfo), uint8_t{0});
    device_.set_mbox_reg(fn_, layout_.x2i_tail_reg, 0);
    device_.set_mbox_reg(fn_, layout_.x2i_head_reg, 0);
    device_.set_mbox_reg(fn_, layout_.i2x_tail_reg, 0);
    device_.set_mbox_reg(fn_, layout_.i2x_head_reg, 0);
    x2i_head_ = 0;
    i2x_tail_ = 0;
    if (up_)
        log("down: mailbox_info cleared");
    up_ = false;
}

uint32_t MailboxChannel::sram32(std::span<const uint8_t> sram, uint32_t offset)
{
    // Offsets are inside the rings, checked by start().
    uint32_t v = 0;
    std::memcpy(&v, sram.data() + offset, sizeof(v));
    return v;
}

void MailboxChannel::resync(const std::string& why)
{
    // Framing is lost: nothing after this point can be parsed reliably, so
    // drop everything the host has queued. Its pending request times out,
    // as it would on hardware that cannot parse the ring.
    const uint32_t tail = device_.mbox_reg(fn_, layout_.x2i_tail_reg);
    log("malformed x2i ring at {:#x}: {}; skipping to tail {:#x}", x2i_head_, why, tail);
    device_.trace(fn_, fmt::format("mailbox resync head={:#x} tail={:#x}: {}", x2i_head_, tail, why));
    x2i_head_ = tail;
    ++stats_.resyncs;
}

void MailboxChannel::service(RequestHandler& handler)
{
    if (!up_) {
        log("x2i kick while the mailbox is down: ignored");
        return;
    }
    const uint32_t size = layout_.x2i_size;
    const uint32_t ring = layout_.x2i_offset;
    const uint32_t tail = device_.mbox_reg(fn_, layout_.x2i_tail_reg);
    // The driver keeps 4 bytes spare, so its tail never exceeds size - 4
    // (amdxdna_mailbox.c mailbox_send_msg).
    if (tail % kAlign != 0 || tail > size - kX2iReserve) {
        ++stats_.bad_tail;
        log("x2i tail {:#x} outside the ring (size {:#x}) or unaligned: kick ignored", tail, size);
        device_.trace(fn_, fmt::format("mailbox bad x2i tail {:#x}", tail));
        return;
    }
    std::vector<uint8_t> payload;
    std::vector<uint8_t> response;
    // Every step consumes at least 16 bytes, wraps once, or stops; the budget
    // only guards against a bug here turning into a hang.
    unsigned budget = size / kAlign + 2;
    while (x2i_head_ != tail) {
        if (budget-- == 0) {
            resync("walk exceeded the ring size");
            break;
        }
        if (x2i_head_ >= size) { // a package ended exactly at the ring end
            x2i_head_ = 0;
            continue;
        }
        // Fetched per package, not once: a handler may change the function's state.
        const std::span<const uint8_t> sram = device_.sram(fn_);
        if (sram.size() < uint64_t{ring} + size) {
            log("the function's SRAM is gone or smaller than the x2i ring: walk stopped");
            break;
        }
        const uint32_t first = sram32(sram, ring + x2i_head_);
        if (first == kTombstone) {
            // Valid only when the data continues at 0, i.e. the tail is behind us.
            if (tail < x2i_head_) {
                x2i_head_ = 0;
                ++stats_.wraps_x2i;
                continue;
            }
            resync(fmt::format("wrap marker but tail {:#x} is not behind it", tail));
            break;
        }
        const uint32_t avail = tail > x2i_head_ ? tail - x2i_head_ : size - x2i_head_;
        if (avail < kHeaderSize) {
            resync(fmt::format("{} bytes left, less than a header", avail));
            break;
        }
        const uint32_t total = first;
        if (total % kAlign != 0 || total > avail - kHeaderSize) {
            resync(fmt::format("total_size {:#x} unaligned or beyond the {} bytes available", total,
                               avail - kHeaderSize));
            break;
        }
        const uint32_t sz_ver = sram32(sram, ring + x2i_head_ + kHeaderSzVer);
        const uint32_t id = sram32(sram, ring + x2i_head_ + kHeaderId);
        const uint32_t opcode = sram32(sram, ring + x2i_head_ + kHeaderOpcode);
        const uint32_t package = kHeaderSize + total;
        if (!id_valid(id)) {
            // No answer could be matched by the host (it checks the magic).
            log("request id {:#x} without magic {:#x}: dropped", id, kIdMagic);
            device_.trace(fn_, fmt::format("mailbox dropped id={:#x} op={:#x}: bad id", id, opcode));
            x2i_head_ += package;
            ++stats_.dropped;
            device_.set_mbox_reg(fn_, layout_.x2i_head_reg, x2i_head_);
            continue;
        }
        const uint32_t rsize = handler.response_size(opcode);
        if (rsize == 0 || rsize % kAlign != 0 || kHeaderSize + rsize + kAlign > layout_.i2x_size) {
            // A handler bug, not guest input: never write a malformed response.
            log("handler response size {} for op {:#x} unusable: dropped", rsize, opcode);
            x2i_head_ += package;
            ++stats_.dropped;
            device_.set_mbox_reg(fn_, layout_.x2i_head_reg, x2i_head_);
            continue;
        }
        const Fit fit = i2x_fit(kHeaderSize + rsize);
        if (fit == Fit::none) {
            // Leave the request where it is; the next kick retries.
            ++stats_.stalls;
            log("no room in the i2x ring for a {} byte response: request {:#x} left queued",
                kHeaderSize + rsize, id);
            break;
        }
        // Copy first: the ring is guest-writable memory.
        payload.assign(sram.begin() + ring + x2i_head_ + kHeaderSize, sram.begin() + ring + x2i_head_ + package);
        x2i_head_ += package;
        device_.set_mbox_reg(fn_, layout_.x2i_head_reg, x2i_head_);

        Request req;
        req.id = id;
        req.opcode = opcode;
        req.sz_ver = sz_ver;
        req.payload = payload;
        if (sz_ver_proto(sz_ver) != kMsgProtocolVersion)
            req.fault = RequestFault::bad_protocol_version;
        else if (sz_ver_body(sz_ver) != (total & kSzVerBodyMask))
            req.fault = RequestFault::size_mismatch;
        response.assign(rsize, 0);
        ++stats_.requests;
        if (!handler.handle(req, response)) {
            ++stats_.unanswered;
            continue;
        }
        i2x_write(id, opcode, response, fit);
    }
    device_.set_mbox_reg(fn_, layout_.x2i_head_reg, x2i_head_);
}

MailboxChannel::Fit MailboxChannel::i2x_fit(uint32_t n) const
{
    const uint32_t size = layout_.i2x_size;
    const uint32_t h_raw = device_.mbox_reg(fn_, layout_.i2x_head_reg);
    if (h_raw % kAlign != 0 || h_raw > size) {
        log("i2x head register {:#x} outside the ring: no response can be placed safely", h_raw);
        return Fit::none;
    }
    const uint32_t t = i2x_tail_;
    // The host reads head == tail as empty, and head == size as 0
    // (amdxdna_mailbox.c mailbox_get_msg).
    const bool empty = h_raw == t || (h_raw == size && t == 0);
    const uint32_t hn = h_raw == size ? 0 : h_raw;
    const uint32_t p = t == size ? 0 : t;
    if (empty) {
        if (p + n <= size)
            return Fit::at_tail;
        // Tombstone at p (= the host's head), package at 0; the new tail must
        // stay strictly below the head or the host sees an empty ring.
        return n < p ? Fit::wrap_with_tombstone : Fit::none;
    }
    if (hn < t) { // unread: [hn, t)
        if (t < size && t + n <= size)
            return Fit::at_tail;
        if (n < hn)
            return t == size ? Fit::wrap_at_end : Fit::wrap_with_tombstone;
        return Fit::none;
    }
    // Wrapped: unread [hn, size) and [0, t); t < size here.
    return t + n < hn ? Fit::at_tail : Fit::none;
}

void MailboxChannel::i2x_write(uint32_t id, uint32_t opcode, std::span<const uint8_t> payload, Fit fit)
{
    const uint32_t size = layout_.i2x_size;
    const uint32_t ring = layout_.i2x_offset;
    const auto sram = device_.sram(fn_);
    uint32_t pos = 0;
    switch (fit) {
    case Fit::at_tail: pos = i2x_tail_ == size ? 0 : i2x_tail_; break;
    case Fit::wrap_with_tombstone: {
        const uint32_t marker = kTombstone;
        std::memcpy(sram.data() + ring + i2x_tail_, &marker, sizeof(marker));
        ++stats_.wraps_i2x;
        pos = 0;
        break;
    }
    case Fit::wrap_at_end:
        ++stats_.wraps_i2x;
        pos = 0;
        break;
    case Fit::none: return;
    }
    MsgHeader h{};
    h.total_size = static_cast<uint32_t>(payload.size());
    h.sz_ver = make_sz_ver(h.total_size);
    h.id = id;
    h.opcode = opcode;
    std::memcpy(sram.data() + ring + pos, &h, sizeof(h));
    std::memcpy(sram.data() + ring + pos + kHeaderSize, payload.data(), payload.size());
    i2x_tail_ = pos + kHeaderSize + h.total_size;
    // Package first, then the tail, then the interrupt (docs/spec/driver-interface.md §4.5).
    device_.set_mbox_reg(fn_, layout_.i2x_tail_reg, i2x_tail_);
    ++stats_.responses;
    device_.raise_msix(fn_, layout_.i2x_msi_idx);
}

} // namespace aie4emu::fw
