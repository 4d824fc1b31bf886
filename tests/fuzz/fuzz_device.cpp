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
// Built two ways (as fuzz_vfio_user.cpp): libFuzzer with clang, otherwise a
// standalone main: `fuzz-device FILE...` replays, `fuzz-device --random N
// [SEED]` runs N pseudo-random inputs.
#include "cli/number.hpp"
#include "firmware-stub/cert/cert.hpp"
#include "firmware-stub/firmware.hpp"
#include "firmware-stub/image_format.hpp"
#include "firmware-stub/psp_protocol.hpp"
#include "hw/aie/array.hpp"
#include "hw/npu3/device.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/pcie/log.hpp"
#include "hw/sim/log.hpp"
#include "tests/unit/firmware/npu3_host.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>

namespace {

using namespace aie4emu;
using namespace aie4emu::fw;
using namespace aie4emu::fw::test;
namespace regs = aie4emu::npu3::regs;

constexpr uint64_t kFwAddr = FakeDevice::kGuestBase + 0x10000;
constexpr uint64_t kCertAddr = FakeDevice::kGuestBase + 0x80000;
constexpr size_t kRecordSize = 12;

struct Record {
    uint8_t op, a;
    uint16_t b;
    uint32_t c, d;
};

Record record_at(const uint8_t* p) {
    Record r{};
    r.op = p[0];
    r.a = p[1];
    std::memcpy(&r.b, p + 2, 2);
    std::memcpy(&r.c, p + 4, 4);
    std::memcpy(&r.d, p + 8, 4);
    return r;
}

[[noreturn]] void invariant_broken(const char* what) {
    std::fprintf(stderr, "fuzz-device: INVARIANT BROKEN: %s\n", what);
    std::abort();
}

uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

// The device under test, booted, with VF1 holding a partition and a context.
struct Rig {
    aie::Array array;
    Firmware firmware;
    npu3::Device device;
    VectorDma pf_mem, vf0_mem, vf1_mem;   // each function's own VM memory
    CountingSink pf_irq, vf0_irq, vf1_irq;
    std::unique_ptr<FunctionBus> vf0_bus, vf1_bus;
    std::unique_ptr<HostMailbox> vf0_mbox, vf1_mbox;
    uint32_t vf1_context = 0;
    uint32_t vf1_doorbell = 0;

    static npu3::DeviceConfig config() {
        npu3::DeviceConfig c;
        c.total_vfs = 2;
        return c;
    }

    Rig() : firmware(FirmwareConfig{}, std::make_unique<cert::Cert>(cert::CertConfig{})),
            device(config(), firmware, &array) {
        enable_function(device.pf(), &pf_mem, &pf_irq);
        const auto npu = image::build_image(image::ImageKind::npu, 1, 4096);
        const auto cert = image::build_image(image::ImageKind::cert, 1, 4096);
        pf_mem.mem.put(kFwAddr, npu);
        pf_mem.mem.put(kCertAddr, cert);
        if (!boot_pf(device.pf(), kFwAddr, align_up(static_cast<uint32_t>(npu.size()), psp::kFwAlign), kCertAddr,
                     align_up(static_cast<uint32_t>(cert.size()), psp::kCertAlign)))
            invariant_broken("PF boot failed before the input ran");
        if (device.enable_vfs(2) != 0 || !device.vf(0) || !device.vf(1))
            invariant_broken("enabling 2 VFs failed");
        enable_function(*device.vf(0), &vf0_mem, &vf0_irq);
        enable_function(*device.vf(1), &vf1_mem, &vf1_irq);
        vf0_bus = std::make_unique<FunctionBus>(*device.vf(0));
        vf1_bus = std::make_unique<FunctionBus>(*device.vf(1));
        vf0_mbox = std::make_unique<HostMailbox>(*vf0_bus);
        vf1_mbox = std::make_unique<HostMailbox>(*vf1_bus);
        if (!vf1_mbox->open())
            invariant_broken("VF1 mailbox did not open");
        auto part = call(*vf1_mbox, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
        if (part.size() < sizeof(msg::CreatePartitionResp))
            invariant_broken("VF1 CREATE_PARTITION failed");
        msg::CreatePartitionResp pr{};
        std::memcpy(&pr, part.data(), sizeof(pr));
        msg::CreateHwContextReq req{pr.partition_id, 12, 0, 0x200000, msg::kPasidValid | msg::kPasidNone, 0};
        auto ctx = call(*vf1_mbox, msg::Opcode::create_hw_context, req);
        if (ctx.size() < sizeof(msg::CreateHwContextResp))
            invariant_broken("VF1 CREATE_HW_CONTEXT failed");
        msg::CreateHwContextResp cr{};
        std::memcpy(&cr, ctx.data(), sizeof(cr));
        vf1_context = cr.hw_context_id;
        vf1_doorbell = cr.doorbell_offset;
    }

    // One request/response on `hm`; the payload of a SUCCESS answer, empty otherwise.
    template <typename T>
    std::vector<uint8_t> call(HostMailbox& hm, msg::Opcode op, const T& req) {
        const auto id = hm.send(op, req);
        if (!id)
            return {};
        device.run_deferred();
        for (auto& r : hm.receive())
            if (r.header.id == *id && r.status() == 0)
                return r.payload;
        return {};
    }

    // A hostile guest on VF0.
    void apply(const Record& r) {
        pcie::Function* vf0 = device.vf(0);
        if (!vf0)
            invariant_broken("VF0 vanished");   // only the host control plane removes VFs
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
            if (!vf0_mbox->open())
                break;
            std::vector<uint8_t> payload(r.b % 72);
            for (size_t i = 0; i < payload.size(); ++i)
                payload[i] = static_cast<uint8_t>(r.d >> (8 * (i % 4)) ^ i);
            const uint32_t opcode = (r.a & 0x80) ? r.c : static_cast<uint32_t>(msg::kOpcodes[r.c % std::size(msg::kOpcodes)].opcode);
            (void)vf0_mbox->send(opcode, payload);
            device.run_deferred();
            (void)vf0_mbox->receive();
            break;
        }
        case 5: // raw bytes into the x2i ring, then a tail kick
            vf0_bus->bar2_write32(regs::kX2iRingOffset + (r.c % regs::kX2iRingSize & ~3u), r.d);
            if (r.a & 1)
                vf0_bus->bar0_write32(regs::kMboxX2iTail, r.b);
            break;
        case 6: // ring VF0's doorbell pages, valid or not
            vf0->bar_write(regs::kDoorbellBar, regs::doorbell_bar_offset(r.b % (regs::kVfDoorbellPages + 2)) + (r.c & 0xffc), 4, r.d);
            break;
        case 7: // a well-formed context create/destroy with hostile fields
            if (vf0_mbox->open()) {
                if (r.a & 1)
                    (void)call(*vf0_mbox, msg::Opcode::create_hw_context,
                               msg::CreateHwContextReq{r.c, r.b, 0, r.d, r.c ^ r.d, r.a});
                else
                    (void)call(*vf0_mbox, msg::Opcode::create_partition, msg::CreatePartitionReq{r.c, r.d});
            }
            break;
        case 8: { // VF0's own memory: queue headers, slots, control code it may point CERT at
            const uint64_t addr = FakeDevice::kGuestBase + (r.c % FakeDevice::kGuestSize & ~3ull);
            (void)vf0_mem.write(addr, &r.d, 4);
            if (r.a & 1) // and a plausible XRT queue header at the start of a page
                (void)vf0_mem.write(addr & ~0xfffull, &r.b, 2);
            break;
        }
        default:
            device.run_deferred();
            break;
        }
    }

