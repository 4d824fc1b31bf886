// Every kind of malformed request gets an error reply or a logged
// disconnect of that client only, received fds are closed, and a second
// server on the same io_context keeps answering throughout.
#include "tests/unit/vfio_user/test_support.hpp"

#include "hw/sim/log.hpp"

#include <catch2/catch_test_macros.hpp>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <random>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;
namespace asio = boost::asio;

namespace {

struct TwoServers {
    asio::io_context io;
    TempDir dir;
    FakeFunction pf{"pf"};
    FakeFunction vf{"vf0", 4};
    Server pf_server{io, dir.path + "/pf.sock", pf};
    Server vf_server{io, dir.path + "/vf0.sock", vf};
    std::unique_ptr<Client> vf_client;

    TwoServers() {
        pf_server.start();
        vf_server.start();
        vf_client = std::make_unique<Client>(io, vf_server.socket_path());
        vf_client->handshake();
    }

    // The other server still answers, and the pf server still serves.
    void check_others_alive() {
        Reply r = vf_client->request(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0}));
        CHECK_FALSE(r.is_error());
        CHECK(r.at<p::DeviceInfo>().num_regions == 9);
        Client fresh(io, pf_server.socket_path());
        wait_pf_idle_or_connected();
        fresh.handshake();
        CHECK_FALSE(fresh.request(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0})).is_error());
    }

    void wait_pf_idle_or_connected() { pump(io, 20); }

    // Hang up a pf client and wait for the server to notice.
    void hang_up(Client& c) {
        c.close();
        for (int i = 0; i < 200 && pf_server.stats().connected; ++i)
            pump(io);
        CHECK_FALSE(pf_server.stats().connected);
    }
};

std::vector<uint8_t> hdr_bytes(uint16_t cmd, uint32_t size, uint32_t flags = 0, uint16_t id = 1) {
    p::Header h;
    h.id = id;
    h.command = cmd;
    h.size = size;
    h.flags = flags;
    return bytes_of(h);
}

void expect_error(Client& c, uint16_t cmd, const std::vector<uint8_t>& payload, int err,
                  const std::vector<int>& fds = {}) {
    INFO("command " << cmd << " payload " << payload.size() << " bytes");
    Reply r = c.request(cmd, payload, fds);
    CHECK(r.is_error());
    CHECK(r.hdr.error == static_cast<uint32_t>(err));
    CHECK(r.payload.empty());
    CHECK(r.fds.empty());
}

} // namespace

