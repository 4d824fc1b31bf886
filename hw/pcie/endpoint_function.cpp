#include "hw/pcie/endpoint_function.hpp"

#include "hw/pcie/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <utility>

namespace aie4emu::pcie {

using namespace regs;

namespace {

constexpr uint64_t all_ones(unsigned size)
{
    return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}

constexpr bool valid_region_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

constexpr uint32_t msix_pba_bytes(unsigned vectors)
{
    return (vectors + 63) / 64 * 8; // one bit per vector, in whole QWORDs
}

// Byte lanes of an MSI-X table entry the guest may write (the rest reads 0).
constexpr uint8_t msix_entry_wmask(uint32_t byte_in_entry)
{
    if (byte_in_entry < kMsixEntryUpperAddr)
        return static_cast<uint8_t>(kMsixEntryAddrLowWritable >> (8 * byte_in_entry));
    if (byte_in_entry < kMsixEntryVectorCtrl)
        return 0xff; // upper address, data
    if (byte_in_entry == kMsixEntryVectorCtrl)
        return static_cast<uint8_t>(kMsixEntryCtrlMaskBit);
    return 0; // Vector Control bits 31:1 reserved
}

} // namespace

// DMA of one function, gated by Command.BME and the attached VM.
class EndpointFunction::GatedDma final : public DmaSpace {
public:
    explicit GatedDma(EndpointFunction& fn) : fn_(fn) {}
    bool read(uint64_t addr, void* dst, size_t len) override
    {
        if (!allowed("read", addr, len))
            return false;
        if (fn_.dma_->read(addr, dst, len))
            return true;
        fn_.dma_failed("read", addr, len);
        return false;
    }
    bool write(uint64_t addr, const void* src, size_t len) override
    {
        if (!allowed("write", addr, len))
            return false;
        if (fn_.dma_->write(addr, src, len))
            return true;
        fn_.dma_failed("write", addr, len);
        return false;
    }

private:
    bool allowed(const char* what, uint64_t addr, size_t len) const
    {
        if (!fn_.bus_master()) {
            fn_.log(fmt::format("DMA {} {:#x}+{:#x} refused: bus master disabled", what, addr, len));
            return false;
        }
        if (fn_.dma_ == nullptr) {
            fn_.log(fmt::format("DMA {} {:#x}+{:#x} refused: no VM attached", what, addr, len));
            return false;
        }
        return true;
    }
    EndpointFunction& fn_;
};

EndpointFunction::EndpointFunction(FunctionSpec spec)
    : spec_(std::move(spec)), gated_dma_(std::make_unique<GatedDma>(*this))
{
    validate_spec();
    build_header();
    build_bars(kBar0, spec_.bars, false);
    build_pcie_cap();
    build_pm_cap();
    build_msix_cap();
    build_sriov_cap();
    power_on_ = cfg_;
    msix_table_.assign(size_t{spec_.msix.vectors} * kMsixEntrySize, 0);
    msix_pending_.assign(spec_.msix.vectors, false);
    msix_transport_mask_.assign(spec_.msix.vectors, false);
    msix_reset();
}

EndpointFunction::~EndpointFunction() = default;

// ---------------------------------------------------------------------------
// Construction

void EndpointFunction::validate_spec() const
{
    auto bad = [&](const std::string& why) {
        throw std::invalid_argument(fmt::format("pcie function '{}': {}", spec_.name, why));
    };
    auto check_bars = [&](const std::array<BarSpec, kNumBars>& bars, const char* kind) {
        for (unsigned i = 0; i < kNumBars; ++i) {
            const BarSpec& b = bars[i];
            if (b.size == 0)
                continue;
            if (b.size < kMinMemBarSize || !std::has_single_bit(b.size))
                bad(fmt::format("{} {} size {:#x} is not a power of two >= 16", kind, i, b.size));
            if (b.mem64) {
                if (i + 1 >= kNumBars)
                    bad(fmt::format("64-bit {} {} has no upper slot", kind, i));
                if (bars[i + 1].size != 0)
                    bad(fmt::format("{} {} is the upper half of 64-bit {} {}", kind, i + 1, kind, i));
            } else if (b.size > (uint64_t{1} << 31)) {
                bad(fmt::format("32-bit {} {} larger than 2 GiB", kind, i));
            }
            for (const MmapArea& a : b.mmap_areas)
                if (a.offset > b.size || a.size > b.size - a.offset)
                    bad(fmt::format("mmap area {:#x}+{:#x} outside {} {}", a.offset, a.size, kind, i));
            if (i > 0 && bars[i - 1].mem64 && bars[i - 1].size != 0)
                bad(fmt::format("{} {} is the upper half of a 64-bit BAR", kind, i));
        }
    };
    check_bars(spec_.bars, "BAR");
    check_bars(spec_.sriov.vf_bars, "VF BAR");
    const MsixSpec& m = spec_.msix;
    if (m.vectors > kMsixMaxVectors)
        bad("too many MSI-X vectors");
    if (m.vectors > 0) {
        if (m.bar >= kNumBars || spec_.bars[m.bar].size == 0)
            bad("MSI-X BAR not implemented");
        const uint64_t bar_size = spec_.bars[m.bar].size;
        const uint64_t table_end = uint64_t{m.table_offset} + uint64_t{m.vectors} * kMsixEntrySize;
        const uint64_t pba_end = uint64_t{m.pba_offset} + msix_pba_bytes(m.vectors);
        if ((m.table_offset & ~kMsixOffsetMask) != 0 || (m.pba_offset & ~kMsixOffsetMask) != 0)
            bad("MSI-X table/PBA offsets must be 8-byte aligned");
        if (table_end > bar_size || pba_end > bar_size)
            bad("MSI-X table or PBA outside its BAR");
        if (m.table_offset < pba_end && m.pba_offset < table_end)
            bad("MSI-X table and PBA overlap");
        for (const MmapArea& a : spec_.bars[m.bar].mmap_areas) {
            const uint64_t a_end = a.offset + a.size;
            if ((a.offset < table_end && m.table_offset < a_end) || (a.offset < pba_end && m.pba_offset < a_end))
                bad("MSI-X table/PBA inside an mmap area (they must trap)");
        }
    }
    if (spec_.sriov.total_vfs > 0 && spec_.sriov.first_vf_offset == 0)
        bad("SR-IOV First VF Offset must be non-zero");
    if (spec_.sriov.total_vfs > 1 && spec_.sriov.vf_stride == 0)
        bad("SR-IOV VF Stride must be non-zero with more than one VF");
    if (spec_.sriov.total_vfs > 0 && (spec_.sriov.supported_page_sizes & kSriovPgsize4K) == 0)
        bad("SR-IOV Supported Page Sizes must include 4 KiB");
}

uint32_t EndpointFunction::get(uint32_t offset, unsigned size) const
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= uint32_t{cfg_[offset + i]} << (8 * i);
    return v;
}