    void check_bystander() {
        device.run_deferred();
        if (!device.vf(1))
            invariant_broken("VF1 vanished");
        VfResources* vf1 = firmware.vf(1);
        if (!vf1 || vf1->contexts().count(vf1_context) == 0)
            invariant_broken("VF1's hardware context was lost");
        if (vf1->contexts().at(vf1_context).state != ContextState::active)
            invariant_broken("VF1's hardware context was failed by VF0's input");
        if (!vf1_mbox->open())
            invariant_broken("VF1's mailbox no longer opens");
        if (call(*vf1_mbox, msg::Opcode::aie_tile_info, msg::TileInfoReq{0}).empty())
            invariant_broken("VF1 no longer answers AIE_TILE_INFO");
        auto& cert = dynamic_cast<cert::Cert&>(firmware.command_processor());
        const uint64_t before = cert.counters().get("cert.doorbells");
        device.vf(1)->bar_write(regs::kDoorbellBar, vf1_doorbell, 4, 1);
        device.run_deferred();
        if (cert.counters().get("cert.doorbells") != before + 1)
            invariant_broken("VF1's doorbell no longer reaches the command processor");
    }
};

uint64_t g_inputs = 0;

void run_one(const uint8_t* data, size_t size) {
    Rig rig;
    for (size_t off = 0; off + kRecordSize <= size; off += kRecordSize)
        rig.apply(record_at(data + off));
    rig.check_bystander();
    ++g_inputs;
}

void quiet_logs() {
    // Expected errors are logged by design; keep the fuzzer's output readable.
    aie4emu::pcie::set_log_sink([](std::string_view, std::string_view) {});
    aie4emu::log::set_sink([](std::string_view) {});
}

} // namespace

#ifdef AIE4_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static bool once = (quiet_logs(), true);
    (void)once;
    run_one(data, size);
    return 0;
}
#else
int main(int argc, char** argv) {
    quiet_logs();
    if (argc >= 3 && std::string(argv[1]) == "--random") {
        const auto n = aie4emu::cli::parse_number<unsigned>(argv[2]);
        const auto seed = argc >= 4 ? aie4emu::cli::parse_number<unsigned>(argv[3]) : std::optional<unsigned>(1);
        if (!n || !seed) {
            std::fprintf(stderr, "fuzz-device: N and SEED must be numbers (decimal or 0x hex)\n");
            return 2;
        }
        std::mt19937 rng(*seed);
        for (unsigned i = 0; i < *n; ++i) {
            std::vector<uint8_t> input((rng() % 64) * kRecordSize);
            for (auto& b : input)
                b = static_cast<uint8_t>(rng());
            run_one(input.data(), input.size());
        }
        std::printf("fuzz-device: %llu random inputs (seed %u), VF1 undisturbed in every one\n",
                    static_cast<unsigned long long>(g_inputs), *seed);
        return 0;
    }
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz-device FILE... | fuzz-device --random N [SEED]\n");
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        run_one(bytes.data(), bytes.size());
    }
    std::printf("fuzz-device: %llu inputs replayed\n", static_cast<unsigned long long>(g_inputs));
    return 0;
}
#endif