TEST_CASE("malformed requests get error replies and the connection keeps working", "[vfio_user][robustness]") {
    TwoServers s;
    Client c(s.io, s.pf_server.socket_path());

    SECTION("command before VERSION") {
        expect_error(c, p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0}), EINVAL);
    }
    SECTION("bad VERSION: short, wrong major, bad JSON, bad capability types, twice") {
        expect_error(c, p::kVersion, {0, 0}, EINVAL);
        expect_error(c, p::kVersion, bytes_of(p::VersionHead{1, 0}), ENOTSUP);
        for (std::string json : {"{not json", "[1,2]", R"({"capabilities":3})",
                                 R"({"capabilities":{"max_msg_fds":-1}})",
                                 R"({"capabilities":{"max_data_xfer_size":"big"}})",
                                 R"({"capabilities":{"max_data_xfer_size":0}})",
                                 R"({"capabilities":{"pgsizes":512}})",
                                 R"({"capabilities":{"write_multiple":1}})"}) {
            std::vector<uint8_t> v = bytes_of(p::VersionHead{0, 0});
            v.insert(v.end(), json.begin(), json.end());
            v.push_back(0);
            expect_error(c, p::kVersion, v, EINVAL);
        }
        c.handshake();
        expect_error(c, p::kVersion, bytes_of(p::VersionHead{0, 0}), EINVAL);
    }
    SECTION("after the handshake") {
        c.handshake();
        const p::DeviceInfo info{16, 0, 0, 0};

        // Payload size mismatches and argsz below the structure.
        expect_error(c, p::kDeviceGetInfo, std::vector<uint8_t>(12), EINVAL);
        expect_error(c, p::kDeviceGetInfo, bytes_of(p::DeviceInfo{8, 0, 0, 0}), EINVAL);
        expect_error(c, p::kDeviceGetRegionInfo, bytes_of(p::RegionInfo{8, 0, 0, 0, 0, 0}), EINVAL);
        expect_error(c, p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{4, 0, 2, 0}), EINVAL);
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{16, 3, 0, 0x1000, 0x1000}), EINVAL);
        expect_error(c, p::kDmaUnmap, std::vector<uint8_t>(8), EINVAL);
        expect_error(c, p::kDeviceSetIrqs, std::vector<uint8_t>(10), EINVAL);
        expect_error(c, p::kDeviceSetIrqs,
                     bytes_of(p::IrqSet{24, p::kIrqSetDataNone | p::kIrqSetActionTrigger, 2, 0, 1}), EINVAL);
        expect_error(c, p::kRegionWrite, bytes_of(p::RegionAccess{0, 7, 4}), EINVAL); // data missing
        expect_error(c, p::kRegionRead, std::vector<uint8_t>(8), EINVAL);

        // Unknown and unsupported commands.
        expect_error(c, 77, {}, ENOSYS);
        expect_error(c, 0, {}, ENOSYS);
        expect_error(c, p::kDmaRead, bytes_of(p::DmaAccess{0, 4}), ENOTSUP);
        expect_error(c, p::kDmaWrite, bytes_of(p::DmaAccess{0, 0}), ENOTSUP);
        expect_error(c, p::kDeviceGetRegionIoFds, std::vector<uint8_t>(16), ENOTSUP);
        expect_error(c, p::kDirtyPages, {}, ENOTSUP);
        expect_error(c, p::kMigDataRead, std::vector<uint8_t>(8), ENOTSUP);
        expect_error(c, p::kDeviceFeature, std::vector<uint8_t>(8), ENOTSUP);

        // Out-of-range regions and accesses.
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 9, 4}), EINVAL);
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 0xffffffff, 4}), EINVAL);
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{~0ull - 1, 0, 4}), EINVAL);
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0x10000, 0, 1}), EINVAL);
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 6, 4}), EINVAL); // ROM absent
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 8, 4}), EINVAL); // VGA absent
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 0, 2u << 20}), EINVAL); // > max xfer
        CHECK(s.pf.accesses.empty()); // nothing reached the function

        // Bad DMA maps.
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 3, 0, 0x1000, 0}), EINVAL);          // size 0
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 3, 0, ~0ull - 0xfff, 0x2000}), EINVAL); // wraps
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 0x80, 0, 0x1000, 0x1000}), EINVAL);  // flags
        expect_error(c, p::kDmaUnmap, bytes_of(p::DmaUnmap{24, p::kDmaUnmapFlagAll, 0x1000, 0}), EINVAL);
        expect_error(c, p::kDmaUnmap, bytes_of(p::DmaUnmap{24, p::kDmaUnmapFlagGetDirtyBitmap, 0, 0}), ENOTSUP);

        // Bad SET_IRQS flag combinations and ranges.
        expect_error(c, p::kDeviceSetIrqs,
                     bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetActionMask | p::kIrqSetActionUnmask, 2,
                                        0, 1}),
                     EINVAL);
        expect_error(c, p::kDeviceSetIrqs,
                     bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetDataBool | p::kIrqSetActionMask, 2, 0, 1}),
                     EINVAL);
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetActionTrigger, 9, 0, 1}),
                     EINVAL);
        expect_error(c, p::kDeviceSetIrqs,
                     bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetActionTrigger, 2, 0xffffffff, 2}), EINVAL);
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetActionMask, 1, 0, 1}),
                     EINVAL); // MSI has no vectors
        CHECK(s.pf.mask_calls.empty());

        // Reply flag set on a request; unknown message type.
        c.send(p::kDeviceGetInfo, bytes_of(info), {}, p::kFlagTypeReply, 42);
        auto r = c.recv();
        REQUIRE(r);
        CHECK(r->is_error());
        CHECK(r->hdr.id == 42);
        c.send(p::kDeviceGetInfo, bytes_of(info), {}, 0x7, 43);
        r = c.recv();
        REQUIRE(r);
        CHECK(r->is_error());

        // A NO_REPLY request that fails gets no reply but is counted.
        const auto errors = s.pf_server.stats().errors;
        c.send(p::kRegionWrite, bytes_of(p::RegionAccess{0, 9, 0}), {}, p::kFlagNoReply, 44);
        CHECK(c.silent_for(std::chrono::milliseconds(20)));
        CHECK(s.pf_server.stats().errors == errors + 1);
        // A good posted write reaches the function without a reply.
        std::vector<uint8_t> w = bytes_of(p::RegionAccess{0x10, 0, 4});
        w.insert(w.end(), {1, 2, 3, 4});
        c.send(p::kRegionWrite, w, {}, p::kFlagNoReply, 45);
        CHECK(c.silent_for(std::chrono::milliseconds(20)));
        REQUIRE(s.pf.accesses.size() == 1);
        CHECK(s.pf.accesses[0].value == 0x04030201);

        // Still in business.
        Reply ok = c.request(p::kDeviceGetInfo, bytes_of(info));
        CHECK_FALSE(ok.is_error());
        CHECK(s.pf_server.stats().connected);
        CHECK(s.pf_server.stats().protocol_disconnects == 0);
    }
    s.hang_up(c);
    s.check_others_alive();
}

