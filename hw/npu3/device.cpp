#include "hw/npu3/device.hpp"

#include "hw/npu3/npu3_regs.hpp"
#include "hw/sim/log.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace aie4emu::npu3 {

using namespace regs;

namespace {

const Identity& lookup_identity(const std::string& name)
{
    const Identity* id = find_identity(name);
    if (id == nullptr)
        throw std::invalid_argument(fmt::format("npu3: unknown identity '{}'", name));
    return *id;
}

} // namespace

// DMA of a function that does not exist: every access fails.
class Device::NullDma final : public pcie::DmaSpace {
public:
    bool read(uint64_t, void*, size_t) override { return false; }
    bool write(uint64_t, const void*, size_t) override { return false; }
};

Device::Device(const DeviceConfig& config, FirmwarePort& firmware, aie::Array* array)
    : identity_(lookup_identity(config.identity)),
      revision_(config.test_revision_override.value_or(identity_.revision)), total_vfs_(config.total_vfs),
      firmware_(firmware), array_(array), null_dma_(std::make_unique<NullDma>())
{
    if (total_vfs_ > kMaxTotalVfs)
        throw std::invalid_argument(
            fmt::format("npu3: total_vfs {} exceeds {} (VFs at functions 1..7)", total_vfs_, kMaxTotalVfs));
    if (config.test_revision_override)
        AIE4_LOG(pcie, "pf", 0, "TEST KNOB: revision {:#04x} instead of {:#04x}", revision_, identity_.revision);
    ctx_.firmware = &firmware_;
    ctx_.trap_all = config.trap_all;
    ctx_.msix_table_in_client = config.msix_table_in_client;
    states_.push_back(std::make_unique<FunctionState>("pf", kSramBarSize));
    for (unsigned v = 0; v < total_vfs_; ++v)
        states_.push_back(std::make_unique<FunctionState>(function_name(vf_index(v)), kVfSramSize));
    vfs_.resize(total_vfs_);
    pf_ = std::make_unique<PfFunction>(identity_, revision_, total_vfs_, *states_[kPf], ctx_,
                                       static_cast<SriovListener&>(*this));
    firmware_.bind(*this);
}

Device::~Device()
{
    // Observers must not hear about VFs of a device being torn down; the
    // host stops its servers before destroying the device.
    vf_observer_ = nullptr;
    vfs_.clear();
}

pcie::Function& Device::pf() { return *pf_; }

pcie::Function* Device::vf(unsigned vf) { return vf < vfs_.size() ? vfs_[vf].get() : nullptr; }

NpuFunction* Device::function(FunctionIndex fn)
{
    if (fn == kPf)
        return pf_.get();
    if (fn - 1 < vfs_.size())
        return vfs_[fn - 1].get();
    return nullptr;
}

void Device::set_vf_observer(std::function<void(unsigned, pcie::Function*)> observer)
{
    vf_observer_ = std::move(observer);
}

void Device::set_defer_handler(std::function<void(std::function<void()>)> handler)
{
    defer_handler_ = std::move(handler);
}

void Device::set_clock(std::function<uint64_t()> clock) { ctx_.clock = std::move(clock); }

size_t Device::run_deferred()
{
    size_t ran = 0;
    while (!deferred_.empty()) {
        auto work = std::move(deferred_.front());
        deferred_.pop_front();
        work();
        ++ran;
    }
    return ran;
}

AccessTrace& Device::function_trace(FunctionIndex fn)
{
    if (!valid_index(fn))
        throw std::out_of_range(fmt::format("npu3: no function {}", fn));
    return states_[fn]->trace;
}

// ---------------------------------------------------------------------------
// VF enable / disable

void Device::create_vfs(unsigned n)
{
    for (unsigned v = 0; v < n; ++v) {
        vfs_[v] = std::make_unique<VfFunction>(identity_, revision_, v, *states_[vf_index(v)], ctx_);
        AIE4_LOG(pcie, "pf", ctx_.now(), "VF {} enabled", v);
    }
    enabled_vfs_ = n;
    if (vf_observer_)
        for (unsigned v = 0; v < n; ++v)
            vf_observer_(v, vfs_[v].get());
}

void Device::destroy_vfs()
{
    const unsigned n = enabled_vfs_;
    for (unsigned v = 0; v < n; ++v)
        if (vf_observer_)
            vf_observer_(v, nullptr);
    for (unsigned v = 0; v < n; ++v) {
        vfs_[v].reset();
        AIE4_LOG(pcie, "pf", ctx_.now(), "VF {} disabled", v);
    }
    enabled_vfs_ = 0;
}

