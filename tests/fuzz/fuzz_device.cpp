// Fuzz driver for everything a VF's guest can reach without sockets: config
// space, every BAR (mailbox registers, SRAM rings, doorbell pages, MSI-X
// table), well-formed and malformed mailbox messages, function resets, and
// doorbells that make CERT read whatever queue VF0's memory holds.
//
// Per input: a real npu3::Device with its Firmware and Array, the PF booted
// through its registers, two VFs enabled. VF1 is a bystander: it gets a
// partition and a hardware context before the input runs. The input then
// drives VF0 only, as a hostile guest would. Afterwards:
//   - nothing crashed (the sanitizer build checks memory errors),
//   - VF1 still answers AIE_TILE_INFO with SUCCESS on its mailbox,
//   - VF1's context still exists and its doorbell still reaches the
//     command processor,
// i.e. one VF's guest cannot disturb another's (docs/architecture.md "SR-IOV").
//
// Input records: [u8 op][u8 a][u16 b][u32 c][u32 d], little-endian, 12 bytes.
//
// A plain driver only (fuzz_main.hpp without libFuzzer): a fresh device per input costs about
// 250 inputs' worth of the fast targets, which fuzz these surfaces one layer at a time.
#include "tests/fuzz/device_rig.hpp"

#include <random>
#include <string>
#include <vector>

namespace {

using namespace aie4emu;
using namespace aie4emu::fuzz;
namespace regs = aie4emu::npu3::regs;

constexpr size_t kRecordSize = 12;

struct Record {
    uint8_t op, a;
    uint16_t b;
    uint32_t c, d;
};

Record record_at(const uint8_t* p)
{
    Record r{};
    r.op = p[0];
    r.a = p[1];
    std::memcpy(&r.b, p + 2, 2);
    std::memcpy(&r.c, p + 4, 4);
    std::memcpy(&r.d, p + 8, 4);
    return r;
}

// A hostile guest on VF0.
void apply(DeviceRig& rig, const Record& r)
{
    pcie::Function* vf0 = rig.device.vf(0);
    if (!vf0)
        rig.broken("VF0 vanished");   // only the host control plane removes VFs
    static constexpr unsigned kSizes[] = {1, 2, 4, 8};
    const unsigned size = kSizes[r.a & 3];
    const unsigned bar = (r.a >> 2) % 6;
    switch (r.op % 10) {
    case 0: // MMIO write anywhere in a BAR (and a little past it)
        vf0->bar_write(bar, r.c % (vf0->bar_info(bar).size + 64), size, r.d | uint64_t{r.b} << 32);
        break;
    case 1:
        (void)vf0->bar_read(bar, r.c % (vf0->bar_info(bar).size + 64), size);
        break;
    case 2: // config space, including FLR, MSI-X enable, BAR moves
        vf0->config_write(r.c % 4096, size > 4 ? 4 : size, r.d);
        break;
    case 3:
        (void)vf0->config_read(r.c % 4096, size > 4 ? 4 : size);
        break;
    case 4: { // a message with any opcode and payload
        if (!rig.vf0_mbox->open())
            break;
        std::vector<uint8_t> payload(r.b % 72);
        for (size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<uint8_t>(r.d >> (8 * (i % 4)) ^ i);
        const uint32_t opcode = (r.a & 0x80) ? r.c : static_cast<uint32_t>(msg::kOpcodes[r.c % std::size(msg::kOpcodes)].opcode);
        (void)rig.vf0_mbox->send(opcode, payload);
        rig.device.run_deferred();
        (void)rig.vf0_mbox->receive();
        break;
    }
    case 5: // raw bytes into the x2i ring, then a tail kick
        rig.vf0_bus->bar2_write32(regs::kX2iRingOffset + (r.c % regs::kX2iRingSize & ~3u), r.d);
        if (r.a & 1)
            rig.vf0_bus->bar0_write32(regs::kMboxX2iTail, r.b);
        break;
    case 6: // ring VF0's doorbell pages, valid or not
        vf0->bar_write(regs::kDoorbellBar, regs::doorbell_bar_offset(r.b % (regs::kVfDoorbellPages + 2)) + (r.c & 0xffc), 4, r.d);
        break;
    case 7: // a well-formed context create/destroy with hostile fields
        if (rig.vf0_mbox->open()) {
            if (r.a & 1)
                (void)rig.call(*rig.vf0_mbox, msg::Opcode::create_hw_context,
                           msg::CreateHwContextReq{r.c, r.b, 0, r.d, r.c ^ r.d, r.a});
            else
                (void)rig.call(*rig.vf0_mbox, msg::Opcode::create_partition, msg::CreatePartitionReq{r.c, r.d});
        }
        break;
    case 8: { // VF0's own memory: queue headers, slots, control code it may point CERT at
        const uint64_t addr = FakeDevice::kGuestBase + (r.c % FakeDevice::kGuestSize & ~3ull);
        (void)rig.vf0_mem.write(addr, &r.d, 4);
        if (r.a & 1) // and a plausible XRT queue header at the start of a page
            (void)rig.vf0_mem.write(addr & ~0xfffull, &r.b, 2);
        break;
    }
    default:
        rig.device.run_deferred();
        break;
    }
}

uint64_t g_inputs = 0;

} // namespace

const char* fuzz_name() { return "device"; }

void fuzz_init() { quiet_logs(); }

void fuzz_one(const uint8_t* data, size_t size)
{
    DeviceRig rig("device");
    for (size_t off = 0; off + kRecordSize <= size; off += kRecordSize)
        apply(rig, record_at(data + off));
    rig.check_bystander();
    ++g_inputs;
}

std::vector<uint8_t> fuzz_random_input(std::mt19937& rng)
{
    std::vector<uint8_t> input((rng() % 64) * kRecordSize);
    for (auto& b : input)
        b = static_cast<uint8_t>(rng());
    return input;
}

std::string fuzz_summary() { return std::to_string(g_inputs) + " inputs, VF1 undisturbed in every one"; }

#include "tests/fuzz/fuzz_main.hpp"
