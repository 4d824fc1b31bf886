// A PCI Express endpoint function model: the concrete base of every function
// the emulator serves (hw/npu3 derives its PF and VF from it).
//
// It owns what is the same for any PCIe endpoint:
//   - the 4 KiB type-0 configuration space, with a write mask and an RW1C mask
//     per byte, so every byte is RO, RW or RW1C exactly as declared;
//   - the capability list (PCI Express v2 endpoint with FLR, Power Management,
//     MSI-X) and the extended list at 0x100 (SR-IOV on a PF);
//   - BAR sizing (write all-ones, read back the size mask; 32- and 64-bit);
//   - the MSI-X table and PBA inside a BAR, function mask, per-vector mask,
//     transport mask, pending bits;
//   - bus-master gating of DMA and MSI-X;
//   - FLR (Initiate FLR in Device Control) and transport reset.
// Everything else in a BAR is the derived class's (region_read/region_write).
//
// Declarative: a FunctionSpec describes the function; the constructor builds
// the config space from it and never changes its shape afterwards.
#pragma once

#include "hw/pcie/function.hpp"
#include "hw/pcie/pci_regs.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aie4emu::pcie {

struct BarSpec {
    uint64_t size = 0;            // power of two >= 16; 0 = not implemented
    bool mem64 = false;           // 64-bit: the next BAR slot is its upper half
    bool prefetchable = false;
    std::vector<MmapArea> mmap_areas; // plain-memory parts (ignored for VF BARs)
};

struct MsixSpec {
    unsigned vectors = 0;         // 0 = no MSI-X capability
    unsigned bar = 0;             // BAR holding table and PBA
    uint32_t table_offset = 0;    // 8-byte aligned
    uint32_t pba_offset = 0;      // 8-byte aligned
    // Whether the Mask bit of a table entry gates delivery. Clear it when the
    // transport's client emulates the table itself: QEMU's vfio-user-pci
    // keeps its own copy of the table (guest table accesses never reach the
    // function, only PBA reads do), so the entries here would stay masked
    // forever; per-vector masking then arrives through set_vector_masked()
    // or as the client's own eventfd handling. MSI-X Enable and Function Mask
    // (config space, which QEMU forwards) always apply.
    bool entry_masks = true;
};

// SR-IOV extended capability of a PF (PCIe Base 4.0 §9.3.3).
struct SriovSpec {
    uint16_t total_vfs = 0;       // 0 = no SR-IOV capability. InitialVFs == TotalVFs.
    uint16_t first_vf_offset = 1;
    uint16_t vf_stride = 1;
    uint16_t vf_device_id = 0;
    uint32_t supported_page_sizes = regs::kSriovPgsize4K;
    std::array<BarSpec, regs::kNumBars> vf_bars{}; // per-VF sizes
    // PCIe says an FLR of the PF clears VF Enable (the VFs vanish). Set this
    // when SR-IOV is owned by the host rather than by the guest that holds the
    // PF (QEMU hides the capability from that guest), so a PF reset does not
    // pull VFs out from under other VMs.
    bool keep_on_reset = false;
};

struct FunctionSpec {
    std::string name;             // "pf", "vf0", ...
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    uint8_t revision = 0;
    uint32_t class_code = 0;      // 24 bits: base class, subclass, prog-if
    uint16_t subsystem_vendor_id = 0;
    uint16_t subsystem_id = 0;
    std::array<BarSpec, regs::kNumBars> bars{};
    MsixSpec msix;
    SriovSpec sriov;
    bool flr = true;              // Device Capabilities: Function Level Reset
    uint8_t link_width = 4;       // Link Capabilities/Status width (xN)
};

struct MsixCounters {
    uint64_t fired = 0;           // messages handed to the InterruptSink
    uint64_t latched = 0;         // raised while masked: PBA bit set
    uint64_t dropped = 0;         // raised with MSI-X disabled / bus master off / bad vector
};

class EndpointFunction : public Function {
public:
    // Throws std::invalid_argument when the spec is inconsistent (BAR size not
    // a power of two, 64-bit BAR in slot 5, MSI-X table outside its BAR...).
    explicit EndpointFunction(FunctionSpec spec);
    ~EndpointFunction() override;
    EndpointFunction(const EndpointFunction&) = delete;
    EndpointFunction& operator=(const EndpointFunction&) = delete;

