#include "hw/npu3/npu_function.hpp"

#include "hw/sim/log.hpp"

#include <fmt/format.h>

#include <cstring>

namespace aie4emu::npu3 {

using namespace regs;

namespace {

pcie::BarSpec mem64_bar(uint64_t size) { return pcie::BarSpec{size, true, false, {}}; }
pcie::BarSpec mem32_bar(uint64_t size) { return pcie::BarSpec{size, false, false, {}}; }

pcie::FunctionSpec common_spec(std::string name, const Identity& id, uint16_t device_id, uint8_t revision)
{
    pcie::FunctionSpec s;
    s.name = std::move(name);
    s.vendor_id = id.vendor_id;
    s.device_id = device_id;
    s.revision = revision;
    s.class_code = kClassCode;
    s.subsystem_vendor_id = id.vendor_id;
    s.subsystem_id = device_id;
    s.flr = true;
    s.link_width = kLinkWidth;
    return s;
}

} // namespace

FunctionState::FunctionState(const std::string& fn_name, size_t sram_bytes)
    : name(fn_name), sram("aie4emu-" + fn_name + "-sram", sram_bytes)
{
}

pcie::FunctionSpec pf_spec(const Identity& id, uint8_t revision, unsigned total_vfs, const FunctionState& state,
                           const DeviceContext& ctx)
{
    pcie::FunctionSpec s = common_spec("pf", id, id.pf_device_id, revision);
    s.bars[kMboxBar] = mem64_bar(kMboxBarSize);
    s.bars[kSramBar] = mem64_bar(kSramBarSize);
    if (!ctx.trap_all)
        s.bars[kSramBar].mmap_areas.push_back(state.sram.area(0));
    s.bars[kPspBar] = mem32_bar(kPspBarSize); // must be 32-bit: BAR5 is used too (docs/spec/driver-interface.md §1.2)
    s.bars[kSmuBar] = mem32_bar(kSmuBarSize);
    s.msix = pcie::MsixSpec{kPfMsixVectors, kMboxBar, kMsixTableOffset, kMsixPbaOffset, !ctx.msix_table_in_client};
    s.sriov.total_vfs = static_cast<uint16_t>(total_vfs);
    s.sriov.first_vf_offset = 1; // VFs at functions 1..7, no ARI needed (docs/spec/driver-interface.md §1.6)
    s.sriov.vf_stride = 1;
    s.sriov.vf_device_id = id.vf_device_id;
    s.sriov.vf_bars[kMboxBar] = mem64_bar(kMboxBarSize);
    s.sriov.vf_bars[kSramBar] = mem64_bar(kSramBarSize);
    // SR-IOV is driven by the host control plane (QEMU hides the capability
    // from the guest holding the PF), so a PF reset leaves the VFs alone.
    s.sriov.keep_on_reset = true;
    return s;
}

pcie::FunctionSpec vf_spec(const Identity& id, uint8_t revision, unsigned vf, const FunctionState& state,
                           const DeviceContext& ctx)
{
    // A real VF reads Vendor/Device ID as 0xFFFF and takes them from the PF;
    // vfio-pci shows a VM the real IDs instead, and so does this function,
    // which is served to a VM as an ordinary PCI function.
    pcie::FunctionSpec s = common_spec(fmt::format("vf{}", vf), id, id.vf_device_id, revision);
    s.bars[kMboxBar] = mem64_bar(kMboxBarSize);
    s.bars[kSramBar] = mem64_bar(kSramBarSize);
    if (!ctx.trap_all)
        s.bars[kSramBar].mmap_areas.push_back(pcie::MmapArea{0, kVfSramSize, state.sram.fd(), 0});
    s.msix = pcie::MsixSpec{kVfMsixVectors, kMboxBar, kMsixTableOffset, kMsixPbaOffset, !ctx.msix_table_in_client};
    return s;
}

// ---------------------------------------------------------------------------

NpuFunction::NpuFunction(pcie::FunctionSpec spec, FunctionIndex index, FunctionState& state, DeviceContext& ctx)
    : EndpointFunction(std::move(spec)), index_(index), state_(state), ctx_(ctx)
{
}

uint64_t NpuFunction::bar_read(unsigned bar, uint64_t offset, unsigned size)
{
    const uint64_t v = EndpointFunction::bar_read(bar, offset, size);
    state_.trace.record_access(TraceRecord::Kind::mmio_read, bar, offset, size, v);
    return v;
}

void NpuFunction::bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    // Recorded first, so the firmware's events caused by it come after it.
    state_.trace.record_access(TraceRecord::Kind::mmio_write, bar, offset, size, value);
    EndpointFunction::bar_write(bar, offset, size, value);
}

