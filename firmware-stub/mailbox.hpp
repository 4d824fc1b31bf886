// One management mailbox channel of one PCI function, firmware side: it
// publishes mailbox_info, consumes requests from the x2i ring and produces
// responses on the i2x ring (docs/spec/driver-interface.md §4). The channel only moves
// packages; what a message means is the RequestHandler's business.
//
// Everything here is synchronous: service() walks the ring once and returns.
// The firmware decides when to call it (deferred, as real firmware answers
// asynchronously).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "hw/npu3/firmware_port.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::fw {

// Where the pointer registers (BAR0) and rings (BAR2) of a function live.
struct RingLayout {
    uint32_t x2i_tail_reg = 0;
    uint32_t x2i_head_reg = 0;
    uint32_t i2x_tail_reg = 0;
    uint32_t i2x_head_reg = 0;
    uint32_t x2i_offset = 0;
    uint32_t x2i_size = 0;
    uint32_t i2x_offset = 0;
    uint32_t i2x_size = 0;
    uint32_t i2x_msi_idx = 0;
    // The device's layout (hw/npu3/npu3_regs.hpp) with vector mbox::kI2xMsiIdx.
    [[nodiscard]] static RingLayout standard();
};

// What is wrong with a request whose framing is intact (so it can be answered).
enum class RequestFault { none, bad_protocol_version, size_mismatch };

struct Request {
    uint32_t id = 0;
    uint32_t opcode = 0;
    uint32_t sz_ver = 0;
    std::span<const uint8_t> payload;   // total_size bytes, valid during handle()
    RequestFault fault = RequestFault::none;
};

class RequestHandler {
public:
    virtual ~RequestHandler() = default;
    // Payload bytes of the response to `opcode`; asked before handle() so the
    // channel can first make sure the i2x ring has room.
    [[nodiscard]] virtual uint32_t response_size(uint32_t opcode) const = 0;
    // Fill `response` (response_size(opcode) bytes, zeroed; first dword is the
    // status). Called in ring order, one request at a time. False: the request
    // is consumed and never answered (an injected fault, faults.hpp).
    virtual bool handle(const Request& request, std::span<uint8_t> response) = 0;
};

struct ChannelStats {
    uint64_t requests = 0;      // handed to the handler
    uint64_t responses = 0;     // written to the i2x ring
    uint64_t dropped = 0;       // consumed without an answer (bad id)
    uint64_t unanswered = 0;    // consumed, the handler chose not to answer (fault injection)
    uint64_t resyncs = 0;       // framing lost: head jumped to tail
    uint64_t bad_tail = 0;      // kicks with a tail outside the ring
    uint64_t stalls = 0;        // stopped because the i2x ring had no room
    uint64_t wraps_x2i = 0;     // tombstones consumed
    uint64_t wraps_i2x = 0;     // tombstones written (or end-of-ring wraps)
};

class MailboxChannel {
public:
    MailboxChannel(npu3::DeviceServices& device, npu3::FunctionIndex fn, RingLayout layout = RingLayout::standard());

    // Reset both rings (registers and our positions) and publish mailbox_info
    // with valid = 1. False (channel stays down, logged) if the function's
    // SRAM cannot hold mailbox_info and the rings or the layout is unusable.
    bool start();
    // Clear mailbox_info (valid = 0) and the pointer registers; kicks are
    // then ignored.
    void stop();
    [[nodiscard]] bool up() const { return up_; }

    // Consume the requests between our x2i head and the host's x2i tail,
    // answering each through `handler`. Never loops more than the ring can
    // hold; malformed input is logged and skipped or resynchronised.
    void service(RequestHandler& handler);

    [[nodiscard]] const ChannelStats& stats() const { return stats_; }
    [[nodiscard]] const RingLayout& layout() const { return layout_; }
    [[nodiscard]] uint32_t x2i_head() const { return x2i_head_; }
    [[nodiscard]] uint32_t i2x_tail() const { return i2x_tail_; }

private:
    enum class Fit { none, at_tail, wrap_with_tombstone, wrap_at_end };
    [[nodiscard]] Fit i2x_fit(uint32_t package_bytes) const;
    void i2x_write(uint32_t id, uint32_t opcode, std::span<const uint8_t> payload, Fit fit);
    [[nodiscard]] static uint32_t sram32(std::span<const uint8_t> sram, uint32_t offset);
    void resync(const std::string& why);
    // Formats only when the mailbox log category is on: a guest that keeps hitting an error
    // path does not make the emulator format messages nobody reads.
    template <typename... Args>
    void log(fmt::format_string<Args...> format, Args&&... args) const
    {
        AIE4_LOG(mailbox, name_, 0, format, std::forward<Args>(args)...);
    }

    npu3::DeviceServices& device_;
    npu3::FunctionIndex fn_;
    RingLayout layout_;
    std::string name_;
    bool up_ = false;
    uint32_t x2i_head_ = 0;   // our read position in the x2i ring
    uint32_t i2x_tail_ = 0;   // our write position in the i2x ring (may equal i2x_size)
    ChannelStats stats_;
};

} // namespace aie4emu::fw
