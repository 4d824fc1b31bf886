#include "guest-driver/lib/umq_writer.hpp"

#include "guest-driver/include/xrt_umq_layout.hpp"
#include "guest-driver/lib/bytes.hpp"

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace aie4emu::guest {

namespace {

std::atomic_ref<std::uint64_t> index_at(std::span<std::uint8_t> memory, std::uint32_t offset)
{
    // The constructor checked the BO base is 8-byte aligned and every index offset is.
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(memory.data() + offset));
}

} // namespace

std::optional<QueueLayout> parse_queue_layout(const std::string& name)
{
    return aie4emu::cli::find_choice<QueueLayout>(kQueueLayouts, name);
}

const char* queue_layout_name(QueueLayout layout)
{
    for (const auto& c : kQueueLayouts)
        if (c.value == layout)
            return c.name.data();
    return "?";
}

QueueGeometry queue_geometry(QueueLayout layout)
{
    if (layout == QueueLayout::xrt_v1) {
        namespace q = umq::xrt_v1;
        return {q::header_size, q::write_index_offset, q::data_address_offset, q::version_major,
                q::version_minor, q::capacity, q::bo_size};
    }
    namespace q = umq::kernel_v0;
    return {q::header_size, q::write_index_offset, q::data_address_offset, q::version_major,
            q::version_minor, q::capacity, q::header_size + q::capacity * umq::slot_size};
}

UmqWriter::UmqWriter(std::span<std::uint8_t> memory, std::uint64_t xdna_addr, QueueLayout layout)
    : memory_(memory), xdna_addr_(xdna_addr), layout_(layout), geometry_(queue_geometry(layout))
{
    if (memory_.size() < geometry_.bo_size)
        throw std::invalid_argument("queue BO smaller than the layout needs");
    if (reinterpret_cast<std::uintptr_t>(memory_.data()) % alignof(std::uint64_t) != 0)
        throw std::invalid_argument("queue BO mapping not 8-byte aligned");
}

