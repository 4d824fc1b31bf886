// The dispatcher alone: messages built in the test, a fake function, and a
// recorder in place of the transport. Checks the reply each request gets
// (header, error, payload, fds), the handler table, VERSION negotiation and
// region access, without a socket.
#include "emu/vfio_user/dispatch.hpp"
#include "tests/unit/vfio_user/test_support.hpp"

#include "hw/sim/internal_error.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch_test_macros.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;

namespace {

struct Sent {
    p::Header hdr;
    std::vector<uint8_t> payload;
    std::vector<int> fds; // as passed (borrowed)
};

struct RecordingSink : ReplySink {
    std::vector<Sent> sent;
    bool refuse_fds = false; // as when dup() fails
    bool send(std::vector<uint8_t> bytes, const std::vector<int>& fds) override {
        if (refuse_fds && !fds.empty())
            return false;
        Sent s;
        std::memcpy(&s.hdr, bytes.data(), sizeof(s.hdr));
        s.payload.assign(bytes.begin() + sizeof(p::Header), bytes.end());
        s.fds = fds;
        sent.push_back(std::move(s));
        return true;
    }
};

struct Rig {
    FakeFunction fn{"pf"};
    RecordingSink sink;
    const std::string name = "pf";
    Dispatcher d{name, fn, sink};

    // Dispatch and return the one reply it produced.
    Sent run(Message m) {
        const size_t before = sink.sent.size();
        d.dispatch(m);
        REQUIRE(sink.sent.size() == before + 1);
        return sink.sent.back();
    }
    Sent run(uint16_t command, const std::vector<uint8_t>& payload, uint16_t id = 1) {
        return run(make_message(command, payload, {}, 0, id));
    }
    void negotiate(const std::string& json = "") {
        std::vector<uint8_t> v = bytes_of(p::VersionHead{0, 0});
        v.insert(v.end(), json.begin(), json.end());
        if (!json.empty())
            v.push_back(0);
        const Sent r = run(p::kVersion, v);
        REQUIRE((r.hdr.flags & p::kFlagError) == 0);
    }
};

bool is_error(const Sent& s, uint32_t err) { return (s.hdr.flags & p::kFlagError) != 0 && s.hdr.error == err; }

} // namespace

TEST_CASE("dispatch refuses every command before VERSION and echoes id and command", "[vfio_user][dispatch]") {
    Rig r;
    const Sent s = r.run(p::kDeviceGetInfo, bytes_of(p::DeviceInfo{sizeof(p::DeviceInfo), 0, 0, 0}), 33);
    CHECK(s.hdr.id == 33);
    CHECK(s.hdr.command == p::kDeviceGetInfo);
    CHECK((s.hdr.flags & p::kFlagTypeMask) == p::kFlagTypeReply);
    CHECK(is_error(s, EINVAL));
    CHECK(s.payload.empty());
    CHECK(r.d.errors() == 1);
    CHECK(r.d.messages() == 1);
    CHECK_FALSE(r.d.negotiated());
}

TEST_CASE("VERSION agrees the client's limits, capped at ours, and answers with our own", "[vfio_user][dispatch]") {
    Rig r;
    ClientLimits seen;
    int hooks = 0;
    r.d.on_negotiated([&](const ClientLimits& l) {
        seen = l;
        ++hooks;
    });
    std::vector<uint8_t> v = bytes_of(p::VersionHead{0, 3});
    const std::string json =
        R"({"capabilities":{"max_msg_fds":4,"max_data_xfer_size":8192,"max_dma_maps":1000000,"pgsizes":12288}})";
    v.insert(v.end(), json.begin(), json.end()); // no NUL: accepted
    const Sent s = r.run(p::kVersion, v);
    REQUIRE((s.hdr.flags & p::kFlagError) == 0);
    CHECK(r.d.negotiated());
    REQUIRE(hooks == 1);
    CHECK(seen.max_msg_fds == 4);
    CHECK(seen.max_data_xfer_size == 8192);
    CHECK(seen.max_dma_maps == limits::kMaxDmaMaps);
    CHECK(r.d.client_limits().max_data_xfer_size == 8192);

    const auto head = load<p::VersionHead>(s.payload);
    CHECK(head.major == 0);
    CHECK(head.minor == 0); // never above ours
    CHECK(s.payload.back() == 0);
    const auto doc = boost::json::parse(std::string(reinterpret_cast<const char*>(s.payload.data()) + 4));
    const auto& caps = doc.at("capabilities");
    CHECK(caps.at("max_msg_fds").to_number<uint64_t>() == limits::kMaxMsgFds);
    CHECK(caps.at("max_dma_maps").to_number<uint64_t>() == limits::kMaxDmaMaps);

    CHECK(is_error(r.run(p::kVersion, v), EINVAL)); // twice
    CHECK(hooks == 1);
}

