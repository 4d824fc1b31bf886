#pragma once
// Producer side of one user-mode queue, laid out either as XRT 2.25 does (queue v1.0,
// 128-byte header) or as the kernel's struct host_queue_header (32 bytes). It only writes
// memory; ringing the doorbell is the caller's job (see device.hpp), so the writer runs on
// a plain buffer in host unit tests.

#include "cli/choice.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace aie4emu::guest {

enum class QueueLayout { xrt_v1, kernel_v0 };

// The layouts by name, as command lines accept them.
inline constexpr aie4emu::cli::Choice<QueueLayout> kQueueLayouts[] = {
    {"xrt", QueueLayout::xrt_v1, "XRT 2.25 queue v1.0, 128-byte header (default)"},
    {"kernel", QueueLayout::kernel_v0, "the 7.3.4 kernel's 32-byte header"},
};
std::optional<QueueLayout> parse_queue_layout(const std::string& name); // a name of kQueueLayouts
const char* queue_layout_name(QueueLayout layout);

struct QueueGeometry {
    std::uint32_t header_size;
    std::uint32_t write_index_offset;
    std::uint32_t data_address_offset;
    std::uint16_t version_major;
    std::uint16_t version_minor;
    std::uint32_t capacity;
    std::uint32_t bo_size; // bytes the queue BO must have
};

QueueGeometry queue_geometry(QueueLayout layout);

// The 24-byte direct payload (exec_buf) of an EXEC_BUF packet.
struct ExecBuf {
    std::uint64_t control_code_addr = 0; // xdna address of the uC's control code
    std::uint64_t dtrace_addr = 0;       // 0 unless dtrace is on
};

class UmqWriter {
public:
    // memory: the mmapped queue BO; xdna_addr: its device address from GET_BO_INFO.
    // Throws std::invalid_argument if memory is smaller than the layout needs or misaligned.
    UmqWriter(std::span<std::uint8_t> memory, std::uint64_t xdna_addr, QueueLayout layout);

    // Zero the BO and write the header (and, for XRT layout, pre-fill the indirect buffers
    // exactly as the shim does).
    void initialise();

    QueueLayout layout() const { return layout_; }
    const QueueGeometry& geometry() const { return geometry_; }
    std::uint64_t xdna_addr() const { return xdna_addr_; }
    std::uint64_t data_address() const { return xdna_addr_ + geometry_.header_size; }

    std::uint64_t read_index() const;  // device-written
    std::uint64_t write_index() const;

    // Indices as XRT validates them: wi >= ri and wi - ri <= capacity.
    bool indices_valid() const;
    // Packets published but not yet consumed by the device (0 when indices are invalid).
    std::uint64_t outstanding() const;

    // Publish one direct EXEC_BUF packet (XRT 2.25 submission order, docs/spec/queue-and-cert.md §4.3):
    // payload, opcode, chain flag, completion signal, type, full fence, write_index + 1.
    // Returns the command's sequence number (write_index before the increment), or nullopt
    // if the queue is full (outstanding >= limit) or the indices are invalid.
    std::optional<std::uint64_t> submit_exec_buf(const ExecBuf& exec, std::uint64_t completion_signal,
                                                 bool chain_more = false,
                                                 std::uint32_t outstanding_limit = 0);

    // Publish a packet with an arbitrary opcode and no payload (error-path tests).
    std::optional<std::uint64_t> submit_raw(std::uint8_t opcode, std::uint64_t completion_signal,
                                            std::uint32_t outstanding_limit = 0);

    // Whether the command with this sequence number is done according to read_index.
    bool completed(std::uint64_t seq) const { return read_index() > seq; }

    std::span<const std::uint8_t> slot(std::uint64_t seq) const;

private:
    std::optional<std::uint64_t> begin_packet(std::uint32_t outstanding_limit) const;
    void publish(std::uint64_t seq);

    std::span<std::uint8_t> memory_;
    std::uint64_t xdna_addr_;
    QueueLayout layout_;
    QueueGeometry geometry_;
};

} // namespace aie4emu::guest