void EndpointFunction::set(uint32_t offset, unsigned size, uint32_t value)
{
    for (unsigned i = 0; i < size; ++i)
        cfg_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

void EndpointFunction::set_wmask(uint32_t offset, unsigned size, uint32_t mask)
{
    for (unsigned i = 0; i < size; ++i)
        wmask_[offset + i] = static_cast<uint8_t>(mask >> (8 * i));
}

void EndpointFunction::set_w1cmask(uint32_t offset, unsigned size, uint32_t mask)
{
    for (unsigned i = 0; i < size; ++i)
        w1cmask_[offset + i] = static_cast<uint8_t>(mask >> (8 * i));
}

void EndpointFunction::build_header()
{
    set(kVendorId, 2, spec_.vendor_id);
    set(kDeviceId, 2, spec_.device_id);
    set(kRevisionId, 1, spec_.revision);
    set(kClassProg, 3, spec_.class_code & 0xffffff);
    set(kHeaderType, 1, kHeaderTypeNormal);
    set(kSubsystemVendorId, 2, spec_.subsystem_vendor_id);
    set(kSubsystemId, 2, spec_.subsystem_id);
    // No I/O BARs, so Command.IO is hardwired 0. Interrupt Pin 0: MSI-X only,
    // but Interrupt Disable stays writable as system software expects.
    set_wmask(kCommand, 2, kCommandMemory | kCommandMaster | kCommandParity | kCommandSerr | kCommandIntxDisable);
    set_w1cmask(kStatus, 2, kStatusRw1cMask);
    set_wmask(kCacheLineSize, 1, 0xff);
    set_wmask(kInterruptLine, 1, 0xff);
}

void EndpointFunction::build_bars(uint32_t base, const std::array<BarSpec, kNumBars>& bars, bool vf)
{
    for (unsigned i = 0; i < kNumBars; ++i) {
        const BarSpec& b = bars[i];
        if (b.size == 0)
            continue;
        const uint32_t reg = base + 4 * i;
        uint32_t flags = 0;
        if (b.mem64)
            flags |= kBarMemType64;
        if (b.prefetchable)
            flags |= kBarMemPrefetch;
        set(reg, 4, flags);
        // Address bits below the size are hardwired 0: writing all-ones
        // reads back the size mask (BAR sizing).
        const uint64_t addr_mask = ~(b.size - 1);
        set_wmask(reg, 4, static_cast<uint32_t>(addr_mask) & ~kBarMemFlagsMask);
        if (b.mem64) {
            set_wmask(reg + 4, 4, static_cast<uint32_t>(addr_mask >> 32));
            if (!vf)
                bar_is_upper_half_[i + 1] = true;
            ++i;
        }
    }
}

uint32_t EndpointFunction::add_capability(uint8_t id, uint32_t size)
{
    const uint32_t off = next_cap_;
    if (off + size > kLegacyConfigSize)
        throw std::logic_error("pcie: standard capabilities exceed 256 bytes");
    set(off + kCapListId, 1, id);
    set(off + kCapListNext, 1, 0);
    if (last_cap_ == 0) {
        set(kCapabilityList, 1, off);
        set(kStatus, 2, get16(kStatus) | kStatusCapList);
    } else {
        set(last_cap_ + kCapListNext, 1, off);
    }
    last_cap_ = off;
    next_cap_ = (off + size + 3) & ~3u;
    return off;
}

uint32_t EndpointFunction::add_ext_capability(uint16_t id, uint8_t version, uint32_t size)
{
    const uint32_t off = next_ext_cap_;
    if (off + size > kConfigSpaceSize)
        throw std::logic_error("pcie: extended capabilities exceed 4 KiB");
    set(off, 4, uint32_t{id} | (uint32_t{version} << kExtCapVerShift));
    if (last_ext_cap_ != 0) {
        const uint32_t hdr = get(last_ext_cap_, 4) & ~(kExtCapNextMask << kExtCapNextShift);
        set(last_ext_cap_, 4, hdr | (off << kExtCapNextShift));
    }
    last_ext_cap_ = off;
    next_ext_cap_ = (off + size + 3) & ~3u;
    return off;
}

void EndpointFunction::build_pcie_cap()
{
    const uint32_t c = exp_cap_ = add_capability(kCapIdExp, kExpSizeofV2);
    set(c + kExpFlags, 2, kExpFlagsVersion2 | (kExpTypeEndpoint << kExpFlagsTypeShift));
    set(c + kExpDevcap, 4, kExpDevcapRber | (spec_.flr ? kExpDevcapFlr : 0)); // Max_Payload 128 B
    set(c + kExpDevctl, 2, kExpDevctlRelaxEn | kExpDevctlNoSnoopEn | kExpDevctlReadrq512);
    // Initiate FLR is not in the mask: it acts on write and always reads 0.
    set_wmask(c + kExpDevctl, 2,
              kExpDevctlCere | kExpDevctlNfere | kExpDevctlFere | kExpDevctlUrre | kExpDevctlRelaxEn |
                  kExpDevctlPayload | kExpDevctlNoSnoopEn | kExpDevctlReadrq);
    set_w1cmask(c + kExpDevsta, 2, kExpDevstaRw1c);
    const uint32_t width = uint32_t{spec_.link_width} << kExpLinkWidthShift;
    set(c + kExpLnkcap, 4, kExpLnkcapSls8_0GB | width);
    set_wmask(c + kExpLnkctl, 2, kExpLnkctlAspmc | kExpLnkctlCcc | kExpLnkctlEs);
    set(c + kExpLnksta, 2, kExpLnkcapSls8_0GB | width);
    set(c + kExpLnkcap2, 4, kExpLnkcap2Sls2_5To8_0);
    set(c + kExpLnkctl2, 2, kExpLnkcapSls8_0GB);
    set_wmask(c + kExpLnkctl2, 2, kExpLnkctl2Tls);
}

void EndpointFunction::build_pm_cap()
{
    const uint32_t c = pm_cap_ = add_capability(kCapIdPm, kPmSizeof);
    set(c + kPmPmc, 2, kPmCapVersion12); // no PME, no D1/D2
    // No_Soft_Reset: D3hot -> D0 keeps the function's state.
    set(c + kPmCtrl, 2, kPmCtrlNoSoftReset | kPmStateD0);
    set_wmask(c + kPmCtrl, 2, kPmCtrlStateMask);
}

void EndpointFunction::build_msix_cap()
{
    const MsixSpec& m = spec_.msix;
    if (m.vectors == 0)
        return;
    const uint32_t c = msix_cap_ = add_capability(kCapIdMsix, kMsixSizeof);
    set(c + kMsixFlags, 2, (m.vectors - 1) & kMsixFlagsQsize);
    set_wmask(c + kMsixFlags, 2, kMsixFlagsEnable | kMsixFlagsMaskAll);
    set(c + kMsixTable, 4, m.table_offset | m.bar);
    set(c + kMsixPba, 4, m.pba_offset | m.bar);
}

void EndpointFunction::build_sriov_cap()
{
    const SriovSpec& s = spec_.sriov;
    if (s.total_vfs == 0)
        return;
    const uint32_t c = sriov_cap_ = add_ext_capability(kExtCapIdSriov, kSriovCapVersion, kSriovSizeof);
    set(c + kSriovCap, 4, 0); // not VF Migration capable
    set_wmask(c + kSriovCtrl, 2, kSriovCtrlVfe | kSriovCtrlMse | kSriovCtrlAri);
    set(c + kSriovInitialVf, 2, s.total_vfs);
    set(c + kSriovTotalVf, 2, s.total_vfs);
    set(c + kSriovNumVf, 2, 0);
    set_wmask(c + kSriovNumVf, 2, 0xffff); // validated after the write
    set(c + kSriovVfOffset, 2, s.first_vf_offset);
    set(c + kSriovVfStride, 2, s.vf_stride);
    set(c + kSriovVfDid, 2, s.vf_device_id);
    set(c + kSriovSupPgsize, 4, s.supported_page_sizes);
    set(c + kSriovSysPgsize, 4, kSriovPgsize4K);
    set_wmask(c + kSriovSysPgsize, 4, 0xffffffff); // validated after the write
    build_bars(c + kSriovBar, s.vf_bars, true);
}

// ---------------------------------------------------------------------------
// Config space

uint32_t EndpointFunction::config_read(uint32_t offset, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset >= kConfigSpaceSize) {
        log(fmt::format("config read {:#x} size {} refused: not a naturally aligned 1/2/4-byte access", offset,
                        size));
        return (size == 1 || size == 2) ? static_cast<uint32_t>(all_ones(size)) : 0xffffffffu;
    }
    return get(offset, size);
}