uint32_t Device::enable_vfs(unsigned n)
{
    if (n > total_vfs_) {
        AIE4_LOG(pcie, "pf", ctx_.now(), "enable_vfs({}) refused: TotalVFs is {}", n, total_vfs_);
        return kVfStatusBadCount;
    }
    if (n == enabled_vfs_)
        return 0;
    if (n != 0 && enabled_vfs_ != 0) {
        AIE4_LOG(pcie, "pf", ctx_.now(), "enable_vfs({}) refused: {} VFs enabled, disable first", n, enabled_vfs_);
        return kVfStatusBusy;
    }
    if (n == 0) {
        destroy_vfs();
        pf_->sriov_set_state(0, false);
        const uint32_t status = firmware_.set_vf_count(0);
        if (status != 0)
            AIE4_LOG(pcie, "pf", ctx_.now(), "firmware set_vf_count(0) status {:#x}", status);
        return status;
    }
    const uint32_t status = firmware_.set_vf_count(n);
    if (status != 0) {
        AIE4_LOG(pcie, "pf", ctx_.now(), "firmware refused {} VFs: status {:#x}", n, status);
        return status;
    }
    pf_->sriov_set_state(static_cast<uint16_t>(n), true);
    create_vfs(n);
    return 0;
}

void Device::guest_vf_enable(bool enabled, uint16_t num_vfs)
{
    // A guest holding the PF normally cannot see the SR-IOV capability (QEMU
    // hides it); kept correct anyway, on the same firmware path as enable_vfs.
    if (!enabled) {
        if (enabled_vfs_ == 0)
            return;
        destroy_vfs();
        const uint32_t status = firmware_.set_vf_count(0);
        if (status != 0)
            AIE4_LOG(pcie, "pf", ctx_.now(), "firmware set_vf_count(0) status {:#x}", status);
        return;
    }
    if (num_vfs == 0 || num_vfs > total_vfs_) // NumVFs is validated by the capability; belt and braces
        return;
    const uint32_t status = firmware_.set_vf_count(num_vfs);
    if (status != 0) {
        // VF Enable is set but the firmware brought up nothing: no VFs appear.
        AIE4_LOG(pcie, "pf", ctx_.now(), "VF Enable with NumVFs {}: firmware status {:#x}, no VFs", num_vfs,
                 status);
        return;
    }
    create_vfs(num_vfs);
}

// ---------------------------------------------------------------------------
// DeviceServices

std::span<uint8_t> Device::sram(FunctionIndex fn)
{
    if (!valid_index(fn)) {
        AIE4_LOG(fw, function_name(fn), ctx_.now(), "sram() of a function that does not exist");
        return {};
    }
    return states_[fn]->sram.bytes();
}

uint32_t Device::mbox_reg(FunctionIndex fn, uint32_t offset) const
{
    if (!valid_index(fn) || offset % 4 != 0 || offset >= kMboxRegFileSize) {
        AIE4_LOG(fw, function_name(fn), ctx_.now(), "mbox_reg({:#x}) out of range", offset);
        return 0;
    }
    return states_[fn]->mbox_regs[offset / 4];
}

void Device::set_mbox_reg(FunctionIndex fn, uint32_t offset, uint32_t value)
{
    if (!valid_index(fn) || offset % 4 != 0 || offset >= kMboxRegFileSize) {
        AIE4_LOG(fw, function_name(fn), ctx_.now(), "set_mbox_reg({:#x}) out of range: ignored", offset);
        return;
    }
    states_[fn]->mbox_regs[offset / 4] = value;
}

pcie::DmaSpace& Device::dma(FunctionIndex fn)
{
    if (NpuFunction* f = function(fn))
        return f->dma();
    AIE4_LOG(dma, function_name(fn), ctx_.now(), "DMA of a function that does not exist: fails");
    return *null_dma_;
}

void Device::raise_msix(FunctionIndex fn, unsigned vector)
{
    if (NpuFunction* f = function(fn)) {
        f->msix_raise(vector);
        return;
    }
    AIE4_LOG(fw, function_name(fn), ctx_.now(), "MSI-X {} of a function that does not exist: dropped", vector);
}

unsigned Device::msix_vectors(FunctionIndex fn) const
{
    if (fn == kPf)
        return kPfMsixVectors;
    return valid_index(fn) ? kVfMsixVectors : 0;
}

aie::Array& Device::array()
{
    if (array_ == nullptr)
        throw std::logic_error("npu3: device built without a tile array");
    return *array_;
}

void Device::defer(std::function<void()> work)
{
    if (defer_handler_)
        defer_handler_(std::move(work));
    else
        deferred_.push_back(std::move(work));
}

void Device::trace(FunctionIndex fn, const std::string& event)
{
    if (!valid_index(fn)) {
        AIE4_LOG(fw, function_name(fn), ctx_.now(), "trace of a function that does not exist: {}", event);
        return;
    }
    states_[fn]->trace.record_event(event);
}

} // namespace aie4emu::npu3
