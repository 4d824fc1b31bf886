// The vfio-user server against an in-test client over a real socket path:
// handshake, device/region/IRQ info, region routing, DMA through DmaSpace,
// MSI-X eventfds, reset, reconnects.
#include "tests/unit/vfio_user/test_support.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch_test_macros.hpp>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;
namespace asio = boost::asio;

namespace {

struct Fixture {
    asio::io_context io;
    TempDir dir;
    FakeFunction fn{"pf"};
    Server server{io, dir.path + "/pf.sock", fn};
    Fixture() { server.start(); }
};

uint64_t eventfd_value(int fd) {
    uint64_t v = 0;
    if (::read(fd, &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v)))
        return 0;
    return v;
}

constexpr uint32_t kRW = p::kDmaMapFlagRead | p::kDmaMapFlagWrite;

} // namespace

TEST_CASE("VERSION handshake returns our capabilities as NUL-terminated JSON", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    std::vector<uint8_t> payload = bytes_of(p::VersionHead{0, 3}); // a newer client minor
    const std::string caps = R"({"capabilities":{"max_msg_fds":8,"max_data_xfer_size":65536,"pgsizes":4096,)"
                             R"("max_dma_maps":100,"migration":{"pgsize":4096},"write_multiple":true}})";
    payload.insert(payload.end(), caps.begin(), caps.end());
    payload.push_back(0);
    Reply r = c.request(p::kVersion, payload);
    REQUIRE_FALSE(r.is_error());
    const auto head = r.at<p::VersionHead>();
    CHECK(head.major == 0);
    CHECK(head.minor == 0); // never above what we speak
    REQUIRE(r.payload.back() == 0);
    const std::string text(reinterpret_cast<const char*>(r.payload.data() + 4), r.payload.size() - 5);
    auto doc = boost::json::parse(text).as_object();
    auto& cap = doc.at("capabilities").as_object();
    CHECK(cap.at("max_msg_fds").to_number<uint64_t>() == Server::kMaxMsgFds);
    CHECK(cap.at("max_msg_fds").to_number<uint64_t>() <= p::kQemuMaxMaxMsgFds);
    CHECK(cap.at("max_data_xfer_size").to_number<uint64_t>() == Server::kMaxDataXferSize);
    CHECK(cap.at("pgsizes").to_number<uint64_t>() == 4096);
    CHECK(cap.at("max_dma_maps").to_number<uint64_t>() == 100); // the client's lower limit
    CHECK_FALSE(cap.contains("migration"));
    CHECK(f.server.stats().connected);
    CHECK(f.fn.dma_ != nullptr);
    CHECK(f.fn.irq_ != nullptr);
}

TEST_CASE("DEVICE_GET_INFO reports a resettable PCI device with 9 regions and 5 IRQ types", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    Reply r = c.request(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0}));
    REQUIRE_FALSE(r.is_error());
    const auto info = r.at<p::DeviceInfo>();
    CHECK(info.argsz == 16);
    CHECK(info.flags == (p::kDeviceFlagPci | p::kDeviceFlagReset));
    CHECK(info.num_regions == 9);
    CHECK(info.num_irqs == 5);
}