bool EndpointFunction::in_range(uint32_t offset, unsigned size, uint32_t reg, uint32_t len) const
{
    return offset < reg + len && reg < offset + size;
}

void EndpointFunction::config_write(uint32_t offset, unsigned size, uint32_t value)
{
    if ((size != 1 && size != 2 && size != 4) || offset % size != 0 || offset >= kConfigSpaceSize) {
        log(fmt::format("config write {:#x} size {} value {:#x} ignored: not a naturally aligned 1/2/4-byte access",
                        offset, size, value));
        return;
    }

    // Values the post-write checks compare against.
    const uint16_t old_pm = pm_cap_ ? get16(pm_cap_ + kPmCtrl) : 0;
    const uint16_t old_msix = msix_cap_ ? get16(msix_cap_ + kMsixFlags) : 0;
    const uint16_t old_sriov_ctrl = sriov_cap_ ? get16(sriov_cap_ + kSriovCtrl) : 0;
    const uint16_t old_num_vfs = sriov_cap_ ? get16(sriov_cap_ + kSriovNumVf) : 0;
    const uint32_t old_sys_pgsize = sriov_cap_ ? get(sriov_cap_ + kSriovSysPgsize, 4) : 0;

    for (unsigned i = 0; i < size; ++i) {
        const uint32_t o = offset + i;
        const auto b = static_cast<uint8_t>(value >> (8 * i));
        uint8_t n = static_cast<uint8_t>((cfg_[o] & ~wmask_[o]) | (b & wmask_[o]));
        n = static_cast<uint8_t>(n & ~(b & w1cmask_[o]));
        cfg_[o] = n;
    }

    bool flr = false;

    if (pm_cap_ && in_range(offset, size, pm_cap_ + kPmCtrl, 2)) {
        const uint16_t now = get16(pm_cap_ + kPmCtrl);
        const uint16_t state = now & kPmCtrlStateMask;
        if (state == kPmStateD1 || state == kPmStateD2) {
            // D1/D2 are not supported (PMC): the write leaves the state alone.
            log(fmt::format("PM: power state D{} not supported, staying in D{}", state, old_pm & kPmCtrlStateMask));
            set(pm_cap_ + kPmCtrl, 2, static_cast<uint16_t>((now & ~kPmCtrlStateMask) | (old_pm & kPmCtrlStateMask)));
        }
    }

    if (exp_cap_ && in_range(offset, size, exp_cap_ + kExpDevctl, 2)) {
        // Bit 15 of Device Control lives in byte 1 of the register.
        const uint32_t flr_byte = exp_cap_ + kExpDevctl + 1;
        if (flr_byte >= offset && flr_byte < offset + size) {
            const auto b = static_cast<uint8_t>(value >> (8 * (flr_byte - offset)));
            if (b & (kExpDevctlBcrFlr >> 8)) {
                if (spec_.flr)
                    flr = true;
                else
                    log("Initiate FLR written but FLR is not supported: ignored");
            }
        }
    }

    if (sriov_cap_) {
        if (in_range(offset, size, sriov_cap_ + kSriovNumVf, 2)) {
            const uint16_t now = get16(sriov_cap_ + kSriovNumVf);
            if (old_sriov_ctrl & kSriovCtrlVfe) {
                if (now != old_num_vfs)
                    log(fmt::format("SR-IOV: NumVFs {} written while VF Enable is set: ignored", now));
                set(sriov_cap_ + kSriovNumVf, 2, old_num_vfs);
            } else if (now > spec_.sriov.total_vfs) {
                log(fmt::format("SR-IOV: NumVFs {} > TotalVFs {}: ignored", now, spec_.sriov.total_vfs));
                set(sriov_cap_ + kSriovNumVf, 2, old_num_vfs);
            }
        }
        if (in_range(offset, size, sriov_cap_ + kSriovSysPgsize, 4)) {
            const uint32_t now = get(sriov_cap_ + kSriovSysPgsize, 4);
            const bool one_supported = std::has_single_bit(now) && (now & spec_.sriov.supported_page_sizes);
            if (now != old_sys_pgsize && ((old_sriov_ctrl & kSriovCtrlVfe) || !one_supported)) {
                log(fmt::format("SR-IOV: System Page Size {:#x} not accepted (supported {:#x}, VF Enable {})", now,
                                spec_.sriov.supported_page_sizes, (old_sriov_ctrl & kSriovCtrlVfe) != 0));
                set(sriov_cap_ + kSriovSysPgsize, 4, old_sys_pgsize);
            }
        }
    }

    if (msix_cap_ && in_range(offset, size, msix_cap_ + kMsixFlags, 2)) {
        if (get16(msix_cap_ + kMsixFlags) != old_msix)
            msix_deliver_pending();
    }

    on_config_write(offset, size, value);

    if (sriov_cap_ && in_range(offset, size, sriov_cap_ + kSriovCtrl, 2)) {
        const uint16_t now = get16(sriov_cap_ + kSriovCtrl);
        if ((now ^ old_sriov_ctrl) & kSriovCtrlVfe)
            on_sriov_vf_enable((now & kSriovCtrlVfe) != 0, get16(sriov_cap_ + kSriovNumVf));
    }

    if (flr) {
        log("FLR initiated through Device Control");
        reset();
    }
}