TEST_CASE("VERSION refusals leave the session unnegotiated", "[vfio_user][dispatch]") {
    Rig r;
    auto version = [](uint16_t major, const std::string& json) {
        std::vector<uint8_t> v = bytes_of(p::VersionHead{major, 0});
        v.insert(v.end(), json.begin(), json.end());
        return v;
    };
    CHECK(is_error(r.run(p::kVersion, version(1, "")), ENOTSUP));
    CHECK(is_error(r.run(p::kVersion, {0, 0}), EINVAL)); // too short
    CHECK(is_error(r.run(p::kVersion, version(0, "{")), EINVAL));
    CHECK(is_error(r.run(p::kVersion, version(0, R"({"capabilities":{"pgsizes":8192}})")), EINVAL));
    CHECK(is_error(r.run(p::kVersion, version(0, R"({"capabilities":{"max_data_xfer_size":0}})")), EINVAL));
    CHECK(is_error(r.run(p::kVersion, version(0, R"({"capabilities":{"max_msg_fds":-1}})")), EINVAL));
    CHECK_FALSE(r.d.negotiated());
    CHECK(r.d.client_limits().max_msg_fds == p::kDefaultMaxMsgFds);
}

TEST_CASE("the handler table: routed, unsupported and unknown commands", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    int calls = 0;
    r.d.route(p::kDmaMap, [&](Message& m) {
        ++calls;
        CHECK(m.payload.size() == 3);
        Answer a;
        a.payload = {9, 8, 7, 6};
        return a;
    });
    const Sent routed = r.run(p::kDmaMap, {1, 2, 3}, 12);
    CHECK(calls == 1);
    CHECK(routed.hdr.id == 12);
    CHECK(routed.hdr.size == sizeof(p::Header) + 4);
    CHECK(routed.payload == std::vector<uint8_t>{9, 8, 7, 6});

    CHECK(is_error(r.run(p::kDmaUnmap, {}), ENOTSUP)); // in the protocol, not routed here
    CHECK(is_error(r.run(p::kMigDataWrite, {}), ENOTSUP));
    CHECK(is_error(r.run(p::kDmaRead, {}), ENOTSUP)); // ours to send, not the client's
    CHECK(is_error(r.run(0, {}), ENOSYS));
    CHECK(is_error(r.run(p::kMigDataWrite + 1, {}), ENOSYS));
    CHECK_THROWS_AS(r.d.route(p::kMigDataWrite + 1, [](Message&) { return Answer{}; }), std::out_of_range);

    r.d.route(p::kDmaUnmap, [](Message&) -> Answer { fail(ENOENT, "no such window"); });
    CHECK(is_error(r.run(p::kDmaUnmap, {}), ENOENT));
}

TEST_CASE("dispatch checks the message type and the fd count", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    CHECK(is_error(r.run(make_message(p::kDeviceReset, {}, {}, p::kFlagTypeReply)), EINVAL));
    CHECK(is_error(r.run(make_message(p::kDeviceReset, {}, {}, 0x7)), EINVAL));
    Message truncated = make_message(p::kDeviceReset, {});
    truncated.fds_truncated = true;
    CHECK(is_error(r.run(std::move(truncated)), EINVAL));

    // A late reply to a message-based DMA the server gave up on: no answer.
    const size_t replies = r.sink.sent.size();
    Message late = make_message(p::kDmaRead, {}, {}, p::kFlagTypeReply);
    r.d.dispatch(late);
    CHECK(r.sink.sent.size() == replies);
    CHECK(r.fn.resets == 0);
}

TEST_CASE("a NO_REPLY request gets no reply, not even an error", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    const size_t before = r.sink.sent.size();
    std::vector<uint8_t> data{0x44, 0x33};
    Message ok = make_message(p::kRegionWrite,
                              [&] {
                                  auto v = bytes_of(p::RegionAccess{0x40, p::kPciConfigRegionIndex, 2});
                                  v.insert(v.end(), data.begin(), data.end());
                                  return v;
                              }(),
                              {}, p::kFlagNoReply);
    r.d.dispatch(ok);
    Message bad = make_message(p::kRegionWrite, {1}, {}, p::kFlagNoReply);
    r.d.dispatch(bad);
    CHECK(r.sink.sent.size() == before);
    CHECK(r.fn.cfg[0x40] == 0x44); // the write itself happened
    CHECK(r.d.errors() == 1);      // the bad one is counted
}

