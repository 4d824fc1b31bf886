// A booted AIE4 device for the device-level fuzzers (fuzz_device.cpp, fuzz_mailbox.cpp): a real
// npu3::Device with its Firmware (CERT as command processor) and tile Array, the PF booted
// through its registers (SMU, PSP), two VFs enabled. VF1 is a bystander: it holds a partition
// and a hardware context before any input runs. Inputs drive VF0 (and, in the mailbox target,
// the PF) as a hostile guest would; check_bystander() then asserts that VF1 is undisturbed:
// its context is alive and active, its mailbox answers AIE_TILE_INFO, its doorbell still
// reaches CERT (one VF's guest cannot disturb another's, docs/architecture.md).
//
// Building a Rig costs about as much as 250 inputs (three 8 MiB guest memories, a 12-column
// array, the boot), so the fast targets build one and put VF0 back between inputs with
// reset_vf0(): a function-level reset, the path a guest's FLR or a vfio-user DEVICE_RESET takes,
// which drops VF0's partitions and contexts in the firmware, then the guest's re-enable.
#pragma once

#include "firmware-stub/cert/cert.hpp"
#include "firmware-stub/cert/queue_facts.hpp"
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
#include <cstring>
#include <memory>
#include <vector>

namespace aie4emu::fuzz {

using namespace aie4emu::fw;
using namespace aie4emu::fw::test;

[[noreturn]] inline void invariant_broken(const char* target, const char* what)
{
    std::fprintf(stderr, "fuzz-%s: INVARIANT BROKEN: %s\n", target, what);
    std::abort();
}

inline void quiet_logs()
{
    // Expected errors are logged by design; keep the fuzzer's output readable.
    aie4emu::pcie::set_log_sink([](std::string_view, std::string_view) {});
    aie4emu::log::set_sink([](std::string_view) {});
}

// The host side of one function for the rig's mailboxes: registers (BAR0) through the
// function's MMIO path, as the driver writes them (the x2i tail write is what kicks the
// firmware), but the mailbox SRAM (BAR2) copied directly. BAR2 is plain memory behind the
// function; reading a 64-byte mailbox_info or a response word by word through the BAR dispatch
// was a third of the mailbox target's time, and that dispatch is the vfio_user and device
// targets' subject, not this one's.
class RigBus final : public HostBus {
public:
    RigBus(npu3::Device& device, npu3::FunctionIndex index, pcie::Function& fn)
        : device_(device), index_(index), mmio_(fn)
    {
    }
    uint32_t bar0_read32(uint32_t off) override { return mmio_.bar0_read32(off); }
    void bar0_write32(uint32_t off, uint32_t v) override { mmio_.bar0_write32(off, v); }
    void bar2_read(uint32_t off, void* dst, size_t len) override
    {
        const auto sram = device_.sram(index_);
        if (uint64_t{off} + len <= sram.size())
            std::memcpy(dst, sram.data() + off, len);
        else
            mmio_.bar2_read(off, dst, len);
    }
    void bar2_write(uint32_t off, const void* src, size_t len) override
    {
        const auto sram = device_.sram(index_);
        if (uint64_t{off} + len <= sram.size())
            std::memcpy(sram.data() + off, src, len);
        else
            mmio_.bar2_write(off, src, len);
    }

private:
    npu3::Device& device_;
    npu3::FunctionIndex index_;
    FunctionBus mmio_;
};

struct DeviceRig {
    static constexpr uint64_t kFwAddr = FakeDevice::kGuestBase + 0x10000;
    static constexpr uint64_t kCertAddr = FakeDevice::kGuestBase + 0x80000;
    static constexpr uint64_t kVf1Queue = 0x200000;   // in VF1's memory

    const char* target;
    aie::Array array;
    Firmware firmware;
    npu3::Device device;
    VectorDma pf_mem, vf0_mem, vf1_mem;   // each function's own VM memory
    CountingSink pf_irq, vf0_irq, vf1_irq;
    std::unique_ptr<RigBus> pf_bus, vf0_bus, vf1_bus;
    std::unique_ptr<HostMailbox> pf_mbox, vf0_mbox, vf1_mbox;
    uint32_t vf1_context = 0;
    uint32_t vf1_doorbell = 0;