uint32_t EndpointFunction::find_capability(uint8_t id) const
{
    if ((get16(kStatus) & kStatusCapList) == 0)
        return 0;
    uint32_t off = get(kCapabilityList, 1) & ~3u;
    // Bounded walk: a list can hold at most 48 capabilities of 4 bytes.
    for (unsigned n = 0; off >= kFirstCapOffset && off < kLegacyConfigSize && n < 48; ++n) {
        if (get(off + kCapListId, 1) == id)
            return off;
        off = get(off + kCapListNext, 1) & ~3u;
    }
    return 0;
}

uint32_t EndpointFunction::find_ext_capability(uint16_t id) const
{
    uint32_t off = kFirstExtCapOffset;
    for (unsigned n = 0; off >= kFirstExtCapOffset && off < kConfigSpaceSize && n < 960; ++n) {
        const uint32_t hdr = get(off, 4);
        if (hdr == 0)
            return 0;
        if ((hdr & kExtCapIdMask) == id)
            return off;
        off = (hdr >> kExtCapNextShift) & kExtCapNextMask;
    }
    return 0;
}

bool EndpointFunction::bus_master() const { return (get16(kCommand) & kCommandMaster) != 0; }
bool EndpointFunction::memory_enabled() const { return (get16(kCommand) & kCommandMemory) != 0; }

