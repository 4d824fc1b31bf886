// The DMA piece of the vfio-user server: the client's DMA_MAP and
// DMA_UNMAP requests, and the device's bus-master reads and writes of
// guest memory (pcie::DmaSpace).
//
// It owns the DmaTable (dma_table.hpp: the windows and the address lookup,
// no protocol) and adds what needs the protocol: decoding the map requests,
// refused-access counting, and "message based" windows, which have no fd
// and are served by asking the client with DMA_READ / DMA_WRITE through a
// ClientChannel, synchronously (the simulation thread blocks until the
// answer or the timeout; server.hpp explains why that is rare).
//
// Why apart: an address outside the guest's windows must be a refused
// access, never a crash, and that can be checked here with a table and a
// fake client, without a socket or a device.
#pragma once

#include "emu/vfio_user/dma_table.hpp"
#include "emu/vfio_user/message.hpp"
#include "hw/pcie/function.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace aie4emu::vfio_user {

// How the DMA piece reaches the client for message-based windows (the
// transport in the server; a fake in tests).
class ClientChannel {
public:
    enum class Result {
        kReply,       // the reply arrived
        kGone,        // no client
        kSendStalled, // the client did not read the request in time
        kNoReply,     // no reply in time
    };
    virtual ~ClientChannel() = default;
    // Send `request` (a whole message) and wait for the reply with its id
    // and command until `deadline`.
    virtual Result exchange(std::vector<uint8_t> request, std::chrono::steady_clock::time_point deadline,
                            Message& reply) = 0;
};

class DmaController final : public pcie::DmaSpace {
public:
    // `name` names the function in log lines; both must outlive this.
    DmaController(const std::string& name, ClientChannel& client);

    // DMA_MAP: 0 or 1 fd (borrowed; the mapping outlives it). DMA_UNMAP:
    // one window, or all with the ALL flag. Throw RequestError on refusal.
    Answer map(const Message& m);
    Answer unmap(const Message& m);

    // A new client: default limits, no windows.
    void begin_session();
    // The client is gone: unmap every window; returns how many there were.
    size_t end_session();
    // From VERSION negotiation: the client's largest data transfer (chunks
    // of message DMA) and the number of windows it may map.
    void set_client_limits(uint64_t max_data_xfer_size, uint64_t max_windows);
    // How long message-based DMA waits for the client.
    void set_message_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

    // pcie::DmaSpace: false (and a counted, rate-limited log line) unless
    // every byte is inside a window that allows the access.
    [[nodiscard]] bool read(uint64_t addr, void* dst, size_t len) override;
    [[nodiscard]] bool write(uint64_t addr, const void* src, size_t len) override;

    [[nodiscard]] const DmaTable& table() const { return table_; }
    [[nodiscard]] uint64_t faults() const { return faults_; }

private:
    void fault(const char* what, uint64_t addr, size_t len);
    bool transfer(bool write, uint64_t addr, uint8_t* buf, size_t len);
    bool message_dma(bool write, uint64_t addr, uint8_t* buf, size_t len);

    const std::string& name_;
    ClientChannel& client_;
    DmaTable table_{limits::kMaxDmaMaps};
    uint64_t client_max_xfer_ = proto::kDefaultMaxDataXferSize;
    std::chrono::milliseconds timeout_ = limits::kMessageDmaTimeout;
    uint16_t next_request_id_ = 0;
    uint64_t faults_ = 0;
    std::vector<DmaTable::Segment> segs_; // scratch
};

} // namespace aie4emu::vfio_user