    static npu3::DeviceConfig config()
    {
        npu3::DeviceConfig c;
        c.total_vfs = 2;
        return c;
    }
    static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

    explicit DeviceRig(const char* target_name)
        : target(target_name), firmware(FirmwareConfig{}, std::make_unique<cert::Cert>(cert::CertConfig{})),
          device(config(), firmware, &array)
    {
        enable_function(device.pf(), &pf_mem, &pf_irq);
        const auto npu = image::build_image(image::ImageKind::npu, 1, 4096);
        const auto cert = image::build_image(image::ImageKind::cert, 1, 4096);
        pf_mem.mem.put(kFwAddr, npu);
        pf_mem.mem.put(kCertAddr, cert);
        if (!boot_pf(device.pf(), kFwAddr, align_up(static_cast<uint32_t>(npu.size()), psp::kFwAlign), kCertAddr,
                     align_up(static_cast<uint32_t>(cert.size()), psp::kCertAlign)))
            broken("PF boot failed before the input ran");
        if (device.enable_vfs(2) != 0 || !device.vf(0) || !device.vf(1))
            broken("enabling 2 VFs failed");
        enable_function(*device.vf(0), &vf0_mem, &vf0_irq);
        enable_function(*device.vf(1), &vf1_mem, &vf1_irq);
        pf_bus = std::make_unique<RigBus>(device, npu3::kPf, device.pf());
        vf0_bus = std::make_unique<RigBus>(device, npu3::vf_index(0), *device.vf(0));
        vf1_bus = std::make_unique<RigBus>(device, npu3::vf_index(1), *device.vf(1));
        pf_mbox = std::make_unique<HostMailbox>(*pf_bus);
        vf0_mbox = std::make_unique<HostMailbox>(*vf0_bus);
        vf1_mbox = std::make_unique<HostMailbox>(*vf1_bus);
        setup_vf1();
    }

