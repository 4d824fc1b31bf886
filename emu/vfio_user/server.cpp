// The server composes the four pieces (server.hpp lists them) and keeps
// them in step over a client's life: a connection starts every piece's
// session and attaches the function to the DMA and interrupt pieces; a
// disconnect detaches it and ends every session; messages go from the
// transport to the dispatcher, replies and message-based DMA back through
// the transport.
#include "emu/vfio_user/server.hpp"

#include "emu/vfio_user/dispatch.hpp"
#include "emu/vfio_user/dma.hpp"
#include "emu/vfio_user/irq.hpp"
#include "emu/vfio_user/transport.hpp"

#include <utility>

namespace aie4emu::vfio_user {

namespace p = proto;
using stream = boost::asio::local::stream_protocol;

struct Server::Impl final : Transport::Events, ReplySink, ClientChannel {
    Impl(boost::asio::io_context& io, std::string path, pcie::Function& fn)
        : fn(fn), name(fn.name()),
          transport(std::make_shared<Transport>(io, std::move(path), name, static_cast<Transport::Events&>(*this))),
          dispatcher(name, fn, *this), dma(name, *this), irqs(name, fn) {
        dispatcher.route(p::kDmaMap, [this](Message& m) { return dma.map(m); });
        dispatcher.route(p::kDmaUnmap, [this](Message& m) { return dma.unmap(m); });
        dispatcher.route(p::kDeviceGetIrqInfo, [this](Message& m) { return irqs.info(m); });
        dispatcher.route(p::kDeviceSetIrqs, [this](Message& m) { return irqs.set(m); });
        dispatcher.on_negotiated([this](const ClientLimits& l) {
            dma.set_client_limits(l.max_data_xfer_size, l.max_dma_maps);
        });
    }

    pcie::Function& fn;
    const std::string name;
    std::shared_ptr<Transport> transport; // shared: its pending completion handlers hold it
    Dispatcher dispatcher;
    DmaController dma;
    Interrupts irqs;

    // ---- Transport::Events --------------------------------------------------
    void on_connected() override {
        dispatcher.begin_session();
        dma.begin_session();
        irqs.begin_session();
        fn.attach(&dma, &irqs);
    }

    void on_message(Message& m) override { dispatcher.dispatch(m); }

    // A lost client (it closed the socket, was dropped, or the host disconnected it) also
    // resets the function, as the host's vfio-pci resets a device when its last user closes
    // it: the VM's contexts and queues must not outlive the VM. Not when the server itself
    // stops (the emulator is going away or the VF is being disabled).
    void on_disconnected(std::string_view why) override {
        const bool had_user = dispatcher.negotiated();
        fn.attach(nullptr, nullptr);
        const size_t windows = dma.end_session();
        irqs.end_session();
        dispatcher.begin_session();
        vlog(name, "client disconnected ({}); {} DMA windows unmapped", why, windows);
        if (had_user && !stopping) {
            ++client_loss_resets;
            vlog(name, "function reset: its client went away");
            fn.reset();
        }
    }

    bool stopping = false;            // Server::stop: a disconnect then resets nothing
    uint64_t client_loss_resets = 0;

    // ---- ReplySink, ClientChannel: both through the transport ------------------
    bool send(std::vector<uint8_t> bytes, const std::vector<int>& fds) override {
        return transport->send(std::move(bytes), fds);
    }

    Result exchange(std::vector<uint8_t> request, std::chrono::steady_clock::time_point deadline,
                    Message& reply) override {
        switch (transport->exchange(std::move(request), deadline, reply)) {
        case Transport::Exchange::kReply: return Result::kReply;
        case Transport::Exchange::kGone: return Result::kGone;
        case Transport::Exchange::kSendStalled: return Result::kSendStalled;
        case Transport::Exchange::kNoReply: return Result::kNoReply;
        }
        return Result::kGone;
    }
};

Server::Server(boost::asio::io_context& io, std::string socket_path, pcie::Function& function)
    : impl_(std::make_unique<Impl>(io, std::move(socket_path), function)) {}

Server::~Server() {
    impl_->stopping = true;
    impl_->transport->stop();
}

void Server::start() {
    impl_->stopping = false;
    impl_->transport->start();
}
void Server::stop() {
    impl_->stopping = true;
    impl_->transport->stop();
}
void Server::serve(stream::socket connected) { impl_->transport->serve(std::move(connected)); }

void Server::disconnect_client() {
    if (!impl_->transport->connected())
        return;
    // From inside a request the function may be in the middle of a call:
    // drop from the io_context instead.
    if (impl_->dispatcher.busy())
        impl_->transport->drop("disconnected by the host");
    else
        impl_->transport->disconnect("disconnected by the host");
}

void Server::set_message_dma_timeout(std::chrono::milliseconds timeout) { impl_->dma.set_message_timeout(timeout); }

ServerStats Server::stats() const {
    const TransportStats t = impl_->transport->stats();
    ServerStats s;
    s.connections = t.connections;
    s.disconnects = t.disconnects;
    s.messages = impl_->dispatcher.messages();
    s.errors = impl_->dispatcher.errors() + t.framing_errors;
    s.protocol_disconnects = t.protocol_disconnects;
    s.client_loss_resets = impl_->client_loss_resets;
    s.dma_faults = impl_->dma.faults();
    s.irqs_fired = impl_->irqs.fired();
    s.irqs_dropped = impl_->irqs.dropped();
    s.connected = t.connected;
    s.dma_windows = impl_->dma.table().size();
    return s;
}

const std::string& Server::socket_path() const { return impl_->transport->socket_path(); }
const DmaTable& Server::dma_table() const { return impl_->dma.table(); }

} // namespace aie4emu::vfio_user