TEST_CASE("DEVICE_GET_REGION_INFO describes config, BARs with sparse mmap and the fd, absent regions",
          "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();

    SECTION("config space") {
        Reply r = c.request(p::kDeviceGetRegionInfo, region_info_req(7));
        REQUIRE_FALSE(r.is_error());
        const auto info = r.at<p::RegionInfo>();
        CHECK(info.index == 7);
        CHECK(info.size == 4096);
        CHECK(info.flags == (p::kRegionFlagRead | p::kRegionFlagWrite));
        CHECK(r.fds.empty());
    }
    SECTION("BAR0: too small argsz gets the needed size and no fd, then the full answer") {
        Reply small = c.request(p::kDeviceGetRegionInfo, region_info_req(0));
        REQUIRE_FALSE(small.is_error());
        const auto s = small.at<p::RegionInfo>();
        const uint32_t needed = sizeof(p::RegionInfo) + sizeof(p::CapHeader) + sizeof(p::SparseMmapHead) +
                                2 * sizeof(p::SparseMmapArea);
        CHECK(s.argsz == needed);
        CHECK((s.flags & p::kRegionFlagCaps) == 0); // no cap in this reply
        CHECK(s.cap_offset == 0);
        CHECK(small.payload.size() == sizeof(p::RegionInfo));
        CHECK(small.fds.empty());

        Reply r = c.request(p::kDeviceGetRegionInfo, region_info_req(0, needed));
        REQUIRE_FALSE(r.is_error());
        REQUIRE(r.payload.size() == needed);
        const auto info = r.at<p::RegionInfo>();
        CHECK(info.size == 0x10000);
        CHECK(info.flags ==
              (p::kRegionFlagRead | p::kRegionFlagWrite | p::kRegionFlagMmap | p::kRegionFlagCaps));
        REQUIRE(info.cap_offset == sizeof(p::RegionInfo));
        const auto cap = r.at<p::CapHeader>(info.cap_offset);
        CHECK(cap.id == p::kRegionCapSparseMmap);
        CHECK(cap.version == 1);
        CHECK(cap.next == 0);
        const auto head = r.at<p::SparseMmapHead>(info.cap_offset + sizeof(p::CapHeader));
        REQUIRE(head.nr_areas == 2);
        const size_t areas_at = info.cap_offset + sizeof(p::CapHeader) + sizeof(p::SparseMmapHead);
        const auto a0 = r.at<p::SparseMmapArea>(areas_at);
        const auto a1 = r.at<p::SparseMmapArea>(areas_at + sizeof(p::SparseMmapArea));
        CHECK(a0.offset == 0x2000);
        CHECK(a0.size == 0x2000);
        CHECK(a1.offset == 0x8000);
        CHECK(a1.size == 0x1000);
        // fd file offset = region offset + area offset: the fake puts BAR
        // offset 0x2000 at file offset 0x3000.
        CHECK(info.offset + a0.offset == 0x3000);

        // The passed fd is the function's memfd: what the client writes
        // through its mapping shows in the function's memory.
        REQUIRE(r.fds.size() == 1);
        struct stat a {}, b {};
        REQUIRE(::fstat(r.fds[0], &a) == 0);
        REQUIRE(::fstat(f.fn.bar0_memfd, &b) == 0);
        CHECK(a.st_ino == b.st_ino);
        void* mapped = ::mmap(nullptr, a0.size, PROT_READ | PROT_WRITE, MAP_SHARED, r.fds[0],
                              static_cast<off_t>(info.offset + a0.offset));
        REQUIRE(mapped != MAP_FAILED);
        static_cast<uint8_t*>(mapped)[5] = 0xa5;
        ::munmap(mapped, a0.size);
        uint8_t back = 0;
        REQUIRE(::pread(f.fn.bar0_memfd, &back, 1, 0x3005) == 1);
        CHECK(back == 0xa5);
    }
    SECTION("BAR2 has no mmap areas; BAR1, BAR3, ROM and VGA are size 0") {
        Reply r2 = c.request(p::kDeviceGetRegionInfo, region_info_req(2, 512));
        CHECK(r2.at<p::RegionInfo>().size == 0x1000);
        CHECK(r2.at<p::RegionInfo>().flags == (p::kRegionFlagRead | p::kRegionFlagWrite));
        CHECK(r2.fds.empty());
        for (uint32_t idx : {1u, 3u, 4u, 5u, 6u, 8u}) {
            Reply r = c.request(p::kDeviceGetRegionInfo, region_info_req(idx, 512));
            REQUIRE_FALSE(r.is_error());
            CHECK(r.at<p::RegionInfo>().size == 0);
            CHECK(r.at<p::RegionInfo>().flags == 0);
            CHECK(r.fds.empty());
        }
    }
    SECTION("index 9 is refused") {
        Reply r = c.request(p::kDeviceGetRegionInfo, region_info_req(9));
        CHECK(r.is_error());
        CHECK(r.hdr.error == EINVAL);
        CHECK(r.payload.empty());
    }
}

