// The host (driver) side of a management mailbox, modelled on the amdxdna
// algorithms (amdxdna_mailbox.c mailbox_send_msg / mailbox_get_msg, aie4_pci.c
// mailbox_info checks) so tests and the bench see the rings exactly as the
// driver would, including every condition that puts its channel in bad state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "firmware-stub/firmware.hpp"
#include "firmware-stub/mailbox_protocol.hpp"
#include "tests/unit/firmware/fake_device.hpp"

namespace aie4emu::fw::test {

// What the driver touches of one function.
class HostBus {
public:
    virtual ~HostBus() = default;
    virtual uint32_t bar0_read32(uint32_t offset) = 0;
    virtual void bar0_write32(uint32_t offset, uint32_t value) = 0;
    virtual void bar2_read(uint32_t offset, void* dst, size_t len) = 0;
    virtual void bar2_write(uint32_t offset, const void* src, size_t len) = 0;
    uint32_t bar2_read32(uint32_t offset)
    {
        uint32_t v = 0;
        bar2_read(offset, &v, 4);
        return v;
    }
    void bar2_write32(uint32_t offset, uint32_t v) { bar2_write(offset, &v, 4); }
};

// The fake device plus the firmware: a write to the x2i tail register kicks
// the firmware, as hw/npu3 does.
class FakeBus final : public HostBus {
public:
    FakeBus(FakeDevice& dev, npu3::FirmwarePort& fw, npu3::FunctionIndex fn) : dev_(dev), fw_(fw), fn_(fn) {}
    uint32_t bar0_read32(uint32_t offset) override { return dev_.mbox_reg(fn_, offset); }
    void bar0_write32(uint32_t offset, uint32_t value) override
    {
        dev_.host_write_reg(fn_, offset, value);
        if (offset == npu3::regs::kMboxX2iTail)
            fw_.mailbox_kick(fn_);
    }
    void bar2_read(uint32_t offset, void* dst, size_t len) override
    {
        std::memcpy(dst, dev_.sram(fn_).data() + offset, len);
    }
    void bar2_write(uint32_t offset, const void* src, size_t len) override
    {
        std::memcpy(dev_.sram(fn_).data() + offset, src, len);
    }

private:
    FakeDevice& dev_;
    npu3::FirmwarePort& fw_;
    npu3::FunctionIndex fn_;
};

struct Response {
    mbox::MsgHeader header{};
    std::vector<uint8_t> payload;
    [[nodiscard]] uint32_t status() const
    {
        uint32_t s = 0xFFFFFFFF;
        if (payload.size() >= 4)
            std::memcpy(&s, payload.data(), 4);
        return s;
    }
    template <typename T>
    [[nodiscard]] T as() const
    {
        T v{};
        std::memcpy(&v, payload.data(), std::min(sizeof(T), payload.size()));
        return v;
    }
};

class HostMailbox {
public:
    explicit HostMailbox(HostBus& bus) : bus_(bus) {}

    // aie4_fw_is_alive + aie4_read_mbox_info + aie_check_protocol +
    // xdna_mailbox_start_channel.
    bool open()
    {
        bus_.bar2_read(npu3::regs::kMboxInfoOffset, &info_, sizeof(info_));
        auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
        if (info_.valid != mbox::kInfoValid)
            return fail(fmt::format("fw_is_valid={}", info_.valid));
        if (info_.protocol_major != mbox::kProtocolMajor || info_.protocol_minor < mbox::kProtocolMinMinor)
            return fail(fmt::format("mailbox major.minor {}.{} is not supported", info_.protocol_major,
                                    info_.protocol_minor));
        if (!pow2(info_.x2i_buffer_size) || !pow2(info_.i2x_buffer_size))
            return fail("ring size not a power of 2");
        x2i_tail_ = bus_.bar0_read32(info_.x2i_tail_offset);
        i2x_head_ = bus_.bar0_read32(info_.i2x_head_offset);
        next_slot_ = 0;
        pending_.clear();
        bad_state_ = false;
        return true;
    }