uint16_t EndpointFunction::sriov_num_vfs() const { return sriov_cap_ ? get16(sriov_cap_ + kSriovNumVf) : 0; }

bool EndpointFunction::sriov_vf_enabled() const
{
    return sriov_cap_ && (get16(sriov_cap_ + kSriovCtrl) & kSriovCtrlVfe) != 0;
}

void EndpointFunction::sriov_set_state(uint16_t num_vfs, bool enabled)
{
    if (!sriov_cap_)
        return;
    if (num_vfs > spec_.sriov.total_vfs)
        num_vfs = spec_.sriov.total_vfs;
    set(sriov_cap_ + kSriovNumVf, 2, num_vfs);
    uint16_t ctrl = get16(sriov_cap_ + kSriovCtrl);
    if (enabled)
        ctrl |= kSriovCtrlVfe | kSriovCtrlMse;
    else
        ctrl &= static_cast<uint16_t>(~(kSriovCtrlVfe | kSriovCtrlMse));
    set(sriov_cap_ + kSriovCtrl, 2, ctrl);
}

void EndpointFunction::on_sriov_vf_enable(bool, uint16_t) {}
void EndpointFunction::on_config_write(uint32_t, unsigned, uint32_t) {}

// ---------------------------------------------------------------------------
// BARs