TEST_CASE("config space accesses are split into naturally aligned 1/2/4-byte calls", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    using A = FakeFunction::Access;

    Reply w = c.request(p::kRegionWrite, region_rw(7, 0x41, 7, {1, 2, 3, 4, 5, 6, 7}));
    REQUIRE_FALSE(w.is_error());
    CHECK(w.at<p::RegionAccess>().count == 7);
    CHECK(f.fn.accesses == std::vector<A>{
                               {true, 0, 0x41, 1, 0x01, true},
                               {true, 0, 0x42, 2, 0x0302, true},
                               {true, 0, 0x44, 4, 0x07060504, true},
                           });
    f.fn.accesses.clear();

    Reply r = c.request(p::kRegionRead, region_rw(7, 0x40, 8));
    REQUIRE_FALSE(r.is_error());
    REQUIRE(r.payload.size() == sizeof(p::RegionAccess) + 8);
    CHECK(f.fn.accesses.size() == 2);
    CHECK(f.fn.accesses[0].size == 4);
    CHECK(f.fn.accesses[1].offset == 0x44);
    const std::vector<uint8_t> data(r.payload.begin() + 16, r.payload.end());
    CHECK(data == std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7});

    Reply id = c.request(p::kRegionRead, region_rw(7, 0, 4));
    CHECK(id.at<uint32_t>(16) == 0x17b01022u); // vendor/device from the fake

    Reply past = c.request(p::kRegionRead, region_rw(7, 4095, 2));
    CHECK(past.is_error());
    CHECK(past.hdr.error == EINVAL);
}

TEST_CASE("BAR accesses are split into naturally aligned 1/2/4/8-byte calls", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    using A = FakeFunction::Access;

    std::vector<uint8_t> data(16);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<uint8_t>(0x10 + i);
    Reply w = c.request(p::kRegionWrite, region_rw(0, 0x104, 16, data));
    REQUIRE_FALSE(w.is_error());
    CHECK(f.fn.accesses == std::vector<A>{
                               {false, 0, 0x104, 4, 0x13121110, true},
                               {false, 0, 0x108, 8, 0x1b1a191817161514, true},
                               {false, 0, 0x110, 4, 0x1f1e1d1c, true},
                           });
    f.fn.accesses.clear();

    Reply r = c.request(p::kRegionRead, region_rw(2, 0x7, 3));
    REQUIRE_FALSE(r.is_error());
    CHECK(f.fn.accesses == std::vector<A>{
                               {false, 2, 0x7, 1, FakeFunction::pattern(0x7, 1), false},
                               {false, 2, 0x8, 2, FakeFunction::pattern(0x8, 2), false},
                           });
    CHECK(std::vector<uint8_t>(r.payload.begin() + 16, r.payload.end()) == std::vector<uint8_t>{0x07, 0x08, 0x09});
    f.fn.accesses.clear();

    Reply q = c.request(p::kRegionRead, region_rw(2, 0x0, 8));
    CHECK(f.fn.accesses.size() == 1);
    CHECK(q.at<uint64_t>(16) == FakeFunction::pattern(0, 8));

    Reply out = c.request(p::kRegionRead, region_rw(2, 0xffc, 8));
    CHECK(out.is_error());
    Reply absent = c.request(p::kRegionWrite, region_rw(1, 0, 4, {1, 2, 3, 4}));
    CHECK(absent.is_error());
    CHECK(absent.hdr.error == EINVAL);
}