    // mailbox_send_msg; nullopt when the driver would fail (-ETIMEDOUT on a
    // full ring, -EPIPE in bad state).
    std::optional<uint32_t> send(uint32_t opcode, std::span<const uint8_t> payload)
    {
        if (bad_state_)
            return std::nullopt;
        // xa_alloc_cyclic over 0..255: the next free slot; none free: -EBUSY.
        if (pending_.size() >= mbox::kIdSlots)
            return std::nullopt;
        while (pending_.count(mbox::make_id(next_slot_)) != 0)
            next_slot_ = (next_slot_ + 1) % mbox::kIdSlots;
        const uint32_t id = mbox::make_id(next_slot_);
        next_slot_ = (next_slot_ + 1) % mbox::kIdSlots;
        std::vector<uint8_t> pkg(mbox::kHeaderSize + payload.size());
        mbox::MsgHeader h{static_cast<uint32_t>(payload.size()), mbox::make_sz_ver(static_cast<uint32_t>(payload.size())),
                          id, opcode};
        std::memcpy(pkg.data(), &h, sizeof(h));
        if (!payload.empty())
            std::memcpy(pkg.data() + mbox::kHeaderSize, payload.data(), payload.size());
        if (!place(pkg))
            return std::nullopt; // the id is released; the cyclic cursor stays advanced
        pending_.insert(id);
        return id;
    }
    template <typename T>
    std::optional<uint32_t> send(msg::Opcode op, const T& req)
    {
        return send(static_cast<uint32_t>(op),
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&req), sizeof(T)));
    }

    // Place raw package bytes with the driver's wrap logic and ring the tail
    // (malformed-input tests). Returns false if the ring has no room.
    bool place(const std::vector<uint8_t>& pkg)
    {
        const uint32_t ring = info_.x2i_buffer_addr;
        const uint32_t usable = info_.x2i_buffer_size - sizeof(uint32_t);
        uint32_t head = bus_.bar0_read32(info_.x2i_head_offset);
        uint32_t tail = x2i_tail_;
        uint32_t tmp_tail = tail + static_cast<uint32_t>(pkg.size());
        if (tail >= head && tmp_tail > usable) {
            bus_.bar2_write32(ring + tail, mbox::kTombstone);
            tail = 0;
            tmp_tail = static_cast<uint32_t>(pkg.size());
        }
        if (tail < head && tmp_tail >= head)
            return false; // the driver polls 100 us for space, then -ETIMEDOUT
        bus_.bar2_write(ring + tail, pkg.data(), pkg.size());
        x2i_tail_ = tmp_tail;
        bus_.bar0_write32(info_.x2i_tail_offset, x2i_tail_);
        return true;
    }

    // mailbox_rx_worker: read responses until the ring is empty or the
    // channel goes bad.
    std::vector<Response> receive()
    {
        std::vector<Response> out;
        const uint32_t size = info_.i2x_buffer_size;
        const uint32_t ring = info_.i2x_buffer_addr;
        for (unsigned guard = 0; guard < 100000 && !bad_state_; ++guard) {
            const uint32_t tail = bus_.bar0_read32(info_.i2x_tail_offset);
            uint32_t head = i2x_head_;
            if (tail > size || tail % 4 != 0) {
                fail(fmt::format("Invalid tail {:#x}", tail));
                break;
            }
            if (head == tail)
                break;
            if (head == size)
                head = 0;
            const uint32_t first = bus_.bar2_read32(ring + head);
            if (first == mbox::kTombstone) {
                if (head < tail) {
                    fail(fmt::format("Tombstone, head {:#x} tail {:#x}", head, tail));
                    break;
                }
                set_i2x_head(0);
                continue;
            }
            if (first == 0 || first % 4 != 0) {
                fail(fmt::format("Invalid total size {:#x}", first));
                break;
            }
            const uint32_t msg_size = mbox::kHeaderSize + first;
            if (msg_size > size - head || msg_size > tail - head) {
                fail(fmt::format("Invalid message size {}, tail {}, head {}", msg_size, tail, head));
                break;
            }
            Response r;
            bus_.bar2_read(ring + head, &r.header, sizeof(r.header));
            r.payload.resize(first);
            bus_.bar2_read(ring + head + mbox::kHeaderSize, r.payload.data(), first);
            set_i2x_head(head + msg_size);
            if (!mbox::id_valid(r.header.id)) {
                fail(fmt::format("Bad message ID {:#x}", r.header.id));
                break;
            }
            if (pending_.erase(r.header.id) == 0) {
                fail(fmt::format("Cannot find msg {:#x}", r.header.id));
                break;
            }
            out.push_back(std::move(r));
        }
        return out;
    }

    // A raw package the test placed will be answered with `id`.
    void expect(uint32_t id) { pending_.insert(id); }
    [[nodiscard]] bool bad_state() const { return bad_state_; }
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] const mbox::MailboxInfo& info() const { return info_; }
    [[nodiscard]] uint32_t x2i_tail() const { return x2i_tail_; }
    [[nodiscard]] uint32_t i2x_head() const { return i2x_head_; }
    [[nodiscard]] size_t pending() const { return pending_.size(); }
    // Tests that write raw packages must move the private tail like the driver.
    void set_x2i_tail(uint32_t t) { x2i_tail_ = t; }
    void write_x2i_tail_reg(uint32_t t) { bus_.bar0_write32(info_.x2i_tail_offset, t); }
    HostBus& bus() { return bus_; }

private:
    void set_i2x_head(uint32_t h)
    {
        i2x_head_ = h;
        bus_.bar0_write32(info_.i2x_head_offset, h);
    }
    bool fail(std::string why)
    {
        bad_state_ = true;
        error_ = std::move(why);
        return false;
    }

    HostBus& bus_;
    mbox::MailboxInfo info_{};
    uint32_t x2i_tail_ = 0;
    uint32_t i2x_head_ = 0;
    uint32_t next_slot_ = 0;
    std::set<uint32_t> pending_;
    bool bad_state_ = false;
    std::string error_;
};

} // namespace aie4emu::fw::test