BarInfo EndpointFunction::bar_info(unsigned bar) const
{
    if (bar >= kNumBars || bar_is_upper_half_[bar])
        return {};
    const BarSpec& b = spec_.bars[bar];
    return BarInfo{b.size, b.mem64, b.prefetchable, b.mmap_areas};
}

bool EndpointFunction::msix_table_hit(unsigned bar, uint64_t offset, unsigned size) const
{
    const MsixSpec& m = spec_.msix;
    return m.vectors > 0 && bar == m.bar && offset < uint64_t{m.table_offset} + msix_table_.size() &&
           m.table_offset < offset + size;
}

bool EndpointFunction::msix_pba_hit(unsigned bar, uint64_t offset, unsigned size) const
{
    const MsixSpec& m = spec_.msix;
    return m.vectors > 0 && bar == m.bar && offset < uint64_t{m.pba_offset} + msix_pba_bytes(m.vectors) &&
           m.pba_offset < offset + size;
}

uint64_t EndpointFunction::bar_read(unsigned bar, uint64_t offset, unsigned size)
{
    if (bar >= kNumBars || bar_is_upper_half_[bar] || spec_.bars[bar].size == 0 || !valid_region_size(size) ||
        offset >= spec_.bars[bar].size || size > spec_.bars[bar].size - offset) {
        log(fmt::format("BAR{} read {:#x} size {} refused: outside the BAR or bad size", bar, offset, size));
        return all_ones(valid_region_size(size) ? size : 8);
    }
    if (msix_table_hit(bar, offset, size)) {
        const uint64_t rel = offset - spec_.msix.table_offset;
        if (offset < spec_.msix.table_offset || rel + size > msix_table_.size()) {
            log(fmt::format("BAR{} read {:#x} size {} straddles the MSI-X table", bar, offset, size));
            return all_ones(size);
        }
        return msix_table_read(rel, size);
    }
    if (msix_pba_hit(bar, offset, size)) {
        const uint64_t rel = offset - spec_.msix.pba_offset;
        if (offset < spec_.msix.pba_offset || rel + size > msix_pba_bytes(spec_.msix.vectors)) {
            log(fmt::format("BAR{} read {:#x} size {} straddles the MSI-X PBA", bar, offset, size));
            return all_ones(size);
        }
        return msix_pba_read(rel, size);
    }
    return region_read(bar, offset, size);
}

