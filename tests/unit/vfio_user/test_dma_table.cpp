// DmaTable on its own: windows, overlap rules, lookup across adjacent
// windows, protections, limits.
#include "emu/vfio_user/dma_table.hpp"

#include <catch2/catch_test_macros.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

using aie4emu::vfio_user::DmaTable;

TEST_CASE("DmaTable resolves ranges over adjacent windows and refuses holes", "[vfio_user][dma]") {
    DmaTable t;
    REQUIRE(t.add(0x1000, 0x1000, true, true, -1, 0) == 0);
    REQUIRE(t.add(0x2000, 0x800, true, false, -1, 0) == 0);
    REQUIRE(t.add(0x4000, 0x1000, true, true, -1, 0) == 0);
    std::vector<DmaTable::Segment> segs;

    REQUIRE(t.resolve(0x1ff0, 0x20, false, segs));
    REQUIRE(segs.size() == 2);
    CHECK(segs[0].address == 0x1ff0);
    CHECK(segs[0].length == 0x10);
    CHECK(segs[1].address == 0x2000);
    CHECK(segs[1].length == 0x10);
    CHECK_FALSE(t.resolve(0x1ff0, 0x20, true, segs)); // second window is read-only
    CHECK_FALSE(t.resolve(0x27f0, 0x20, false, segs)); // runs into the hole at 0x2800
    CHECK_FALSE(t.resolve(0x0, 1, false, segs));
    CHECK_FALSE(t.resolve(0x5000, 1, false, segs));
    CHECK_FALSE(t.resolve(~0ull, 2, false, segs)); // wraps
    CHECK(t.resolve(0x9999, 0, true, segs));      // empty access
    CHECK(segs.empty());
}

TEST_CASE("DmaTable add/remove rules", "[vfio_user][dma]") {
    DmaTable t(2);
    CHECK(t.add(0x1000, 0, true, true, -1, 0) == EINVAL);
    CHECK(t.add(~0ull - 0xff, 0x100, true, true, -1, 0) == EINVAL); // end would be 2^64
    REQUIRE(t.add(0x1000, 0x1000, true, true, -1, 0) == 0);
    CHECK(t.add(0x1800, 0x1000, true, true, -1, 0) == EEXIST);
    CHECK(t.add(0x0800, 0x1000, true, true, -1, 0) == EEXIST);
    CHECK(t.add(0x0, 0x10000, true, true, -1, 0) == EEXIST);
    REQUIRE(t.add(0x2000, 0x1000, true, true, -1, 0) == 0);
    CHECK(t.add(0x8000, 0x1000, true, true, -1, 0) == ENOSPC);
    CHECK(t.remove(0x1000, 0x800) == ENOENT); // must match exactly
    CHECK(t.remove(0x1000, 0x1000) == 0);
    CHECK(t.size() == 1);
}

TEST_CASE("DmaTable maps fd-backed windows at unaligned offsets", "[vfio_user][dma]") {
    int fd = ::memfd_create("t", MFD_CLOEXEC);
    REQUIRE(::ftruncate(fd, 0x3000) == 0);
    const uint8_t v = 0x42;
    REQUIRE(::pwrite(fd, &v, 1, 0x1234) == 1);
    DmaTable t;
    REQUIRE(t.add(0x10000, 0x100, true, true, fd, 0x1200) == 0);
    CHECK(t.add(0x20000, 0x2000, true, true, fd, 0x1800) == EINVAL); // past the end of the file
    ::close(fd); // the mapping outlives the fd
    std::vector<DmaTable::Segment> segs;
    REQUIRE(t.resolve(0x10034, 1, false, segs));
    REQUIRE(segs.size() == 1);
    REQUIRE(segs[0].host != nullptr);
    CHECK(*segs[0].host == 0x42);
}
