// Partitions and hardware contexts of one VF: the table the management
// messages fill and CERT (the per-queue command processor) reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "firmware-stub/aie4_messages.hpp"
#include "hw/npu3/firmware_port.hpp"

namespace aie4emu::fw {

struct Partition {
    uint32_t id = 0;            // never 0, unique across the device
    unsigned col_start = 0;     // absolute array column
    unsigned col_count = 0;
};

enum class ContextState : uint8_t { active, failed, destroyed };
[[nodiscard]] const char* context_state_name(ContextState s);

struct HwContext {
    npu3::FunctionIndex fn = 0;
    uint32_t id = 0;                 // never 0, unique within the VF
    uint32_t partition_id = 0;
    uint32_t num_tiles = 0;
    uint64_t hsa_addr = 0;           // device address of the UMQ (host_queue_header)
    uint32_t pasid_field = 0;        // as sent: PASID | VALID bit
    uint32_t priority_band = 0;
    unsigned doorbell_page = 0;      // 0-based, counted from the first doorbell page
    uint32_t doorbell_offset = 0;    // VF BAR2 byte offset reported to the host
    unsigned msix_vector = 0;        // job completion vector
    ContextState state = ContextState::active;

    // PASID-tagged DMA is wanted; false for PASID 0xFFFFF ("none").
    [[nodiscard]] bool has_pasid() const
    {
        return (pasid_field & msg::kPasidValid) != 0 && (pasid_field & msg::kPasidMask) != msg::kPasidNone;
    }
    [[nodiscard]] uint32_t pasid() const { return pasid_field & msg::kPasidMask; }
};

// Limits of one VF (emulator choices; the driver does not fix any).
struct VfLimits {
    unsigned first_column = 0;     // absolute column of the VF's slice
    unsigned columns = 3;          // slice width
    unsigned core_rows = 4;        // request_num_tiles <= partition columns x core_rows
    unsigned max_contexts = 32;    // also bounded by doorbell pages
    unsigned doorbell_pages = 0;   // pages in VF BAR2 (hw/npu3/npu3_regs.hpp kVfDoorbellPages)
    unsigned i2x_msi_idx = 0;      // never handed out as a completion vector
};

struct Outcome {
    msg::Status status = msg::Status::success;
    uint32_t value = 0;           // id on success
};

class VfResources {
public:
    VfResources(npu3::FunctionIndex fn, VfLimits limits) : fn_(fn), limits_(limits) {}

    // `col_start`/`col_count` relative to the VF's slice. `next_id` is the
    // device-wide partition id counter (ids never 0).
    Outcome create_partition(uint32_t col_start, uint32_t col_count, uint32_t& next_id);
    // Destroys the partition's live contexts first (reported through `gone`).
    Outcome destroy_partition(uint32_t id, const std::function<void(const HwContext&)>& gone);
    // `msix_vectors`: the VF's MSI-X table size now.
    Outcome create_context(const msg::CreateHwContextReq& req, unsigned msix_vectors);
    Outcome destroy_context(uint32_t id, const std::function<void(const HwContext&)>& gone);
    // Drop everything (VF reset / teardown); each live context goes to `gone`.
    void clear(const std::function<void(const HwContext&)>& gone);

    [[nodiscard]] HwContext* context(uint32_t id);
    [[nodiscard]] HwContext* context_by_doorbell(unsigned page);
    [[nodiscard]] const std::map<uint32_t, HwContext>& contexts() const { return contexts_; }
    [[nodiscard]] const std::vector<Partition>& partitions() const { return partitions_; }
    [[nodiscard]] const VfLimits& limits() const { return limits_; }

private:
    npu3::FunctionIndex fn_;
    VfLimits limits_;
    std::vector<Partition> partitions_;
    std::map<uint32_t, HwContext> contexts_;   // live (active or failed)
    uint32_t next_context_id_ = 1;
};

} // namespace aie4emu::fw