TEST_CASE("DMA_MAP with a memfd lets the function DMA; DMA_UNMAP takes it away", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    int mem = ::memfd_create("guest-ram", MFD_CLOEXEC);
    REQUIRE(::ftruncate(mem, 0x4000) == 0);

    // Two adjacent windows from one file, one read-only window after a gap.
    REQUIRE_FALSE(c.request(p::kDmaMap, dma_map_req(0x100000, 0x1000, 0x0, kRW), {mem}).is_error());
    REQUIRE_FALSE(c.request(p::kDmaMap, dma_map_req(0x101000, 0x1000, 0x1000, kRW), {mem}).is_error());
    REQUIRE_FALSE(
        c.request(p::kDmaMap, dma_map_req(0x200000, 0x1000, 0x3000, p::kDmaMapFlagRead), {mem}).is_error());
    CHECK(f.server.stats().dma_windows == 3);
    REQUIRE(f.fn.dma_ != nullptr);

    // A write spanning the two adjacent windows lands in the file.
    std::vector<uint8_t> src(0x20);
    for (size_t i = 0; i < src.size(); ++i)
        src[i] = static_cast<uint8_t>(0xc0 + i);
    REQUIRE(f.fn.dma_->write(0x100ff0, src.data(), src.size()));
    std::vector<uint8_t> file(0x20);
    REQUIRE(::pread(mem, file.data(), file.size(), 0xff0) == 0x20);
    CHECK(file == src);

    // And reads back through DmaSpace.
    std::vector<uint8_t> back(0x20);
    REQUIRE(f.fn.dma_->read(0x100ff0, back.data(), back.size()));
    CHECK(back == src);

    // Read-only window: reads work, writes are refused and change nothing.
    const uint8_t marker = 0x5a;
    REQUIRE(::pwrite(mem, &marker, 1, 0x3010) == 1);
    uint8_t got = 0;
    CHECK(f.fn.dma_->read(0x200010, &got, 1));
    CHECK(got == marker);
    const uint8_t evil = 0xee;
    CHECK_FALSE(f.fn.dma_->write(0x200010, &evil, 1));
    REQUIRE(::pread(mem, &got, 1, 0x3010) == 1);
    CHECK(got == marker);

    // Holes and ranges running off a window fail as a whole.
    CHECK_FALSE(f.fn.dma_->read(0x0, &got, 1));
    CHECK_FALSE(f.fn.dma_->read(0x101ff0, back.data(), back.size())); // into the gap after 0x102000
    const auto faults = f.server.stats().dma_faults;
    CHECK(faults >= 3);

    // Overlapping map is EEXIST; unmapping a range that is not a window is ENOENT.
    Reply dup = c.request(p::kDmaMap, dma_map_req(0x100800, 0x1000, 0, kRW), {mem});
    CHECK(dup.is_error());
    CHECK(dup.hdr.error == EEXIST);
    Reply nf = c.request(p::kDmaUnmap, dma_unmap_req(0x100000, 0x2000));
    CHECK(nf.is_error());
    CHECK(nf.hdr.error == ENOENT);

    // Unmap: the reply echoes the request; DMA then fails.
    Reply un = c.request(p::kDmaUnmap, dma_unmap_req(0x101000, 0x1000));
    REQUIRE_FALSE(un.is_error());
    CHECK(un.at<p::DmaUnmap>().address == 0x101000);
    CHECK(un.at<p::DmaUnmap>().size == 0x1000);
    CHECK_FALSE(f.fn.dma_->read(0x101000, &got, 1));
    CHECK(f.fn.dma_->read(0x100000, &got, 1));

    // Unmap-all.
    REQUIRE_FALSE(c.request(p::kDmaUnmap, dma_unmap_req(0, 0, p::kDmaUnmapFlagAll)).is_error());
    CHECK(f.server.stats().dma_windows == 0);
    CHECK_FALSE(f.fn.dma_->read(0x100000, &got, 1));

    // A window past the end of the file is refused up front (it would SIGBUS).
    Reply big = c.request(p::kDmaMap, dma_map_req(0x300000, 0x10000, 0, kRW), {mem});
    CHECK(big.is_error());
    CHECK(big.hdr.error == EINVAL);
    ::close(mem);
}