TEST_CASE("fds are closed when a request is refused", "[vfio_user][robustness]") {
    TwoServers s;
    Client c(s.io, s.pf_server.socket_path());
    c.handshake();
    pump(s.io);
    const auto base = open_fd_count();

    std::vector<int> evs;
    for (int i = 0; i < 17; ++i)
        evs.push_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    int mem = ::memfd_create("guest-ram", MFD_CLOEXEC);
    REQUIRE(::ftruncate(mem, 0x2000) == 0);
    const uint32_t trig_fd = p::kIrqSetDataEventfd | p::kIrqSetActionTrigger;

    SECTION("fds with commands that take none") {
        expect_error(c, p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0}), EINVAL, {evs[0], evs[1]});
        expect_error(c, p::kDeviceReset, {}, EINVAL, {mem});
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 7, 4}), EINVAL, {evs[0]});
        expect_error(c, p::kDmaUnmap, bytes_of(p::DmaUnmap{24, 0, 0, 0x1000}), EINVAL, {mem});
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, p::kIrqSetDataNone | p::kIrqSetActionTrigger, 2, 0, 1}),
                     EINVAL, {evs[0]});
        expect_error(c, 99, {}, ENOSYS, {evs[0]}); // unknown command with an fd
        CHECK(s.pf.resets == 0);
    }
    SECTION("too many and too few fds") {
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, trig_fd, 2, 0, 8}), EINVAL, evs); // 17 > max
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, trig_fd, 2, 0, 3}), EINVAL, {evs[0], evs[1]});
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 3, 0, 0x1000, 0x1000}), EINVAL, {mem, mem});
    }
    SECTION("an fd that is not an eventfd, eventfds for mask actions") {
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, trig_fd, 2, 0, 1}), EINVAL, {mem});
        expect_error(c, p::kDeviceSetIrqs,
                     bytes_of(p::IrqSet{20, p::kIrqSetDataEventfd | p::kIrqSetActionMask, 2, 0, 1}), EINVAL, {evs[0]});
        expect_error(c, p::kDeviceSetIrqs, bytes_of(p::IrqSet{20, trig_fd, 2, 7, 2}), EINVAL, {evs[0], evs[1]});
    }
    SECTION("a DMA map the fd cannot back") {
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 3, 0x1000, 0x1000, 0x2000}), EINVAL, {mem});
        expect_error(c, p::kDmaMap, bytes_of(p::DmaMap{32, 3, 0, 0x1000, 0x1000}), ENODEV, {evs[0]});
    }
    for (int fd : evs)
        ::close(fd);
    ::close(mem);
    pump(s.io);
    CHECK(open_fd_count() == base);
    CHECK(s.pf_server.stats().dma_windows == 0);
    s.hang_up(c);
    s.check_others_alive();
}