    // ---- pcie::Function -------------------------------------------------
    [[nodiscard]] const std::string& name() const override { return spec_.name; }
    [[nodiscard]] uint32_t config_read(uint32_t offset, unsigned size) override;
    void config_write(uint32_t offset, unsigned size, uint32_t value) override;
    [[nodiscard]] BarInfo bar_info(unsigned bar) const override;
    [[nodiscard]] uint64_t bar_read(unsigned bar, uint64_t offset, unsigned size) override;
    void bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) override;
    [[nodiscard]] unsigned msix_vectors() const override { return spec_.msix.vectors; }
    void attach(DmaSpace* dma, InterruptSink* irq) override;
    void set_vector_masked(unsigned vector, bool masked) override;
    void reset() override;

    // ---- For the device model --------------------------------------------
    // Send MSI-X `vector`: delivered, latched in the PBA, or dropped (MSI-X
    // disabled, bus mastering off, vector out of range), with a log line for
    // the dropped cases.
    void msix_raise(unsigned vector);
    [[nodiscard]] bool msix_enabled() const;
    [[nodiscard]] bool msix_function_masked() const;
    [[nodiscard]] bool msix_vector_masked(unsigned vector) const; // entry Mask bit
    [[nodiscard]] bool msix_pending(unsigned vector) const;
    [[nodiscard]] const MsixCounters& msix_counters() const { return msix_counters_; }

    // Bus-master DMA of this function: fails while Command.BME is clear or no
    // VM is attached. Never null. A failed transfer sets Status.Received
    // Master Abort.
    [[nodiscard]] DmaSpace& dma();
    [[nodiscard]] bool bus_master() const;
    [[nodiscard]] bool memory_enabled() const;

    // Offset of a standard / extended capability, 0 if absent.
    [[nodiscard]] uint32_t find_capability(uint8_t id) const;
    [[nodiscard]] uint32_t find_ext_capability(uint16_t id) const;

    // SR-IOV state as the capability shows it.
    [[nodiscard]] uint16_t sriov_total_vfs() const { return spec_.sriov.total_vfs; }
    [[nodiscard]] uint16_t sriov_num_vfs() const;
    [[nodiscard]] bool sriov_vf_enabled() const;
    // Host-side change of NumVFs / VF Enable + VF MSE (the control plane):
    // updates the capability without calling on_sriov_vf_enable().
    // num_vfs is clamped to TotalVFs.
    void sriov_set_state(uint16_t num_vfs, bool enabled);

    [[nodiscard]] const FunctionSpec& spec() const { return spec_; }

protected:
    // The non-MSI-X part of a BAR. Bounds, BAR presence and access size
    // (1, 2, 4 or 8) are already checked.
    [[nodiscard]] virtual uint64_t region_read(unsigned bar, uint64_t offset, unsigned size);
    virtual void region_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value);
    // After the config space and MSI-X state went back to power-on values.
    virtual void on_reset() {}
    // A guest config write (or a PF reset) changed VF Enable.
    virtual void on_sriov_vf_enable(bool enabled, uint16_t num_vfs);
    // After any accepted config write (for traces).
    virtual void on_config_write(uint32_t offset, unsigned size, uint32_t value);

    void log(const std::string& msg) const;

private:
    class GatedDma;

    // Raw little-endian access to the config image (construction and checks).
    [[nodiscard]] uint32_t get(uint32_t offset, unsigned size) const;
    void set(uint32_t offset, unsigned size, uint32_t value);
    void set_wmask(uint32_t offset, unsigned size, uint32_t mask);
    void set_w1cmask(uint32_t offset, unsigned size, uint32_t mask);
    [[nodiscard]] uint16_t get16(uint32_t o) const { return static_cast<uint16_t>(get(o, 2)); }

    uint32_t add_capability(uint8_t id, uint32_t size);
    uint32_t add_ext_capability(uint16_t id, uint8_t version, uint32_t size);
    void build_header();
    void build_bars(uint32_t base, const std::array<BarSpec, regs::kNumBars>& bars, bool vf);
    void build_pcie_cap();
    void build_pm_cap();
    void build_msix_cap();
    void build_sriov_cap();
    void validate_spec() const;

    [[nodiscard]] bool in_range(uint32_t offset, unsigned size, uint32_t reg, uint32_t len) const;
    [[nodiscard]] bool msix_table_hit(unsigned bar, uint64_t offset, unsigned size) const;
    [[nodiscard]] bool msix_pba_hit(unsigned bar, uint64_t offset, unsigned size) const;
    [[nodiscard]] bool msix_blocked(unsigned vector) const;
    uint64_t msix_table_read(uint64_t offset, unsigned size) const;
    void msix_table_write(uint64_t offset, unsigned size, uint64_t value);
    uint64_t msix_pba_read(uint64_t offset, unsigned size) const;
    void msix_deliver_pending();
    void msix_reset();
    void dma_failed(const char* what, uint64_t addr, size_t len);

    FunctionSpec spec_;
    std::array<uint8_t, regs::kConfigSpaceSize> cfg_{};
    std::array<uint8_t, regs::kConfigSpaceSize> wmask_{};
    std::array<uint8_t, regs::kConfigSpaceSize> w1cmask_{};
    std::array<uint8_t, regs::kConfigSpaceSize> power_on_{};
    uint32_t next_cap_ = regs::kFirstCapOffset;
    uint32_t last_cap_ = 0;
    uint32_t next_ext_cap_ = regs::kFirstExtCapOffset;
    uint32_t last_ext_cap_ = 0;
    uint32_t exp_cap_ = 0;
    uint32_t pm_cap_ = 0;
    uint32_t msix_cap_ = 0;
    uint32_t sriov_cap_ = 0;
    std::array<bool, regs::kNumBars> bar_is_upper_half_{};

    std::vector<uint8_t> msix_table_;       // vectors * 16 bytes
    std::vector<bool> msix_pending_;
    std::vector<bool> msix_transport_mask_;
    MsixCounters msix_counters_;

    DmaSpace* dma_ = nullptr;
    InterruptSink* irq_ = nullptr;
    std::unique_ptr<GatedDma> gated_dma_;
};

} // namespace aie4emu::pcie
