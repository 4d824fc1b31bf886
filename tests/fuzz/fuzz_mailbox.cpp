// Fuzz target "mailbox": management mailbox messages on a booted device (device_rig.hpp), from
// VF0's guest and from the PF's. The device is built and booted once; between inputs VF0 is
// function-level reset (and the PF too when the input used it), so each input starts from the
// same firmware state at about the cost of the messages themselves.
//
// Input: records [u8 sel][u8 len][len bytes of payload], until the input ends.
//   sel & 0x0F  0..8  a message with opcode msg::kOpcodes[sel] and the payload as its body
//               9     a message whose opcode is the payload's first 4 bytes (any value), body the rest
//               10    raw bytes into the x2i ring at payload[0]*4, then the x2i tail register set
//                     to payload[1..2] (framing the firmware must reject without trusting it)
//               11    function-level reset of VF0 mid-input (and the mailbox reopened)
//               12    VF0's context doorbell written with payload[0..3]
//               else  run the device's deferred work
//   sel & 0x10  the body's first u32 is replaced by the last partition id (CREATE_HW_CONTEXT,
//               DESTROY_PARTITION) or the last hardware-context id (DESTROY_HW_CONTEXT) this
//               input got, so the fuzzer reaches the handlers behind a valid id
//   sel & 0x20  responses are left in the i2x ring (fills it)
//   sel & 0x40  sent by the PF's guest instead of VF0's
// Afterwards VF1 must be undisturbed (check_bystander). A PF input may legitimately take the
// VFs away (DESTROY_VFS, CREATE_VFS): restore_after_pf() then puts two VFs and VF1's context
// back before the check.
#include "tests/fuzz/device_rig.hpp"

#include <random>
#include <string>

namespace {

using namespace aie4emu;
using namespace aie4emu::fuzz;
namespace regs = aie4emu::npu3::regs;

std::unique_ptr<DeviceRig> g_rig;
uint64_t g_inputs = 0, g_messages = 0, g_answered = 0, g_rebuilds = 0;

constexpr unsigned kOpcodeCount = static_cast<unsigned>(std::size(msg::kOpcodes));
static_assert(kOpcodeCount == 9, "the record encoding above numbers the opcodes 0..8");

struct InputState {
    uint32_t partition_id = 0;
    uint32_t context_id = 0;
    uint32_t doorbell = 0;
    bool pf_used = false;
};

void send_message(DeviceRig& rig, InputState& st, uint8_t sel, uint32_t opcode, std::vector<uint8_t> body)
{
    const bool pf = (sel & 0x40) != 0;
    HostMailbox& hm = pf ? *rig.pf_mbox : *rig.vf0_mbox;
    if (pf)
        st.pf_used = true;
    if ((sel & 0x10) && body.size() >= 4) {
        const uint32_t id = opcode == static_cast<uint32_t>(msg::Opcode::destroy_hw_context) ? st.context_id
                                                                                            : st.partition_id;
        std::memcpy(body.data(), &id, 4);
    }
    if (!hm.open())
        return;
    const auto id = hm.send(opcode, body);
    if (!id)
        return;
    ++g_messages;
    rig.device.run_deferred();
    if (sel & 0x20)
        return;
    for (auto& r : hm.receive()) {
        if (r.header.id != *id || r.status() != 0)
            continue;
        ++g_answered;
        if (opcode == static_cast<uint32_t>(msg::Opcode::create_partition) && r.payload.size() >= 8)
            std::memcpy(&st.partition_id, r.payload.data() + 4, 4);
        if (opcode == static_cast<uint32_t>(msg::Opcode::create_hw_context) && r.payload.size() >= 12) {
            std::memcpy(&st.context_id, r.payload.data() + 4, 4);
            std::memcpy(&st.doorbell, r.payload.data() + 8, 4);
        }
    }
}

void apply(DeviceRig& rig, InputState& st, uint8_t sel, const uint8_t* p, size_t len)
{
    const unsigned kind = sel & 0x0F;
    if (kind < kOpcodeCount) {
        send_message(rig, st, sel, static_cast<uint32_t>(msg::kOpcodes[kind].opcode), std::vector<uint8_t>(p, p + len));
    } else if (kind == 9) {
        uint32_t opcode = 0;
        std::memcpy(&opcode, p, std::min<size_t>(len, 4));
        send_message(rig, st, sel, opcode, std::vector<uint8_t>(p + std::min<size_t>(len, 4), p + len));
    } else if (kind == 10) {
        HostBus& bus = (sel & 0x40) ? *rig.pf_bus : *rig.vf0_bus;
        st.pf_used |= (sel & 0x40) != 0;
        const uint32_t at = len > 0 ? p[0] * 4u : 0;
        for (size_t i = 3; i + 4 <= len; i += 4) {
            uint32_t w;
            std::memcpy(&w, p + i, 4);
            bus.bar2_write(regs::kX2iRingOffset + (at + static_cast<uint32_t>(i - 3)) % regs::kX2iRingSize, &w, 4);
        }
        uint16_t tail = 0;
        if (len >= 3)
            std::memcpy(&tail, p + 1, 2);
        bus.bar0_write32(regs::kMboxX2iTail, tail);
        rig.device.run_deferred();
    } else if (kind == 11) {
        rig.reset_vf0();
        st = InputState{.pf_used = st.pf_used};
    } else if (kind == 12) {
        uint32_t v = 0;
        std::memcpy(&v, p, std::min<size_t>(len, 4));
        if (pcie::Function* vf0 = rig.device.vf(0))
            vf0->bar_write(regs::kDoorbellBar, st.doorbell, 4, v);
        rig.device.run_deferred();
    } else {
        rig.device.run_deferred();
    }
}

} // namespace

