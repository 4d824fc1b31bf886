// The DMA piece alone: DMA_MAP/UNMAP requests built in the test, device
// reads and writes through DmaSpace into a memfd, refused accesses, and
// message-based windows answered by a scripted client instead of a socket.
#include "emu/vfio_user/dma.hpp"
#include "tests/unit/vfio_user/test_support.hpp"

#include <catch2/catch_test_macros.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <functional>

using namespace aie4emu::vfio_user;
using namespace aie4emu::vfio_user::test;

namespace {

// Answers DMA_READ / DMA_WRITE from a byte array standing for guest memory
// at `base`, or with a scripted failure.
struct ScriptedClient : ClientChannel {
    uint64_t base = 0;
    std::vector<uint8_t> memory;
    std::vector<p::Header> requests;
    std::vector<p::DmaAccess> accesses;
    Result outcome = Result::kReply;
    bool error_reply = false;
    bool short_reply = false;

    Result exchange(std::vector<uint8_t> request, std::chrono::steady_clock::time_point,
                    Message& reply) override {
        const auto h = load<p::Header>(request);
        const auto a = load<p::DmaAccess>(request, sizeof(p::Header));
        requests.push_back(h);
        accesses.push_back(a);
        REQUIRE(h.size == request.size());
        if (outcome != Result::kReply)
            return outcome;
        reply.hdr = h;
        reply.hdr.flags = p::kFlagTypeReply | (error_reply ? p::kFlagError : 0);
        reply.hdr.error = error_reply ? EFAULT : 0;
        append(reply.payload, a);
        const size_t at = a.address - base;
        if (h.command == p::kDmaWrite)
            std::copy(request.begin() + sizeof(p::Header) + sizeof(p::DmaAccess), request.end(), memory.begin() + at);
        else
            reply.payload.insert(reply.payload.end(), memory.begin() + at,
                                 memory.begin() + at + a.count - (short_reply ? 1 : 0));
        return Result::kReply;
    }
};

int guest_ram(size_t size) {
    const int fd = ::memfd_create("guest-ram", MFD_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
    return fd;
}

constexpr uint32_t kRW = p::kDmaMapFlagRead | p::kDmaMapFlagWrite;

struct Rig {
    const std::string name = "vf0";
    ScriptedClient client;
    DmaController dma{name, client};
    Rig() { dma.begin_session(); }
};

} // namespace

TEST_CASE("DMA_MAP with an fd makes guest memory reachable through DmaSpace", "[vfio_user][dma]") {
    Rig r;
    const int ram = guest_ram(0x4000);
    {
        const Message m = make_message(p::kDmaMap, dma_map_req(0x10000, 0x2000, 0x1000, kRW), {::dup(ram)});
        CHECK(r.dma.map(m).payload.empty());
    } // the passed fd closes with the message; the mapping stays
    CHECK(r.dma.table().size() == 1);

    const uint8_t data[4] = {1, 2, 3, 4};
    REQUIRE(r.dma.write(0x10ffe, data, 4));
    uint8_t seen[4] = {};
    REQUIRE(::pread(ram, seen, 4, 0x1000 + 0xffe) == 4); // fd offset + window offset
    CHECK(std::equal(seen, seen + 4, data));
    uint8_t back[4] = {};
    REQUIRE(r.dma.read(0x10ffe, back, 4));
    CHECK(std::equal(back, back + 4, data));
    CHECK(r.dma.faults() == 0);
    CHECK(r.client.requests.empty()); // memory-mapped: no messages
    ::close(ram);
}

TEST_CASE("accesses outside the windows, or against their protection, are refused and counted",
          "[vfio_user][dma]") {
    Rig r;
    const int ram = guest_ram(0x2000);
    REQUIRE(r.dma.map(make_message(p::kDmaMap, dma_map_req(0x1000, 0x1000, 0, p::kDmaMapFlagRead), {::dup(ram)}))
                .payload.empty());
    uint8_t b[8] = {};
    CHECK(r.dma.read(0x1ff8, b, 8));
    CHECK_FALSE(r.dma.read(0x1ffc, b, 8)); // runs past the window
    CHECK_FALSE(r.dma.write(0x1000, b, 8)); // read-only
    CHECK_FALSE(r.dma.read(~0ull - 2, b, 8)); // wraps
    CHECK(r.dma.faults() == 3);
    ::close(ram);
}

TEST_CASE("DMA_MAP and DMA_UNMAP refusals", "[vfio_user][dma]") {
    Rig r;
    CHECK(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x1000, 0x1000, 0, 0x4))); }) == EINVAL);
    CHECK(refusal([&] { r.dma.map(make_message(p::kDmaMap, {1, 2, 3})); }) == EINVAL);
    CHECK(refusal([&] {
              r.dma.map(make_message(p::kDmaMap, dma_map_req(0, 0x1000, 0, kRW), {guest_ram(0x1000), guest_ram(0x1000)}));
          }) == EINVAL);
    CHECK(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0, 0x2000, 0, kRW), {guest_ram(0x1000)})); }) ==
          EINVAL); // the fd is shorter than the window
    REQUIRE(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x1000, 0x1000, 0, kRW))); }) == 0);
    CHECK(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x1800, 0x1000, 0, kRW))); }) == EEXIST);

    CHECK(refusal([&] { r.dma.unmap(make_message(p::kDmaUnmap, dma_unmap_req(0x1000, 0x800))); }) == ENOENT);
    CHECK(refusal([&] {
              r.dma.unmap(make_message(p::kDmaUnmap, dma_unmap_req(0, 0, p::kDmaUnmapFlagGetDirtyBitmap)));
          }) == ENOTSUP);
    CHECK(refusal([&] { r.dma.unmap(make_message(p::kDmaUnmap, dma_unmap_req(0x1000, 1, p::kDmaUnmapFlagAll))); }) ==
          EINVAL);
    CHECK(r.dma.table().size() == 1);

    const Answer a = r.dma.unmap(make_message(p::kDmaUnmap, dma_unmap_req(0x1000, 0x1000)));
    CHECK(load<p::DmaUnmap>(a.payload).address == 0x1000); // echoed
    CHECK(r.dma.table().size() == 0);
}