TEST_CASE("message-based DMA windows are served with DMA_READ/DMA_WRITE to the client", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    REQUIRE_FALSE(c.request(p::kDmaMap, dma_map_req(0x40000, 0x1000, 0, kRW)).is_error());

    // The client's memory, served by a helper thread while the simulation
    // thread (this one) is blocked in DmaSpace.
    std::vector<uint8_t> guest(0x1000);
    for (size_t i = 0; i < guest.size(); ++i)
        guest[i] = static_cast<uint8_t>(i * 7);
    auto serve_one = [&] {
        std::thread t([&] {
            Reply req;
            size_t got = 0;
            while (got < sizeof(req.hdr)) {
                ssize_t n = ::recv(c.fd(), reinterpret_cast<uint8_t*>(&req.hdr) + got, sizeof(req.hdr) - got, 0);
                if (n <= 0)
                    return;
                got += static_cast<size_t>(n);
            }
            req.payload.resize(req.hdr.size - sizeof(req.hdr));
            got = 0;
            while (got < req.payload.size()) {
                ssize_t n = ::recv(c.fd(), req.payload.data() + got, req.payload.size() - got, 0);
                if (n <= 0)
                    return;
                got += static_cast<size_t>(n);
            }
            const auto acc = req.at<p::DmaAccess>();
            std::vector<uint8_t> rep;
            p::Header h = req.hdr;
            h.flags = p::kFlagTypeReply;
            const uint64_t off = acc.address - 0x40000;
            if (req.hdr.command == p::kDmaRead) {
                h.size = static_cast<uint32_t>(sizeof(h) + sizeof(acc) + acc.count);
                put(rep, h);
                put(rep, acc);
                rep.insert(rep.end(), guest.begin() + static_cast<long>(off),
                           guest.begin() + static_cast<long>(off + acc.count));
            } else {
                std::memcpy(guest.data() + off, req.payload.data() + sizeof(acc), acc.count);
                h.size = static_cast<uint32_t>(sizeof(h) + sizeof(acc));
                put(rep, h);
                put(rep, acc);
            }
            (void)::send(c.fd(), rep.data(), rep.size(), MSG_NOSIGNAL);
        });
        return t;
    };

    std::vector<uint8_t> buf(0x40);
    auto t1 = serve_one();
    CHECK(f.fn.dma_->read(0x40100, buf.data(), buf.size()));
    t1.join();
    CHECK(std::equal(buf.begin(), buf.end(), guest.begin() + 0x100));

    std::vector<uint8_t> src(0x30, 0x77);
    auto t2 = serve_one();
    CHECK(f.fn.dma_->write(0x40200, src.data(), src.size()));
    t2.join();
    CHECK(std::all_of(guest.begin() + 0x200, guest.begin() + 0x230, [](uint8_t b) { return b == 0x77; }));

    // The connection still answers normally afterwards.
    CHECK_FALSE(c.request(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0})).is_error());
}

