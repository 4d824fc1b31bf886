// A vfio-user server (QEMU docs/interop/vfio-user.rst) for ONE PCI function
// on ONE UNIX socket. QEMU's vfio-user-pci device is the client.
//
// Threading: everything runs on the io_context passed in (the simulation
// thread). The function is only called from handlers on that io_context,
// so no locks. The Server must be destroyed before the io_context, and the
// Function must outlive the Server.
//
// Clients: one at a time. While a client is connected the server does not
// accept(); a second client's connect() succeeds (kernel backlog) but it
// stays pending, unanswered, until the first disconnects; then it is
// accepted and served. A client may disconnect and another connect without
// restarting the server. On disconnect the function gets
// attach(nullptr, nullptr), every DMA window is unmapped and every IRQ
// eventfd is closed; device state is otherwise kept (spec "Client
// Disconnection").
//
// Robustness: a malformed request gets an error reply (header only, ERROR
// flag, errno in the error field) and a log line; a message the stream
// cannot recover from (header size below 16 or above the limit, socket
// error) disconnects that client only. Received fds are closed on every
// path that does not keep them. Requests with the NO_REPLY flag never get a
// reply, not even an error reply (QEMU posts such writes and would not
// expect one); their errors are logged and counted.
//
// DMA windows without an fd are served with DMA_READ / DMA_WRITE messages
// to the client, synchronously: the simulation thread blocks (bounded by
// kMessageDmaTimeout) until the client answers, and client requests that
// arrive meanwhile are queued and handled afterwards. QEMU answers these
// from a main-loop bottom half, but waits for our replies holding the BQL
// (hw/vfio-user/proxy.c vfio_user_send_wait): message-based DMA while a
// vCPU waits on a non-posted request stalls both sides until a timeout and
// the DMA fails. QEMU only sends fd-less maps for ROM-like ranges when
// guest RAM is a shared memfd backend (the launcher's setup), so the
// device's ordinary DMA always takes the mmap path.
//
// Pieces (each in its own files, each tested alone; this class only
// composes them and keeps the connection's lifecycle in step):
//   transport.hpp  socket, accept, framing, fds in and out, the server's
//                  own requests to the client (exchange)
//   dispatch.hpp   command table, VERSION, device and region info, region
//                  access, reset, reply building
//   dma.hpp        DMA_MAP/UNMAP and guest memory access (on dma_table.hpp)
//   irq.hpp        IRQ info, SET_IRQS eventfds, MSI-X signalling
// and message.hpp, the vocabulary they share.
//
// Limits: a client that shrinks a mapped memfd after DMA_MAP can make a
// later DMA access SIGBUS (the size is checked at map time only). Received
// MSI-X eventfds are switched to O_NONBLOCK so firing never blocks.
#pragma once

#include "emu/vfio_user/dma_table.hpp"
#include "emu/vfio_user/message.hpp"
#include "hw/pcie/function.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace aie4emu::vfio_user {

struct ServerStats {
    uint64_t connections = 0;   // clients accepted so far
    uint64_t disconnects = 0;
    uint64_t messages = 0;      // requests handled (good or bad)
    uint64_t errors = 0;        // requests answered with (or logged as) an error
    uint64_t protocol_disconnects = 0; // clients dropped for unrecoverable input
    uint64_t client_loss_resets = 0;   // function resets because a client went away
    uint64_t dma_faults = 0;    // DmaSpace accesses refused
    uint64_t irqs_fired = 0;    // eventfd writes
    uint64_t irqs_dropped = 0;  // msix_fire with no eventfd set
    bool connected = false;
    size_t dma_windows = 0;
};

class Server {
public:
    // Limits advertised in the VERSION reply (defined in message.hpp).
    static constexpr uint64_t kMaxMsgFds = limits::kMaxMsgFds;
    static constexpr uint64_t kMaxDataXferSize = limits::kMaxDataXferSize;
    static constexpr uint64_t kMaxDmaMaps = limits::kMaxDmaMaps;
    static constexpr uint64_t kPgsizes = limits::kPgsizes;
    static constexpr uint32_t kMaxMessageSize = limits::kMaxMessageSize;
    static constexpr size_t kMaxQueuedReplyBytes = limits::kMaxQueuedReplyBytes;
    static constexpr std::chrono::milliseconds kMessageDmaTimeout = limits::kMessageDmaTimeout;

    Server(boost::asio::io_context& io, std::string socket_path, pcie::Function& function);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Bind (replacing a stale socket file) and listen. Throws
    // boost::system::system_error when the path cannot be bound.
    void start();
    // Disconnect the client (function detached), stop listening, remove the
    // socket file. Idempotent; the destructor calls it.
    void stop();

    // Serve an already-connected socket as the client (tests, fuzzing,
    // socket activation). Refused (closed, logged) while a client is
    // connected.
    void serve(boost::asio::local::stream_protocol::socket connected);

    // Drop the current client, if any, as if it had disconnected. From
    // inside a Function callback the drop is deferred to the io_context.
    void disconnect_client();

    // How long message-based DMA waits for the client (default
    // kMessageDmaTimeout). The simulation thread is blocked meanwhile.
    void set_message_dma_timeout(std::chrono::milliseconds timeout);

    [[nodiscard]] ServerStats stats() const;
    [[nodiscard]] const std::string& socket_path() const;
    [[nodiscard]] const DmaTable& dma_table() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace aie4emu::vfio_user
