#include "hw/pcie/shared_memory.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstring>

#include <sys/mman.h>

using aie4emu::pcie::SharedMemory;

TEST_CASE("shared memory: the fd maps the same bytes the model sees", "[pcie][shm]")
{
    SharedMemory mem("test-sram", 5000);
    REQUIRE(mem.size() >= 5000);
    CHECK(mem.size() % 4096 == 0);
    REQUIRE(mem.fd() >= 0);
    CHECK(mem.bytes()[100] == 0);
    mem.bytes()[100] = 0x5a;

    void* p = mmap(nullptr, mem.size(), PROT_READ | PROT_WRITE, MAP_SHARED, mem.fd(), 0);
    REQUIRE(p != MAP_FAILED);
    auto* other = static_cast<uint8_t*>(p);
    CHECK(other[100] == 0x5a);
    other[200] = 0xa5; // a guest write through the mapping
    CHECK(mem.bytes()[200] == 0xa5);
    munmap(p, mem.size());

    const auto area = mem.area(0x1000);
    CHECK(area.offset == 0x1000);
    CHECK(area.size == mem.size());
    CHECK(area.fd == mem.fd());

    mem.clear();
    CHECK(mem.bytes()[100] == 0);

    SharedMemory moved(std::move(mem));
    CHECK(moved.fd() >= 0);
    CHECK(mem.fd() == -1); // NOLINT(bugprone-use-after-move): moved-from state is defined
}