TEST_CASE("requests that arrive during message DMA are answered afterwards; a silent client times out",
          "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    REQUIRE_FALSE(c.request(p::kDmaMap, dma_map_req(0x40000, 0x1000, 0, kRW)).is_error());

    SECTION("a request sent before the DMA reply is queued, then answered") {
        std::thread t([&] {
            p::Header req{};
            size_t got = 0;
            while (got < sizeof(req)) {
                ssize_t n = ::recv(c.fd(), reinterpret_cast<uint8_t*>(&req) + got, sizeof(req) - got, 0);
                if (n <= 0)
                    return;
                got += static_cast<size_t>(n);
            }
            std::vector<uint8_t> body(req.size - sizeof(req));
            if (!body.empty() && ::recv(c.fd(), body.data(), body.size(), MSG_WAITALL) != static_cast<ssize_t>(body.size()))
                return;
            // A client request overtakes the DMA reply.
            p::Header info{};
            info.id = 555;
            info.command = p::kDeviceGetInfo;
            info.size = sizeof(info) + sizeof(p::DeviceInfo);
            std::vector<uint8_t> out;
            put(out, info);
            put(out, p::DeviceInfo{16, 0, 0, 0});
            p::Header rep = req;
            rep.flags = p::kFlagTypeReply;
            rep.size = static_cast<uint32_t>(sizeof(rep) + sizeof(p::DmaAccess) + 4);
            put(out, rep);
            put(out, p::DmaAccess{0x40010, 4});
            out.insert(out.end(), {0xde, 0xad, 0xbe, 0xef});
            (void)::send(c.fd(), out.data(), out.size(), MSG_NOSIGNAL);
        });
        uint8_t buf[4] = {};
        const bool ok = f.fn.dma_->read(0x40010, buf, 4);
        t.join();
        CHECK(ok);
        CHECK(buf[0] == 0xde);
        CHECK(buf[3] == 0xef);
        auto r = c.recv();
        REQUIRE(r);
        CHECK(r->hdr.id == 555);
        CHECK_FALSE(r->is_error());
        CHECK(r->at<p::DeviceInfo>().num_regions == 9);
    }
    SECTION("no answer: the DMA fails after the timeout and a late reply is ignored") {
        f.server.set_message_dma_timeout(std::chrono::milliseconds(30));
        uint8_t buf[4] = {};
        const auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(f.fn.dma_->read(0x40010, buf, 4));
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
        CHECK(f.server.stats().dma_faults >= 1);
        auto req = c.recv(); // the DMA_READ we did not answer
        REQUIRE(req);
        CHECK(req->hdr.command == p::kDmaRead);
        p::Header rep = req->hdr;
        rep.flags = p::kFlagTypeReply;
        rep.size = static_cast<uint32_t>(sizeof(rep) + sizeof(p::DmaAccess) + 4);
        std::vector<uint8_t> late;
        put(late, rep);
        put(late, p::DmaAccess{0x40010, 4});
        late.insert(late.end(), {1, 2, 3, 4});
        c.send_raw(late);
        Reply ok = c.request(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{16, 0, 0, 0}));
        CHECK_FALSE(ok.is_error());
        CHECK(f.server.stats().connected);
    }
}

TEST_CASE("a client that accepts no fds gets BARs without mmap", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    std::vector<uint8_t> v = bytes_of(p::VersionHead{0, 0});
    const std::string caps = R"({"capabilities":{"max_msg_fds":0}})";
    v.insert(v.end(), caps.begin(), caps.end());
    v.push_back(0);
    REQUIRE_FALSE(c.request(p::kVersion, v).is_error());
    Reply r = c.request(p::kDeviceGetRegionInfo, region_info_req(0, 512));
    REQUIRE_FALSE(r.is_error());
    CHECK(r.at<p::RegionInfo>().size == 0x10000);
    CHECK(r.at<p::RegionInfo>().flags == (p::kRegionFlagRead | p::kRegionFlagWrite));
    CHECK(r.fds.empty());
}

TEST_CASE("DEVICE_GET_IRQ_INFO reports MSI-X vectors", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    Reply r = c.request(p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{16, 0, p::kPciMsixIrqIndex, 0}));
    REQUIRE_FALSE(r.is_error());
    CHECK(r.at<p::IrqInfo>().count == 8);
    CHECK((r.at<p::IrqInfo>().flags & p::kIrqInfoEventfd) != 0);
    CHECK((r.at<p::IrqInfo>().flags & p::kIrqInfoMaskable) != 0);
    for (uint32_t idx : {0u, 1u, 3u, 4u}) {
        Reply z = c.request(p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{16, 0, idx, 0}));
        REQUIRE_FALSE(z.is_error());
        CHECK(z.at<p::IrqInfo>().count == 0); // the fake has no interrupt pin
    }
    f.fn.cfg[p::kPciInterruptPin] = 1;
    Reply intx = c.request(p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{16, 0, 0, 0}));
    CHECK(intx.at<p::IrqInfo>().count == 1);
    Reply bad = c.request(p::kDeviceGetIrqInfo, bytes_of(p::IrqInfo{16, 0, 5, 0}));
    CHECK(bad.is_error());
}

