// The seam between a PCI function model and whatever transports it to a
// guest. emu/vfio_user talks to this interface and nothing else; hw/npu3
// builds its PF and VFs on top of it. Nothing here knows about sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aie4emu::pcie {

// Bus-master access to the memory of the VM a function is attached to.
// Addresses are guest bus addresses (guest-physical without a vIOMMU).
// A range that is not wholly mapped fails as a whole: the caller reports
// a DMA fault, nothing is partially written and nothing crashes.
class DmaSpace {
public:
    virtual ~DmaSpace() = default;
    [[nodiscard]] virtual bool read(uint64_t addr, void* dst, size_t len) = 0;
    [[nodiscard]] virtual bool write(uint64_t addr, const void* src, size_t len) = 0;
};

// Where MSI-X messages go once the function decides to send one (after its
// own function-mask / vector-mask / PBA handling). The transport owns it.
class InterruptSink {
public:
    virtual ~InterruptSink() = default;
    virtual void msix_fire(unsigned vector) = 0;
};

// Part of a BAR that is plain memory and may be mapped straight into the
// guest (vfio-user sparse mmap). The fd is a memfd owned by the function.
struct MmapArea {
    uint64_t offset = 0;    // within the BAR
    uint64_t size = 0;
    int fd = -1;
    uint64_t fd_offset = 0;
};

struct BarInfo {
    uint64_t size = 0;            // 0: BAR not implemented
    bool mem64 = false;           // 64-bit memory BAR (consumes the next slot)
    bool prefetchable = false;
    std::vector<MmapArea> mmap_areas;
};

// A PCI(e) function as seen from the bus: config space, BARs, MSI-X, reset.
// All calls come from the single simulation thread.
class Function {
public:
    virtual ~Function() = default;

    // Short name used in logs and socket names: "pf", "vf0", ...
    [[nodiscard]] virtual const std::string& name() const = 0;

    // Config space (4 KiB, PCIe). Accesses are 1, 2 or 4 bytes, naturally
    // aligned; anything else reads as all-ones / is ignored.
    [[nodiscard]] virtual uint32_t config_read(uint32_t offset, unsigned size) = 0;
    virtual void config_write(uint32_t offset, unsigned size, uint32_t value) = 0;

    // BARs 0..5. bar_info(i).size == 0 means absent (or the upper half of a
    // 64-bit BAR).
    [[nodiscard]] virtual BarInfo bar_info(unsigned bar) const = 0;
    // Region access of 1, 2, 4 or 8 bytes. Out-of-range offsets are the
    // caller's bug to report; the function returns all-ones / ignores.
    [[nodiscard]] virtual uint64_t bar_read(unsigned bar, uint64_t offset, unsigned size) = 0;
    virtual void bar_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) = 0;

    // Number of MSI-X vectors the function implements (table size).
    [[nodiscard]] virtual unsigned msix_vectors() const = 0;

    // The transport tells the function about the VM on the other side.
    // Either may be nullptr while no client is connected: DMA then fails
    // and interrupts are latched as pending.
    virtual void attach(DmaSpace* dma, InterruptSink* irq) = 0;

    // Transport-level vector masking (VFIO_IRQ_SET_ACTION_MASK/UNMASK).
    // A masked vector latches its PBA bit; unmasking delivers it.
    virtual void set_vector_masked(unsigned vector, bool masked) = 0;

    // Function-level reset (FLR, or vfio-user DEVICE_RESET).
    virtual void reset() = 0;
};

} // namespace aie4emu::pcie