    // VF1's partition and context, over its mailbox.
    void setup_vf1()
    {
        if (!vf1_mbox->open())
            broken("VF1 mailbox did not open");
        auto part = call(*vf1_mbox, msg::Opcode::create_partition, msg::CreatePartitionReq{0, 3});
        if (part.size() < sizeof(msg::CreatePartitionResp))
            broken("VF1 CREATE_PARTITION failed");
        msg::CreatePartitionResp pr{};
        std::memcpy(&pr, part.data(), sizeof(pr));
        // VF1's queue: an empty, well-formed XRT 2.25 queue, so that the doorbell check_bystander
        // rings finds nothing to do (a zeroed header would fail the context: capacity 0).
        const auto& layout = cert::umq::kXrtV1Layout;
        vf1_mem.mem.put(kVf1Queue + cert::umq::kVersionMajorOffset, std::vector<uint8_t>{layout.major, 0});
        const uint32_t capacity = 32;
        vf1_mem.mem.put(kVf1Queue + cert::umq::kCapacityOffset,
                        std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(&capacity),
                                             reinterpret_cast<const uint8_t*>(&capacity) + 4));
        const uint64_t slots = kVf1Queue + layout.size;
        vf1_mem.mem.put(kVf1Queue + layout.data_address_offset,
                        std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(&slots),
                                             reinterpret_cast<const uint8_t*>(&slots) + 8));
        msg::CreateHwContextReq req{pr.partition_id, 12, 0, kVf1Queue, msg::kPasidValid | msg::kPasidNone, 0};
        auto ctx = call(*vf1_mbox, msg::Opcode::create_hw_context, req);
        if (ctx.size() < sizeof(msg::CreateHwContextResp))
            broken("VF1 CREATE_HW_CONTEXT failed");
        msg::CreateHwContextResp cr{};
        std::memcpy(&cr, ctx.data(), sizeof(cr));
        vf1_context = cr.hw_context_id;
        vf1_doorbell = cr.doorbell_offset;
    }

    [[noreturn]] void broken(const char* what) const { invariant_broken(target, what); }

    // One request/response on `hm`; the payload of a SUCCESS answer, empty otherwise.
    std::vector<uint8_t> call(HostMailbox& hm, uint32_t opcode, std::span<const uint8_t> payload)
    {
        const auto id = hm.send(opcode, payload);
        if (!id)
            return {};
        device.run_deferred();
        for (auto& r : hm.receive())
            if (r.header.id == *id && r.status() == 0)
                return r.payload;
        return {};
    }
    template <typename T>
    std::vector<uint8_t> call(HostMailbox& hm, msg::Opcode op, const T& req)
    {
        return call(hm, static_cast<uint32_t>(op),
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&req), sizeof(T)));
    }

    // VF0 back to a freshly enabled function: FLR (firmware drops its partitions and contexts,
    // CERT aborts their queues), config space and MSI-X enabled again, a fresh host-side
    // mailbox cursor. What VF0's input wrote into its own memory stays (it is the guest's).
    void reset_vf0()
    {
        pcie::Function* vf0 = device.vf(0);
        if (!vf0)
            broken("VF0 vanished");
        vf0->reset();
        device.run_deferred();
        enable_function(*vf0, &vf0_mem, &vf0_irq);
        vf0_mbox = std::make_unique<HostMailbox>(*vf0_bus);
    }

    // After an input that used the PF's mailbox: the PF back to its post-boot state (its rings
    // empty, no work buffer, not suspended: the firmware's own PF reset, without the PCIe FLR
    // that would also disable SR-IOV), and when the PF's guest changed the VFs (DESTROY_VFS,
    // CREATE_VFS) two VFs again with VF1's context rebuilt. False when the PCI-level VFs are
    // gone, which messages cannot cause: the caller then builds a new rig.
    bool restore_after_pf()
    {
        firmware.function_reset(npu3::kPf);
        device.run_deferred();
        pf_mbox = std::make_unique<HostMailbox>(*pf_bus);
        if (!device.vf(0) || !device.vf(1))
            return false;
        if (vf1_intact() && firmware.vf(0) != nullptr)
            return true;
        if (!pf_mbox->open())
            broken("the PF mailbox does not open after a PF reset");
        (void)call(*pf_mbox, msg::Opcode::destroy_vfs, msg::DestroyVfsReq{0});
        if (call(*pf_mbox, msg::Opcode::create_vfs, msg::CreateVfsReq{2}).empty())
            broken("CREATE_VFS{2} refused after a PF reset");
        vf0_mbox = std::make_unique<HostMailbox>(*vf0_bus);
        vf1_mbox = std::make_unique<HostMailbox>(*vf1_bus);
        setup_vf1();
        return true;
    }

    // True when VF1 still has its context, active, and both VFs still exist (a PF input may
    // legitimately take them away; the caller then builds a new rig).
    bool vf1_intact()
    {
        VfResources* vf1 = firmware.vf(1);
        return device.vf(0) && device.vf(1) && vf1 && vf1->contexts().count(vf1_context) != 0;
    }

    void check_bystander()
    {
        device.run_deferred();
        if (!device.vf(1))
            broken("VF1 vanished");
        VfResources* vf1 = firmware.vf(1);
        if (!vf1 || vf1->contexts().count(vf1_context) == 0)
            broken("VF1's hardware context was lost");
        if (vf1->contexts().at(vf1_context).state != ContextState::active)
            broken("VF1's hardware context was failed by VF0's input");
        if (!vf1_mbox->open())
            broken("VF1's mailbox no longer opens");
        if (call(*vf1_mbox, msg::Opcode::aie_tile_info, msg::TileInfoReq{0}).empty())
            broken("VF1 no longer answers AIE_TILE_INFO");
        auto& cert = dynamic_cast<cert::Cert&>(firmware.command_processor());
        const uint64_t before = cert.counters().get("cert.doorbells");
        device.vf(1)->bar_write(npu3::regs::kDoorbellBar, vf1_doorbell, 4, 1);
        device.run_deferred();
        if (cert.counters().get("cert.doorbells") != before + 1)
            broken("VF1's doorbell no longer reaches the command processor");
    }
};

} // namespace aie4emu::fuzz