TEST_CASE("SET_IRQS eventfds make msix_fire signal; mask/unmask reach the function", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    const auto fds_before = open_fd_count();
    int e[3];
    for (int& x : e)
        x = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const uint32_t trig_fd = p::kIrqSetDataEventfd | p::kIrqSetActionTrigger;
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs, irq_set(trig_fd, p::kPciMsixIrqIndex, 1, 3), {e[0], e[1], e[2]})
                      .is_error());

    REQUIRE(f.fn.irq_ != nullptr);
    f.fn.irq_->msix_fire(2);
    CHECK(eventfd_value(e[1]) == 1);
    CHECK(eventfd_value(e[0]) == 0);
    f.fn.irq_->msix_fire(0); // no eventfd: dropped, counted
    CHECK(f.server.stats().irqs_dropped == 1);
    f.fn.irq_->msix_fire(99); // out of range: dropped, no crash
    CHECK(f.server.stats().irqs_dropped == 2);

    // DATA_NONE trigger fires from the client side; DATA_BOOL picks vectors.
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs,
                            irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 3, 1))
                      .is_error());
    CHECK(eventfd_value(e[2]) == 1);
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs, irq_set(p::kIrqSetDataBool | p::kIrqSetActionTrigger,
                                                       p::kPciMsixIrqIndex, 1, 3, {1, 0, 1}))
                      .is_error());
    CHECK(eventfd_value(e[0]) == 1);
    CHECK(eventfd_value(e[1]) == 0);
    CHECK(eventfd_value(e[2]) == 1);

    // Mask / unmask.
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs,
                            irq_set(p::kIrqSetDataNone | p::kIrqSetActionMask, p::kPciMsixIrqIndex, 4, 2))
                      .is_error());
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs, irq_set(p::kIrqSetDataBool | p::kIrqSetActionUnmask,
                                                       p::kPciMsixIrqIndex, 4, 2, {0, 1}))
                      .is_error());
    CHECK(f.fn.mask_calls == std::vector<std::pair<unsigned, bool>>{{4, true}, {5, true}, {5, false}});

    // Eventfd with no fds unsets vector 2 (QEMU's "fd -1").
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs, irq_set(trig_fd, p::kPciMsixIrqIndex, 2, 1)).is_error());
    f.fn.irq_->msix_fire(2);
    CHECK(eventfd_value(e[1]) == 0);
    f.fn.irq_->msix_fire(1);
    CHECK(eventfd_value(e[0]) == 1);

    // count 0 + DATA_NONE + TRIGGER disables everything.
    REQUIRE_FALSE(c.request(p::kDeviceSetIrqs,
                            irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 0))
                      .is_error());
    f.fn.irq_->msix_fire(1);
    f.fn.irq_->msix_fire(3);
    CHECK(eventfd_value(e[0]) == 0);
    CHECK(eventfd_value(e[2]) == 0);

    // The server closed its copies: only our three remain open.
    pump(f.io);
    CHECK(open_fd_count() == fds_before + 3);
    for (int x : e)
        ::close(x);

    // A vector past the table is refused.
    Reply bad = c.request(p::kDeviceSetIrqs,
                          irq_set(p::kIrqSetDataNone | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 7, 2));
    CHECK(bad.is_error());
    CHECK(bad.hdr.error == EINVAL);
}