void UmqWriter::initialise()
{
    std::memset(memory_.data(), 0, geometry_.bo_size);
    store_le<std::uint16_t>(memory_, umq::xrt_v1::version_major_offset, geometry_.version_major);
    store_le<std::uint16_t>(memory_, umq::xrt_v1::version_minor_offset, geometry_.version_minor);
    store_le<std::uint32_t>(memory_, umq::xrt_v1::capacity_offset, geometry_.capacity);
    store_le<std::uint64_t>(memory_, geometry_.data_address_offset, data_address());

    if (layout_ == QueueLayout::xrt_v1) {
        // Indirect buffers: each gets the common header the shim pre-fills once.
        namespace q = umq::xrt_v1;
        const std::uint32_t base = q::header_size + q::indirect_offset_from_data;
        for (std::uint32_t i = 0; i < q::indirect_uc_count * q::capacity; ++i) {
            const std::uint32_t off = base + i * q::indirect_entry_size;
            memory_[off + umq::slot_type_offset] = umq::slot_type_vendor_specific;
            memory_[off + umq::slot_opcode_offset] = umq::slot_opcode_exec_buf;
            store_le<std::uint16_t>(memory_, off + umq::slot_count_offset, umq::exec_buf_size);
            memory_[off + umq::slot_distribute_offset] = 1;
            memory_[off + umq::slot_indirect_offset] = 0;
        }
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

std::uint64_t UmqWriter::read_index() const
{
    return index_at(memory_, umq::xrt_v1::read_index_offset).load(std::memory_order_acquire);
}

std::uint64_t UmqWriter::write_index() const
{
    return index_at(memory_, geometry_.write_index_offset).load(std::memory_order_acquire);
}

bool UmqWriter::indices_valid() const
{
    const std::uint64_t wi = write_index();
    const std::uint64_t ri = read_index();
    return wi >= ri && wi - ri <= geometry_.capacity;
}

std::uint64_t UmqWriter::outstanding() const
{
    const std::uint64_t wi = write_index();
    const std::uint64_t ri = read_index();
    return wi >= ri ? wi - ri : 0;
}

std::optional<std::uint64_t> UmqWriter::begin_packet(std::uint32_t outstanding_limit) const
{
    const std::uint64_t wi = write_index();
    const std::uint64_t ri = read_index();
    if (wi < ri || wi - ri > geometry_.capacity)
        return std::nullopt;
    std::uint64_t limit = geometry_.capacity;
    if (outstanding_limit != 0 && outstanding_limit < limit)
        limit = outstanding_limit;
    if (wi - ri >= limit)
        return std::nullopt;
    return wi;
}

std::span<const std::uint8_t> UmqWriter::slot(std::uint64_t seq) const
{
    const std::uint64_t index = seq & (geometry_.capacity - 1);
    return std::span<const std::uint8_t>(memory_).subspan(geometry_.header_size + index * umq::slot_size,
                                                          umq::slot_size);
}

void UmqWriter::publish(std::uint64_t seq)
{
    // Full fence so every slot store is visible before the device can see the new index.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    index_at(memory_, geometry_.write_index_offset).store(seq + 1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

std::optional<std::uint64_t> UmqWriter::submit_exec_buf(const ExecBuf& exec, std::uint64_t completion_signal,
                                                        bool chain_more, std::uint32_t outstanding_limit)
{
    const auto seq = begin_packet(outstanding_limit);
    if (!seq)
        return std::nullopt;
    const std::uint64_t off = geometry_.header_size + (*seq & (geometry_.capacity - 1)) * umq::slot_size;
    auto pkt = memory_.subspan(off, umq::slot_size);

    // Payload first: zeroed, then filled (XRT fill_direct_exec_buf).
    auto data = pkt.subspan(umq::slot_data_offset);
    std::memset(data.data(), 0, umq::exec_buf_size);
    store_le<std::uint32_t>(data, umq::exec_dtrace_low_offset, static_cast<std::uint32_t>(exec.dtrace_addr));
    store_le<std::uint32_t>(data, umq::exec_ctrlcode_low_offset, static_cast<std::uint32_t>(exec.control_code_addr));
    store_le<std::uint32_t>(data, umq::exec_ctrlcode_high_offset,
                            static_cast<std::uint32_t>(exec.control_code_addr >> 32));
    store_le<std::uint16_t>(data, umq::exec_args_len_offset, 0);
    store_le<std::uint16_t>(data, umq::exec_dtrace_high_offset, static_cast<std::uint16_t>(exec.dtrace_addr >> 32));

    store_le<std::uint16_t>(pkt, umq::slot_count_offset, umq::exec_buf_size);
    pkt[umq::slot_distribute_offset] = 0;
    pkt[umq::slot_indirect_offset] = 0;
    pkt[umq::slot_opcode_offset] = umq::slot_opcode_exec_buf;
    pkt[umq::slot_chain_flag_offset] = chain_more ? 1 : 0;
    store_le<std::uint64_t>(pkt, umq::slot_completion_signal_offset, completion_signal);
    pkt[umq::slot_type_offset] = umq::slot_type_vendor_specific;
    publish(*seq);
    return seq;
}

std::optional<std::uint64_t> UmqWriter::submit_raw(std::uint8_t opcode, std::uint64_t completion_signal,
                                                   std::uint32_t outstanding_limit)
{
    const auto seq = begin_packet(outstanding_limit);
    if (!seq)
        return std::nullopt;
    const std::uint64_t off = geometry_.header_size + (*seq & (geometry_.capacity - 1)) * umq::slot_size;
    auto pkt = memory_.subspan(off, umq::slot_size);
    std::memset(pkt.data(), 0, umq::slot_size);
    pkt[umq::slot_opcode_offset] = opcode;
    store_le<std::uint64_t>(pkt, umq::slot_completion_signal_offset, completion_signal);
    pkt[umq::slot_type_offset] = umq::slot_type_vendor_specific;
    publish(*seq);
    return seq;
}

} // namespace aie4emu::guest