TEST_CASE("the client's window limit from VERSION applies until the next session", "[vfio_user][dma]") {
    Rig r;
    r.dma.set_client_limits(1 << 20, 2);
    REQUIRE(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x1000, 0x1000, 0, kRW))); }) == 0);
    REQUIRE(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x2000, 0x1000, 0, kRW))); }) == 0);
    CHECK(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x3000, 0x1000, 0, kRW))); }) == ENOSPC);

    CHECK(r.dma.end_session() == 2); // every window unmapped
    CHECK(r.dma.table().size() == 0);
    r.dma.begin_session();
    CHECK(r.dma.table().max_windows() == limits::kMaxDmaMaps);
}

TEST_CASE("a window without an fd is served by DMA_READ/DMA_WRITE in chunks of the client's size",
          "[vfio_user][dma]") {
    Rig r;
    r.client.base = 0x8000;
    r.client.memory.assign(0x100, 0);
    for (size_t i = 0; i < r.client.memory.size(); ++i)
        r.client.memory[i] = static_cast<uint8_t>(i ^ 0x5a);
    REQUIRE(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0x8000, 0x100, 0, kRW))); }) == 0);
    r.dma.set_client_limits(16, 100); // 16-byte chunks

    uint8_t buf[40];
    REQUIRE(r.dma.read(0x8010, buf, sizeof(buf)));
    for (size_t i = 0; i < sizeof(buf); ++i)
        CHECK(buf[i] == static_cast<uint8_t>((0x10 + i) ^ 0x5a));
    REQUIRE(r.client.requests.size() == 3); // 16 + 16 + 8
    CHECK(r.client.accesses[2].address == 0x8030);
    CHECK(r.client.accesses[2].count == 8);
    CHECK(r.client.requests[0].command == p::kDmaRead);
    CHECK(r.client.requests[1].id == r.client.requests[0].id + 1);

    const uint8_t data[3] = {0xa, 0xb, 0xc};
    REQUIRE(r.dma.write(0x80fd, data, 3));
    CHECK(r.client.requests.back().command == p::kDmaWrite);
    CHECK(r.client.memory[0xfd] == 0xa);
    CHECK(r.client.memory[0xff] == 0xc);
    CHECK(r.dma.faults() == 0);
}

TEST_CASE("message-based DMA fails as a refused access when the client does not answer properly",
          "[vfio_user][dma]") {
    Rig r;
    r.client.memory.assign(0x100, 0);
    REQUIRE(refusal([&] { r.dma.map(make_message(p::kDmaMap, dma_map_req(0, 0x100, 0, kRW))); }) == 0);
    uint8_t buf[8] = {};
    SECTION("no reply") { r.client.outcome = ClientChannel::Result::kNoReply; }
    SECTION("not reading") { r.client.outcome = ClientChannel::Result::kSendStalled; }
    SECTION("gone") { r.client.outcome = ClientChannel::Result::kGone; }
    SECTION("an error reply") { r.client.error_reply = true; }
    SECTION("a reply one byte short") { r.client.short_reply = true; }
    CHECK_FALSE(r.dma.read(0x10, buf, sizeof(buf)));
    CHECK(r.dma.faults() == 1);
}