void NpuFunction::on_config_write(uint32_t offset, unsigned size, uint32_t value)
{
    state_.trace.record_access(TraceRecord::Kind::config_write, 0, offset, size, value);
}

uint64_t NpuFunction::region_read(unsigned bar, uint64_t offset, unsigned size)
{
    if (bar == kMboxBar && offset < kMboxRegFileSize) {
        if (offset + size > kMboxRegFileSize) {
            unclaimed("read straddling the mailbox registers", bar, offset, size, 0);
            return 0;
        }
        uint64_t v = 0;
        for (unsigned i = 0; i < size; ++i) {
            const uint64_t byte = offset + i;
            v |= uint64_t{(state_.mbox_regs[byte / 4] >> (8 * (byte % 4))) & 0xff} << (8 * i);
        }
        return v;
    }
    if (bar == kSramBar && offset < state_.sram.size()) {
        if (offset + size > state_.sram.size()) {
            unclaimed("read straddling the end of SRAM", bar, offset, size, 0);
            return 0;
        }
        uint64_t v = 0;
        std::memcpy(&v, state_.sram.bytes().data() + offset, size); // little-endian host
        return v;
    }
    return device_read(bar, offset, size);
}

void NpuFunction::region_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    if (bar == kMboxBar && offset < kMboxRegFileSize) {
        if (offset + size > kMboxRegFileSize) {
            unclaimed("write straddling the mailbox registers", bar, offset, size, value);
            return;
        }
        for (unsigned i = 0; i < size; ++i) {
            const uint64_t byte = offset + i;
            uint32_t& reg = state_.mbox_regs[byte / 4];
            const unsigned shift = 8 * (byte % 4);
            reg = (reg & ~(0xffu << shift)) | (static_cast<uint32_t>((value >> (8 * i)) & 0xff) << shift);
        }
        // The x2i tail is the request doorbell (docs/spec/driver-interface.md §4.4).
        if (offset <= kMboxX2iTail && kMboxX2iTail < offset + size) {
            AIE4_LOG(mailbox, name(), now(), "x2i tail <- {:#x}: kick", state_.mbox_regs[kMboxX2iTail / 4]);
            firmware().mailbox_kick(index_);
        }
        return;
    }
    if (bar == kSramBar && offset < state_.sram.size()) {
        if (offset + size > state_.sram.size()) {
            unclaimed("write straddling the end of SRAM", bar, offset, size, value);
            return;
        }
        std::memcpy(state_.sram.bytes().data() + offset, &value, size);
        return;
    }
    device_write(bar, offset, size, value);
}

uint64_t NpuFunction::device_read(unsigned bar, uint64_t offset, unsigned size)
{
    unclaimed("read of an unimplemented register", bar, offset, size, 0);
    return 0;
}

void NpuFunction::device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    unclaimed("write to an unimplemented register", bar, offset, size, value);
}

void NpuFunction::unclaimed(const char* what, unsigned bar, uint64_t offset, unsigned size, uint64_t value) const
{
    AIE4_LOG(pcie, name(), now(), "{}: BAR{}+{:#x} size {} value {:#x} (reads 0, write ignored)", what, bar, offset,
             size, value);
}

void NpuFunction::on_reset()
{
    AIE4_LOG(pcie, name(), now(), "function reset");
    state_.trace.record_event("function reset");
    device_reset();
    firmware().function_reset(index_);
}

// ---------------------------------------------------------------------------
// PF: PSP (BAR4) and SMU (BAR5)

PfFunction::PfFunction(const Identity& id, uint8_t revision, unsigned total_vfs, FunctionState& state,
                       DeviceContext& ctx, SriovListener& listener)
    : NpuFunction(pf_spec(id, revision, total_vfs, state, ctx), kPf, state, ctx), listener_(listener)
{
}

uint64_t PfFunction::device_read(unsigned bar, uint64_t offset, unsigned size)
{
    if ((bar != kPspBar && bar != kSmuBar) || size != 4 || offset % 4 != 0)
        return NpuFunction::device_read(bar, offset, size);
    if (bar == kPspBar) {
        switch (offset) {
        case kPspCmd: return psp_cmd_; // also STATUS
        case kPspArg0: return psp_arg0_; // also RESP
        case kPspArg1: return psp_arg1_;
        case kPspIntr: return psp_intr_;
        default: break;
        }
    } else {
        switch (offset) {
        case kSmuCmd: return smu_cmd_;
        case kSmuArg: return smu_arg_; // also OUT
        case kSmuResp: return smu_resp_;
        case kSmuIntr: return smu_intr_;
        default: break;
        }
    }
    return NpuFunction::device_read(bar, offset, size);
}