const char* fuzz_name() { return "mailbox"; }

void fuzz_init()
{
    quiet_logs();
    g_rig = std::make_unique<DeviceRig>("mailbox");
}

void fuzz_one(const uint8_t* data, size_t size)
{
    DeviceRig& rig = *g_rig;
    InputState st;
    size_t pos = 0;
    while (pos + 2 <= size) {
        const uint8_t sel = data[pos];
        const size_t len = std::min<size_t>(data[pos + 1], size - pos - 2);
        apply(rig, st, sel, data + pos + 2, len);
        pos += 2 + len;
    }
    ++g_inputs;
    if (st.pf_used && !rig.restore_after_pf()) {
        ++g_rebuilds;
        g_rig.reset();
        g_rig = std::make_unique<DeviceRig>("mailbox");
        return;
    }
    rig.check_bystander();
    rig.reset_vf0();
}

std::vector<uint8_t> fuzz_random_input(std::mt19937& rng)
{
    std::vector<uint8_t> in;
    const unsigned records = 1 + rng() % 12;
    for (unsigned r = 0; r < records; ++r) {
        // Mostly VF messages with well-sized bodies and valid ids; sometimes anything.
        uint8_t sel = static_cast<uint8_t>(rng() % 14);
        if (rng() % 2)
            sel |= 0x10;
        if (rng() % 8 == 0)
            sel |= 0x20;
        if (rng() % 10 == 0)
            sel |= 0x40;
        size_t len = sel % 16 < kOpcodeCount ? msg::kOpcodes[sel % 16].request_size : 4 + rng() % 24;
        if (rng() % 6 == 0)
            len = rng() % 256;
        in.push_back(sel);
        in.push_back(static_cast<uint8_t>(len));
        for (size_t i = 0; i < len; ++i)
            in.push_back(static_cast<uint8_t>(rng() % 3 == 0 ? rng() : rng() % 4));
    }
    return in;
}

std::string fuzz_summary()
{
    return std::to_string(g_inputs) + " inputs, " + std::to_string(g_messages) + " messages sent, " +
           std::to_string(g_answered) + " answered SUCCESS, " + std::to_string(g_rebuilds) +
           " rig rebuilds, VF1 undisturbed after every input";
}

#include "tests/fuzz/fuzz_main.hpp"