void EndpointFunction::bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value)
{
    if (bar >= kNumBars || bar_is_upper_half_[bar] || spec_.bars[bar].size == 0 || !valid_region_size(size) ||
        offset >= spec_.bars[bar].size || size > spec_.bars[bar].size - offset) {
        log(fmt::format("BAR{} write {:#x} size {} value {:#x} ignored: outside the BAR or bad size", bar, offset,
                        size, value));
        return;
    }
    if (msix_table_hit(bar, offset, size)) {
        const uint64_t rel = offset - spec_.msix.table_offset;
        if (offset < spec_.msix.table_offset || rel + size > msix_table_.size()) {
            log(fmt::format("BAR{} write {:#x} size {} straddles the MSI-X table: ignored", bar, offset, size));
            return;
        }
        msix_table_write(rel, size, value);
        return;
    }
    if (msix_pba_hit(bar, offset, size)) {
        log(fmt::format("BAR{} write {:#x} to the read-only MSI-X PBA ignored", bar, offset));
        return;
    }
    region_write(bar, offset, size, value);
}

uint64_t EndpointFunction::region_read(unsigned, uint64_t, unsigned) { return 0; }
void EndpointFunction::region_write(unsigned, uint64_t, unsigned, uint64_t) {}

// ---------------------------------------------------------------------------
// MSI-X

bool EndpointFunction::msix_enabled() const
{
    return msix_cap_ && (get16(msix_cap_ + kMsixFlags) & kMsixFlagsEnable) != 0;
}

bool EndpointFunction::msix_function_masked() const
{
    return msix_cap_ && (get16(msix_cap_ + kMsixFlags) & kMsixFlagsMaskAll) != 0;
}

bool EndpointFunction::msix_vector_masked(unsigned vector) const
{
    if (vector >= spec_.msix.vectors)
        return true;
    return (msix_table_[size_t{vector} * kMsixEntrySize + kMsixEntryVectorCtrl] & kMsixEntryCtrlMaskBit) != 0;
}

bool EndpointFunction::msix_pending(unsigned vector) const
{
    return vector < spec_.msix.vectors && msix_pending_[vector];
}

bool EndpointFunction::msix_blocked(unsigned vector) const
{
    return msix_function_masked() || (spec_.msix.entry_masks && msix_vector_masked(vector)) ||
           msix_transport_mask_[vector] || irq_ == nullptr;
}

void EndpointFunction::msix_raise(unsigned vector)
{
    if (vector >= spec_.msix.vectors) {
        ++msix_counters_.dropped;
        log(fmt::format("MSI-X vector {} raised but the table has {} entries: dropped", vector,
                        spec_.msix.vectors));
        return;
    }
    if (!msix_enabled()) {
        // A function must not signal through MSI-X while it is disabled.
        ++msix_counters_.dropped;
        log(fmt::format("MSI-X vector {} raised while MSI-X is disabled: dropped", vector));
        return;
    }
    if (msix_blocked(vector)) {
        msix_pending_[vector] = true;
        ++msix_counters_.latched;
        return;
    }
    if (!bus_master()) {
        // An MSI-X message is a memory write: no bus mastering, no message.
        ++msix_counters_.dropped;
        log(fmt::format("MSI-X vector {} raised with bus mastering disabled: dropped", vector));
        return;
    }
    ++msix_counters_.fired;
    irq_->msix_fire(vector);
}