void PfFunction::device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    if ((bar != kPspBar && bar != kSmuBar) || size != 4 || offset % 4 != 0) {
        NpuFunction::device_write(bar, offset, size, value);
        return;
    }
    if (bar == kPspBar)
        psp_write(offset, static_cast<uint32_t>(value));
    else
        smu_write(offset, static_cast<uint32_t>(value));
}

void PfFunction::psp_write(uint64_t offset, uint32_t value)
{
    switch (offset) {
    case kPspCmd: psp_cmd_ = value; return;
    case kPspArg0: psp_arg0_ = value; return;
    case kPspArg1: psp_arg1_ = value; return;
    case kPspIntr: break;
    default: NpuFunction::device_write(kPspBar, offset, 4, value); return;
    }
    psp_intr_ = value;
    if (value != kPspNotifyIntr)
        return; // the clear before the kick (aie_psp.c psp_exec)
    const uint32_t cmd = (psp_cmd_ >> kPspCmdShift) & kPspCmdMask;
    const uint32_t arg2 = psp_cmd_ & kPspArg2Mask;
    state().trace.record_event(fmt::format("psp cmd {} arg0 {:#x} arg1 {:#x} arg2 {:#x}", cmd, psp_arg0_,
                                           psp_arg1_, arg2));
    AIE4_LOG(psp, name(), now(), "cmd {} arg0 {:#x} arg1 {:#x} arg2 {:#x}", cmd, psp_arg0_, psp_arg1_, arg2);
    const uint32_t resp = firmware().psp_command(cmd, psp_arg0_, psp_arg1_, arg2);
    // Completion: RESP (aliased with ARG0) holds the result, STATUS is READY.
    psp_arg0_ = resp;
    psp_cmd_ = kPspStatusReady;
    AIE4_LOG(psp, name(), now(), "cmd {} -> resp {:#x}", cmd, resp);
}

void PfFunction::smu_write(uint64_t offset, uint32_t value)
{
    switch (offset) {
    case kSmuCmd: smu_cmd_ = value; return;
    case kSmuArg: smu_arg_ = value; return;
    case kSmuResp: smu_resp_ = value; return;
    case kSmuIntr: break;
    default: NpuFunction::device_write(kSmuBar, offset, 4, value); return;
    }
    smu_intr_ = value;
    if (value != kSmuKick)
        return; // the clear before the kick (aie_smu.c aie_smu_exec)
    state().trace.record_event(fmt::format("smu cmd {} arg {:#x}", smu_cmd_, smu_arg_));
    AIE4_LOG(smu, name(), now(), "cmd {} arg {:#x}", smu_cmd_, smu_arg_);
    smu_resp_ = firmware().smu_command(smu_cmd_, smu_arg_);
    AIE4_LOG(smu, name(), now(), "cmd {} -> resp {:#x}", smu_cmd_, smu_resp_);
}

void PfFunction::device_reset()
{
    psp_cmd_ = kPspStatusReady;
    psp_arg0_ = psp_arg1_ = psp_intr_ = 0;
    smu_cmd_ = smu_arg_ = smu_resp_ = smu_intr_ = 0;
}

void PfFunction::on_sriov_vf_enable(bool enabled, uint16_t num_vfs) { listener_.guest_vf_enable(enabled, num_vfs); }

// ---------------------------------------------------------------------------
// VF: doorbell pages (BAR2 from kDoorbellBase)

VfFunction::VfFunction(const Identity& id, uint8_t revision, unsigned vf, FunctionState& state, DeviceContext& ctx)
    : NpuFunction(vf_spec(id, revision, vf, state, ctx), vf_index(vf), state, ctx)
{
}

uint64_t VfFunction::device_read(unsigned bar, uint64_t offset, unsigned size)
{
    if (bar == kDoorbellBar && offset >= kDoorbellBase)
        return 0; // doorbells are write-only triggers
    return NpuFunction::device_read(bar, offset, size);
}

void VfFunction::device_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    if (bar != kDoorbellBar || offset < kDoorbellBase) {
        NpuFunction::device_write(bar, offset, size, value);
        return;
    }
    const auto page = static_cast<unsigned>((offset - kDoorbellBase) / kDoorbellPageSize);
    const auto in_page = static_cast<uint32_t>((offset - kDoorbellBase) % kDoorbellPageSize);
    if (page >= kVfDoorbellPages) {
        NpuFunction::device_write(bar, offset, size, value);
        return;
    }
    AIE4_LOG(cert, name(), now(), "doorbell page {} +{:#x} <- {:#x}", page, in_page, value);
    firmware().doorbell(index(), page, in_page, static_cast<uint32_t>(value));
}

} // namespace aie4emu::npu3