TEST_CASE("DEVICE_RESET calls Function::reset", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    Reply r = c.request(p::kDeviceReset, {});
    REQUIRE_FALSE(r.is_error());
    CHECK(f.fn.resets == 1);
    Reply bad = c.request(p::kDeviceReset, {1, 2, 3, 4});
    CHECK(bad.is_error());
    CHECK(f.fn.resets == 1);
}

TEST_CASE("a client may disconnect and another connect; state of the old one is dropped", "[vfio_user]") {
    Fixture f;
    const auto fds_before = open_fd_count();
    int mem = ::memfd_create("guest-ram", MFD_CLOEXEC);
    REQUIRE(::ftruncate(mem, 0x1000) == 0);
    int ev = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    {
        Client c(f.io, f.server.socket_path());
        c.handshake();
        REQUIRE_FALSE(c.request(p::kDmaMap, dma_map_req(0x1000, 0x1000, 0, kRW), {mem}).is_error());
        REQUIRE_FALSE(c.request(p::kDeviceSetIrqs,
                                irq_set(p::kIrqSetDataEventfd | p::kIrqSetActionTrigger, p::kPciMsixIrqIndex, 0, 1),
                                {ev})
                          .is_error());
        CHECK(f.server.stats().dma_windows == 1);
    }
    for (int i = 0; i < 200 && f.server.stats().connected; ++i)
        pump(f.io);
    CHECK_FALSE(f.server.stats().connected);
    CHECK(f.fn.dma_ == nullptr);
    CHECK(f.fn.irq_ == nullptr);
    CHECK(f.server.stats().dma_windows == 0);
    CHECK(f.server.stats().disconnects == 1);
    ::close(mem);
    ::close(ev);
    CHECK(open_fd_count() == fds_before); // client socket, mapping fd and eventfd copies all closed

    Client c2(f.io, f.server.socket_path());
    c2.handshake();
    CHECK(f.server.stats().connections == 2);
    CHECK(f.fn.dma_ != nullptr);
}

TEST_CASE("a client that goes away resets its function; a stopping server does not", "[vfio_user]") {
    Fixture f;
    {
        Client c(f.io, f.server.socket_path());
        c.handshake();
        CHECK(f.fn.resets == 0);
    }
    for (int i = 0; i < 200 && f.server.stats().connected; ++i)
        pump(f.io);
    REQUIRE_FALSE(f.server.stats().connected);
    CHECK(f.fn.resets == 1);
    CHECK(f.server.stats().client_loss_resets == 1);

    // Disconnected by the host: the same.
    Client c2(f.io, f.server.socket_path());
    c2.handshake();
    f.server.disconnect_client();
    CHECK(f.fn.resets == 2);

    // The server stopping (emulator exit, VF disabled) leaves the function alone.
    Client c3(f.io, f.server.socket_path());
    c3.handshake();
    f.server.stop();
    CHECK(f.fn.resets == 2);
    CHECK(f.server.stats().client_loss_resets == 2);
}

TEST_CASE("a second concurrent client waits until the first leaves", "[vfio_user]") {
    Fixture f;
    auto first = std::make_unique<Client>(f.io, f.server.socket_path());
    first->handshake();
    Client second(f.io, f.server.socket_path());
    std::vector<uint8_t> payload = bytes_of(p::VersionHead{0, 0});
    second.send(p::kVersion, payload, {}, 0, 7);
    CHECK(second.silent_for(std::chrono::milliseconds(50)));
    CHECK(f.server.stats().connections == 1);
    first.reset();
    auto r = second.recv();
    REQUIRE(r);
    CHECK_FALSE(r->is_error());
    CHECK(r->hdr.id == 7);
    CHECK(f.server.stats().connections == 2);
}

TEST_CASE("stop() detaches the function and removes the socket file", "[vfio_user]") {
    Fixture f;
    Client c(f.io, f.server.socket_path());
    c.handshake();
    f.server.stop();
    CHECK(f.fn.dma_ == nullptr);
    CHECK_FALSE(std::filesystem::exists(f.server.socket_path()));
    CHECK(c.wait_closed());
}