TEST_CASE("unrecoverable input disconnects that client only", "[vfio_user][robustness]") {
    TwoServers s;
    auto run = [&](const std::vector<uint8_t>& bytes, bool close_after) {
        auto c = std::make_unique<Client>(s.io, s.pf_server.socket_path());
        c->handshake();
        const auto disconnects = s.pf_server.stats().disconnects;
        c->send_raw(bytes);
        if (close_after)
            c->close();
        else
            CHECK(c->wait_closed());
        for (int i = 0; i < 200 && s.pf_server.stats().disconnects == disconnects; ++i)
            pump(s.io);
        CHECK(s.pf_server.stats().disconnects == disconnects + 1);
        CHECK_FALSE(s.pf_server.stats().connected);
        CHECK(s.pf.dma_ == nullptr);
        s.check_others_alive();
    };
    SECTION("header size below 16") {
        run(hdr_bytes(p::kDeviceGetInfo, 8), false);
        CHECK(s.pf_server.stats().protocol_disconnects == 1);
    }
    SECTION("oversized message") {
        run(hdr_bytes(p::kRegionWrite, Server::kMaxMessageSize + 1), false);
        CHECK(s.pf_server.stats().protocol_disconnects == 1);
    }
    SECTION("huge size field") {
        run(hdr_bytes(p::kRegionWrite, 0xffffffffu), false);
        CHECK(s.pf_server.stats().protocol_disconnects == 1);
    }
    SECTION("short header then EOF") { run({1, 0, 4, 0, 32, 0}, true); }
    SECTION("truncated payload then EOF") {
        std::vector<uint8_t> b = hdr_bytes(p::kDeviceGetRegionInfo, 48);
        b.resize(b.size() + 10);
        run(b, true);
    }
}

TEST_CASE("random requests never crash the server", "[vfio_user][robustness]") {
    TwoServers s;
    std::mt19937 rng(1234);
    auto c = std::make_unique<Client>(s.io, s.pf_server.socket_path());
    c->handshake();
    int sent = 0;
    for (int i = 0; i < 400; ++i) {
        if (!s.pf_server.stats().connected && c->fd() >= 0) {
            pump(s.io, 20);
        }
        const uint16_t cmd = static_cast<uint16_t>(rng() % 20);
        if (cmd == p::kDeviceReset || cmd == p::kVersion)
            continue;
        std::vector<uint8_t> payload(rng() % 64);
        for (auto& b : payload)
            b = static_cast<uint8_t>(rng());
        // Keep region/irq indices small half of the time so deeper paths run.
        if (payload.size() >= 16 && rng() % 2) {
            payload[8] = static_cast<uint8_t>(rng() % 10);
            payload[9] = payload[10] = payload[11] = 0;
            if (cmd == p::kRegionRead || cmd == p::kRegionWrite) {
                payload[12] = static_cast<uint8_t>(rng() % 9);
                payload[13] = payload[14] = payload[15] = 0;
                for (int k = 2; k < 8; ++k)
                    payload[k] = 0;
            }
        }
        const uint16_t id = static_cast<uint16_t>(i);
        c->send(cmd, payload, {}, 0, id);
        ++sent;
        auto r = c->recv();
        REQUIRE(r); // every one of these is framed correctly: each gets a reply
        CHECK(r->hdr.id == id);
    }
    CHECK(s.pf_server.stats().connected);
    CHECK(s.pf_server.stats().messages >= static_cast<uint64_t>(sent));
    s.hang_up(*c);
    s.check_others_alive();
}

TEST_CASE("error and disconnect log lines name the function", "[vfio_user][robustness]") {
    TwoServers s;
    std::vector<std::string> lines;
    aie4emu::log::enable("vfio");
    aie4emu::log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    {
        Client c(s.io, s.pf_server.socket_path());
        c.handshake();
        expect_error(c, p::kRegionRead, bytes_of(p::RegionAccess{0, 9, 4}), EINVAL);
        s.vf_client->send_raw(hdr_bytes(p::kDeviceGetInfo, 4)); // unrecoverable on vf0
        CHECK(s.vf_client->wait_closed());
        pump(s.io, 20);
    }
    aie4emu::log::set_sink(nullptr);
    aie4emu::log::disable_all();
    auto has = [&](std::string_view a, std::string_view b) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
        });
    };
    CHECK(has("[vfio] pf", "REGION_READ"));
    CHECK(has("[vfio] pf", "region index 9"));
    CHECK(has("[vfio] vf0", "smaller than the header"));
    CHECK_FALSE(has("[vfio] pf", "smaller than the header"));
    CHECK(s.vf_server.stats().protocol_disconnects == 1);
    CHECK(s.pf_server.stats().protocol_disconnects == 0);
}
