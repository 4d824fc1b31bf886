// The dispatch piece of the vfio-user server: what a received message
// means and what is answered.
//
// It checks the message type and fd count, refuses every command before
// VERSION, looks the command up in its handler table and turns the
// handler's Answer or RequestError into a reply (header with the request's
// id and command, ERROR flag and errno on refusal, nothing at all for a
// NO_REPLY request). An unexpected exception from a handler fails that
// request with EIO and is reported once (hw/sim/internal_error.hpp). Its own
// handlers are the device-level commands: VERSION negotiation,
// DEVICE_GET_INFO, DEVICE_GET_REGION_INFO (with the sparse-mmap capability
// for a BAR's memory-backed areas), REGION_READ/WRITE (split into naturally
// aligned accesses of the function) and DEVICE_RESET. The DMA and interrupt
// commands are routed here by the server to their pieces (route()).
//
// Why apart: every reply the client sees is decided here, and that can be
// checked with a fake function and a fake reply sink, without a socket.
#pragma once

#include "emu/vfio_user/message.hpp"
#include "hw/pcie/function.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace aie4emu::vfio_user {

// Where replies go (the transport in the server; a recorder in tests).
class ReplySink {
public:
    virtual ~ReplySink() = default;
    // Queue one whole message; `fds` are borrowed. False if an fd could not
    // be duplicated (nothing was queued).
    [[nodiscard]] virtual bool send(std::vector<uint8_t> bytes, const std::vector<int>& fds) = 0;
};

// What VERSION agreed with the client (defaults until then).
struct ClientLimits {
    uint64_t max_msg_fds = proto::kDefaultMaxMsgFds;
    uint64_t max_data_xfer_size = proto::kDefaultMaxDataXferSize;
    uint64_t max_dma_maps = limits::kMaxDmaMaps; // already capped at ours
};

class Dispatcher {
public:
    using Handler = std::function<Answer(Message&)>;
    using NegotiatedHook = std::function<void(const ClientLimits&)>;

    // `name` names the function in log lines; all three must outlive this.
    Dispatcher(const std::string& name, pcie::Function& fn, ReplySink& replies);

    // Serve `command` with `handler`. A protocol command without a handler
    // is refused with ENOTSUP; numbers outside the protocol with ENOSYS.
    void route(uint16_t command, Handler handler);
    // Called when VERSION is agreed, before its reply goes out.
    void on_negotiated(NegotiatedHook hook) { negotiated_hook_ = std::move(hook); }

    // Handle one message from the client; its fds close with it unless a
    // handler took them.
    void dispatch(Message& m);

    // A new client: not negotiated, default limits.
    void begin_session();

    [[nodiscard]] bool busy() const { return depth_ > 0; } // inside dispatch()
    [[nodiscard]] bool negotiated() const { return negotiated_; }
    [[nodiscard]] const ClientLimits& client_limits() const { return limits_; }
    [[nodiscard]] uint64_t messages() const { return messages_; }
    [[nodiscard]] uint64_t errors() const { return errors_; }

private:
    void handle(Message& m);
    void reply_ok(const Message& m, const Answer& a);
    void reply_error(const Message& m, int err, std::string_view why);

    Answer version(const Message& m);
    Answer device_info(const Message& m);
    Answer region_info(const Message& m);
    Answer region_access(Message& m, bool write);
    Answer reset(const Message& m);
    uint64_t region_size(uint32_t index) const;
    void access(uint32_t region, uint64_t offset, uint8_t* data, uint32_t count, bool write);

    struct SparseLayout;
    SparseLayout sparse_layout(unsigned bar, const pcie::BarInfo& info) const;

    const std::string& name_;
    pcie::Function& fn_;
    ReplySink& replies_;
    std::array<Handler, proto::kMigDataWrite + 1> table_; // indexed by command
    NegotiatedHook negotiated_hook_;
    bool negotiated_ = false;
    ClientLimits limits_;
    int depth_ = 0; // >0 while a request handler runs
    uint64_t messages_ = 0; // requests handled (good or bad)
    uint64_t errors_ = 0;   // requests answered with (or logged as) an error
};

} // namespace aie4emu::vfio_user