void EndpointFunction::msix_deliver_pending()
{
    if (!msix_enabled() || !bus_master())
        return;
    for (unsigned v = 0; v < spec_.msix.vectors; ++v) {
        if (msix_pending_[v] && !msix_blocked(v)) {
            msix_pending_[v] = false;
            ++msix_counters_.fired;
            irq_->msix_fire(v);
        }
    }
}

void EndpointFunction::msix_reset()
{
    std::fill(msix_table_.begin(), msix_table_.end(), uint8_t{0});
    for (unsigned v = 0; v < spec_.msix.vectors; ++v)
        msix_table_[size_t{v} * kMsixEntrySize + kMsixEntryVectorCtrl] = kMsixEntryCtrlMaskBit; // masked at reset
    std::fill(msix_pending_.begin(), msix_pending_.end(), false);
}

uint64_t EndpointFunction::msix_table_read(uint64_t offset, unsigned size) const
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= uint64_t{msix_table_[offset + i]} << (8 * i);
    return v;
}

void EndpointFunction::msix_table_write(uint64_t offset, unsigned size, uint64_t value)
{
    bool unmasked = false;
    for (unsigned i = 0; i < size; ++i) {
        const uint64_t o = offset + i;
        const uint8_t mask = msix_entry_wmask(static_cast<uint32_t>(o % kMsixEntrySize));
        const auto b = static_cast<uint8_t>(value >> (8 * i));
        const uint8_t old = msix_table_[o];
        msix_table_[o] = static_cast<uint8_t>((old & ~mask) | (b & mask));
        if (o % kMsixEntrySize == kMsixEntryVectorCtrl && (old & kMsixEntryCtrlMaskBit) &&
            !(msix_table_[o] & kMsixEntryCtrlMaskBit))
            unmasked = true;
    }
    if (unmasked)
        msix_deliver_pending();
}

uint64_t EndpointFunction::msix_pba_read(uint64_t offset, unsigned size) const
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        uint8_t byte = 0;
        for (unsigned bit = 0; bit < 8; ++bit) {
            const uint64_t vec = (offset + i) * 8 + bit;
            if (vec < spec_.msix.vectors && msix_pending_[vec])
                byte = static_cast<uint8_t>(byte | (1u << bit));
        }
        v |= uint64_t{byte} << (8 * i);
    }
    return v;
}

void EndpointFunction::set_vector_masked(unsigned vector, bool masked)
{
    if (vector >= spec_.msix.vectors) {
        log(fmt::format("transport mask of vector {} ignored: the table has {} entries", vector,
                        spec_.msix.vectors));
        return;
    }
    msix_transport_mask_[vector] = masked;
    if (!masked)
        msix_deliver_pending();
}

// ---------------------------------------------------------------------------
// Attach, DMA, reset

void EndpointFunction::attach(DmaSpace* dma, InterruptSink* irq)
{
    dma_ = dma;
    irq_ = irq;
    if (irq_ != nullptr)
        msix_deliver_pending();
}

DmaSpace& EndpointFunction::dma() { return *gated_dma_; }

void EndpointFunction::dma_failed(const char* what, uint64_t addr, size_t len)
{
    // The request got an Unsupported Request completion: the requester
    // records Received Master Abort (PCIe Base 4.0 §7.5.1.1.4).
    set(kStatus, 2, get16(kStatus) | kStatusRecMasterAbort);
    log(fmt::format("DMA {} {:#x}+{:#x} failed: not mapped in the VM", what, addr, len));
}

void EndpointFunction::reset()
{
    const bool vfs_were_enabled = sriov_vf_enabled();
    std::array<uint8_t, kSriovSizeof> kept_sriov{};
    const bool keep = sriov_cap_ && spec_.sriov.keep_on_reset;
    if (keep)
        std::copy_n(cfg_.begin() + sriov_cap_, kSriovSizeof, kept_sriov.begin());
    cfg_ = power_on_;
    if (keep)
        std::copy_n(kept_sriov.begin(), kSriovSizeof, cfg_.begin() + sriov_cap_);
    msix_reset();
    if (vfs_were_enabled && !sriov_vf_enabled())
        on_sriov_vf_enable(false, 0);
    on_reset();
}

void EndpointFunction::log(const std::string& msg) const { log_line(spec_.name, msg); }

} // namespace aie4emu::pcie
