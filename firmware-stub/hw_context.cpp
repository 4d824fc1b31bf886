#include "firmware-stub/hw_context.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "firmware-stub/mailbox.hpp"
#include "hw/npu3/npu3_regs.hpp"
#include "hw/sim/log.hpp"

namespace aie4emu::fw {

const char* context_state_name(ContextState s)
{
    switch (s) {
    case ContextState::active: return "active";
    case ContextState::failed: return "failed";
    case ContextState::destroyed: return "destroyed";
    }
    return "?";
}

Outcome VfResources::create_partition(uint32_t col_start, uint32_t col_count, uint32_t& next_id)
{
    const std::string fn = npu3::function_name(fn_);
    if (col_count == 0 || col_start >= limits_.columns || col_count > limits_.columns - col_start) {
        AIE4_LOG(fw, fn, 0, "CREATE_PARTITION cols [{}, +{}) outside the VF's {} columns", col_start, col_count,
                 limits_.columns);
        return {msg::Status::error, 0};
    }
    const unsigned abs_start = limits_.first_column + col_start;
    for (const Partition& p : partitions_) {
        if (abs_start < p.col_start + p.col_count && p.col_start < abs_start + col_count) {
            AIE4_LOG(fw, fn, 0, "CREATE_PARTITION cols [{}, +{}) overlap partition {}", col_start, col_count, p.id);
            return {msg::Status::error, 0};
        }
    }
    if (next_id == 0)
        next_id = 1;
    Partition p{next_id++, abs_start, col_count};
    if (next_id == 0)
        next_id = 1;
    partitions_.push_back(p);
    return {msg::Status::success, p.id};
}

Outcome VfResources::destroy_partition(uint32_t id, const std::function<void(const HwContext&)>& gone)
{
    const auto it = std::find_if(partitions_.begin(), partitions_.end(), [&](const Partition& p) { return p.id == id; });
    if (it == partitions_.end()) {
        AIE4_LOG(fw, npu3::function_name(fn_), 0, "DESTROY_PARTITION of unknown partition {}", id);
        return {msg::Status::error, 0};
    }
    // The driver destroys contexts first; if it could not, take them down so
    // nothing keeps running on columns that are about to be reused.
    for (auto c = contexts_.begin(); c != contexts_.end();) {
        if (c->second.partition_id == id) {
            AIE4_LOG(fw, npu3::function_name(fn_), 0, "DESTROY_PARTITION {} takes live context {} down", id, c->first);
            c->second.state = ContextState::destroyed;
            gone(c->second);
            c = contexts_.erase(c);
        } else {
            ++c;
        }
    }
    partitions_.erase(it);
    return {msg::Status::success, 0};
}

Outcome VfResources::create_context(const msg::CreateHwContextReq& req, unsigned msix_vectors)
{
    const std::string fn = npu3::function_name(fn_);
    const auto part =
        std::find_if(partitions_.begin(), partitions_.end(), [&](const Partition& p) { return p.id == req.partition_id; });
    if (req.partition_id == 0 || part == partitions_.end()) {
        AIE4_LOG(fw, fn, 0, "CREATE_HW_CONTEXT on unknown partition {}", req.partition_id);
        return {msg::Status::error, 0};
    }
    // XRT asks for columns x core rows (docs/spec/queue-and-cert.md §6.2).
    const uint64_t max_tiles = uint64_t{part->col_count} * limits_.core_rows;
    if (req.request_num_tiles == 0 || req.request_num_tiles > max_tiles) {
        AIE4_LOG(fw, fn, 0, "CREATE_HW_CONTEXT num_tiles {} not in 1..{}", req.request_num_tiles, max_tiles);
        return {msg::Status::error, 0};
    }
    const unsigned max_contexts = std::min(limits_.max_contexts, limits_.doorbell_pages);
    if (contexts_.size() >= max_contexts) {
        AIE4_LOG(fw, fn, 0, "CREATE_HW_CONTEXT: limit of {} contexts reached", max_contexts);
        return {msg::Status::error, 0};
    }
    // The completion vector must differ from the mailbox vector (both are
    // requested unshared: docs/spec/driver-interface.md §1.3).
    std::vector<unsigned> vectors;
    for (unsigned v = 0; v < msix_vectors; ++v)
        if (v != limits_.i2x_msi_idx)
            vectors.push_back(v);
    if (vectors.empty()) {
        AIE4_LOG(fw, fn, 0, "CREATE_HW_CONTEXT: {} MSI-X vectors leave none for completions", msix_vectors);
        return {msg::Status::error, 0};
    }
    unsigned page = 0;
    while (page < limits_.doorbell_pages && context_by_doorbell(page) != nullptr)
        ++page;
    if (page >= limits_.doorbell_pages) {
        AIE4_LOG(fw, fn, 0, "CREATE_HW_CONTEXT: no free doorbell page");
        return {msg::Status::error, 0};
    }
    uint32_t id = next_context_id_;
    while (id == 0 || contexts_.count(id) != 0)
        ++id;
    next_context_id_ = id + 1;

    HwContext c;
    c.fn = fn_;
    c.id = id;
    c.partition_id = req.partition_id;
    c.num_tiles = req.request_num_tiles;
    c.hsa_addr = uint64_t{req.hsa_addr_high} << 32 | req.hsa_addr_low;
    c.pasid_field = req.pasid;
    c.priority_band = req.priority_band;
    c.doorbell_page = page;
    c.doorbell_offset = npu3::regs::doorbell_bar_offset(page);
    c.msix_vector = vectors[page % vectors.size()];
    c.state = ContextState::active;
    contexts_.emplace(id, c);
    return {msg::Status::success, id};
}

Outcome VfResources::destroy_context(uint32_t id, const std::function<void(const HwContext&)>& gone)
{
    const auto it = contexts_.find(id);
    if (it == contexts_.end()) {
        AIE4_LOG(fw, npu3::function_name(fn_), 0, "DESTROY_HW_CONTEXT of unknown context {}", id);
        return {msg::Status::error, 0};
    }
    it->second.state = ContextState::destroyed;
    gone(it->second);
    contexts_.erase(it);
    return {msg::Status::success, 0};
}

void VfResources::clear(const std::function<void(const HwContext&)>& gone)
{
    for (auto& [id, c] : contexts_) {
        c.state = ContextState::destroyed;
        gone(c);
    }
    contexts_.clear();
    partitions_.clear();
    next_context_id_ = 1;
}

HwContext* VfResources::context(uint32_t id)
{
    const auto it = contexts_.find(id);
    return it == contexts_.end() ? nullptr : &it->second;
}

HwContext* VfResources::context_by_doorbell(unsigned page)
{
    for (auto& [id, c] : contexts_)
        if (c.doorbell_page == page)
            return &c;
    return nullptr;
}

} // namespace aie4emu::fw
