// Manual interop check against a real vfio-user client (QEMU's
// vfio-user-pci): serves the test FakeFunction on a socket for N seconds,
// then prints the server's counters. Not part of the unit suite.
//   vfio-user-smoke-server /tmp/x.sock 10
#include "cli/number.hpp"
#include "tests/unit/vfio_user/test_support.hpp"

#include "hw/sim/log.hpp"

#include <fmt/core.h>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdlib>

int main(int argc, char** argv) {
    using namespace aie4emu::vfio_user;
    if (argc < 2) {
        fmt::print(stderr, "usage: {} SOCKET [SECONDS]\n", argv[0]);
        return 2;
    }
    const auto seconds = argc > 2 ? aie4emu::cli::parse_number<int>(argv[2]) : std::optional<int>(10);
    if (!seconds) {
        fmt::print(stderr, "{}: SECONDS must be a number\n", argv[0]);
        return 2;
    }
    aie4emu::log::enable("vfio");
    boost::asio::io_context io;
    test::FakeFunction fn("pf");
    fn.cfg[0x0a] = 0x80; // class 0x12 (processing accelerator), sub 0x00 at 0x0a/0x0b
    fn.cfg[0x0b] = 0x12;
    Server server(io, argv[1], fn);
    server.start();
    // After the guest firmware ran: one DMA through an fd-backed window
    // (guest RAM, the real-mode IVT at 0) and one through a message-based
    // window (the BIOS ROM's reset vector at 0xfffffff0, served by QEMU).
    boost::asio::steady_timer probe(io, std::chrono::seconds(3));
    probe.async_wait([&](boost::system::error_code ec) {
        if (ec || !fn.dma_)
            return;
        uint8_t ivt[8] = {}, reset[8] = {};
        const bool a = fn.dma_->read(0x0, ivt, sizeof(ivt));
        const bool b = fn.dma_->read(0xfffffff0, reset, sizeof(reset));
        fmt::print("dma ram@0 ok={} {:02x} {:02x} {:02x} {:02x}; rom@fffffff0 ok={} {:02x} {:02x} {:02x} {:02x}\n", a,
                   ivt[0], ivt[1], ivt[2], ivt[3], b, reset[0], reset[1], reset[2], reset[3]);
    });
    io.run_for(std::chrono::seconds(*seconds));
    const ServerStats s = server.stats();
    fmt::print("connections={} disconnects={} messages={} errors={} protocol_disconnects={} dma_windows={} "
               "connected={} config/bar accesses={}\n",
               s.connections, s.disconnects, s.messages, s.errors, s.protocol_disconnects, s.dma_windows,
               s.connected, fn.accesses.size());
    return 0;
}