TEST_CASE("region access is split into naturally aligned accesses of the function", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    std::vector<uint8_t> req = bytes_of(p::RegionAccess{0x101, 0, 14});
    const Sent s = r.run(p::kRegionRead, req);
    REQUIRE((s.hdr.flags & p::kFlagError) == 0);
    REQUIRE(s.payload.size() == sizeof(p::RegionAccess) + 14);
    for (unsigned i = 0; i < 14; ++i)
        CHECK(s.payload[sizeof(p::RegionAccess) + i] == static_cast<uint8_t>(0x101 + i));
    // 0x101: 1, 0x102: 2, 0x104: 4, 0x108: 4 (only 7 left), 0x10c: 2, 0x10e: 1
    std::vector<unsigned> widths;
    for (const auto& a : r.fn.accesses)
        if (!a.config)
            widths.push_back(a.size);
    CHECK(widths == std::vector<unsigned>{1, 2, 4, 4, 2, 1});

    r.fn.accesses.clear();
    std::vector<uint8_t> w = bytes_of(p::RegionAccess{0x10, p::kPciConfigRegionIndex, 8});
    for (uint8_t b : {1, 2, 3, 4, 5, 6, 7, 8})
        w.push_back(b);
    const Sent ws = r.run(p::kRegionWrite, w);
    REQUIRE((ws.hdr.flags & p::kFlagError) == 0);
    CHECK(ws.payload.size() == sizeof(p::RegionAccess)); // the write is echoed without data
    REQUIRE(r.fn.accesses.size() == 2);                  // config space: at most 4 bytes each
    CHECK(r.fn.accesses[0] == FakeFunction::Access{true, 0, 0x10, 4, 0x04030201, true});
    CHECK(r.fn.accesses[1] == FakeFunction::Access{true, 0, 0x14, 4, 0x08070605, true});

    CHECK(is_error(r.run(p::kRegionRead, bytes_of(p::RegionAccess{0xfff8, 0, 16})), EINVAL)); // past BAR0
    CHECK(is_error(r.run(p::kRegionRead, bytes_of(p::RegionAccess{0, 1, 4})), EINVAL));       // no BAR1
    CHECK(is_error(r.run(p::kRegionRead, bytes_of(p::RegionAccess{0, 2, limits::kMaxDataXferSize + 1})), EINVAL));
}

TEST_CASE("region info offers a BAR's memory areas with the fd only when it fits", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate(R"({"capabilities":{"max_msg_fds":1}})");
    const Sent small = r.run(p::kDeviceGetRegionInfo, region_info_req(0));
    const auto si = load<p::RegionInfo>(small.payload);
    CHECK(si.argsz > sizeof(p::RegionInfo)); // the size it needs
    CHECK((si.flags & p::kRegionFlagCaps) == 0);
    CHECK(small.fds.empty());

    const Sent full = r.run(p::kDeviceGetRegionInfo, region_info_req(0, si.argsz));
    const auto fi = load<p::RegionInfo>(full.payload);
    CHECK((fi.flags & (p::kRegionFlagMmap | p::kRegionFlagCaps)) == (p::kRegionFlagMmap | p::kRegionFlagCaps));
    CHECK(fi.cap_offset == sizeof(p::RegionInfo));
    CHECK(fi.offset == 0x1000); // fd_offset - offset of the fake's areas
    REQUIRE(full.fds.size() == 1);
    CHECK(full.fds[0] == r.fn.bar0_memfd);
    const auto head = load<p::SparseMmapHead>(full.payload, sizeof(p::RegionInfo) + sizeof(p::CapHeader));
    CHECK(head.nr_areas == 2);

    SECTION("the fd could not be duplicated: EMFILE") {
        r.sink.refuse_fds = true;
        CHECK(is_error(r.run(p::kDeviceGetRegionInfo, region_info_req(0, si.argsz)), EMFILE));
    }
}

TEST_CASE("a client that takes no fds gets BARs without mmap areas", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate(R"({"capabilities":{"max_msg_fds":0}})");
    const Sent s = r.run(p::kDeviceGetRegionInfo, region_info_req(0, 4096));
    const auto i = load<p::RegionInfo>(s.payload);
    CHECK((i.flags & p::kRegionFlagMmap) == 0);
    CHECK(s.fds.empty());
    CHECK(i.size == 0x10000);
}

TEST_CASE("DEVICE_RESET reaches the function; a new session needs VERSION again", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    CHECK((r.run(p::kDeviceReset, {}).hdr.flags & p::kFlagError) == 0);
    CHECK(r.fn.resets == 1);
    CHECK(is_error(r.run(p::kDeviceReset, {0}), EINVAL));
    CHECK(r.fn.resets == 1);
    r.d.begin_session();
    CHECK(is_error(r.run(p::kDeviceReset, {}), EINVAL));
    CHECK(r.fn.resets == 1);
}

TEST_CASE("an unexpected exception fails the request with EIO and is reported", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    const bool was = aie4emu::sim::abort_on_internal_error();
    aie4emu::sim::set_abort_on_internal_error(false); // the failure is the point here
    const uint64_t reported = aie4emu::sim::internal_error_count();
    r.d.route(p::kDmaMap, [](Message&) -> Answer { throw std::runtime_error("boom"); });
    const Sent s = r.run(p::kDmaMap, {});
    aie4emu::sim::set_abort_on_internal_error(was);
    CHECK(is_error(s, EIO));
    CHECK(aie4emu::sim::internal_error_count() == reported + 1);
    CHECK_FALSE(r.d.busy());
}

TEST_CASE("fds a handler does not take close with the message", "[vfio_user][dispatch]") {
    Rig r;
    r.negotiate();
    const size_t before = open_fd_count();
    const int efd = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(efd >= 0);
    CHECK(is_error(r.run(make_message(p::kDeviceReset, {}, {efd})), EINVAL)); // takes no fds
    CHECK(open_fd_count() == before);
}
