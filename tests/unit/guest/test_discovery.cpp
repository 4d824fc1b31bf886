#include "guest-driver/lib/carveout.hpp"
#include "guest-driver/lib/device.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace aie4emu::guest;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir()
    {
        char tmpl[] = "/tmp/aie4-guest-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

void write_text(const fs::path& p, const std::string& text)
{
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

std::string read_text(const fs::path& p)
{
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

} // namespace

TEST_CASE("carveout strings follow the debugfs file's size@addr format", "[guest][carveout]")
{
    auto c = parse_carveout("0x10000000@0x40000000");
    REQUIRE(c.has_value());
    CHECK(c->size == 0x10000000);
    CHECK(c->addr == 0x40000000);
    CHECK(carveout_aligned(*c));

    c = parse_carveout(" 268435456@1073741824\n"); // decimal, whitespace stripped
    REQUIRE(c.has_value());
    CHECK(c->size == 0x10000000);
    CHECK(c->addr == 0x40000000);

    c = parse_carveout("010@0"); // kstrtou64 base 0: leading 0 is octal
    REQUIRE(c.has_value());
    CHECK(c->size == 8);

    CHECK_FALSE(parse_carveout("0x1000").has_value());
    CHECK_FALSE(parse_carveout("-1@0x1000").has_value());
    CHECK_FALSE(parse_carveout("0x1000@0x2000x").has_value());
    CHECK_FALSE(parse_carveout("@").has_value());
    CHECK_FALSE(carveout_aligned({0x1000, 0x1001}));
    CHECK_FALSE(carveout_aligned({0, 0x1000}));
    CHECK(format_carveout({0x10000000, 0x40000000}) == "0x10000000@0x40000000");
    CHECK(parse_carveout(format_carveout({0x123000, 0x456000}))->addr == 0x456000);
}

TEST_CASE("carveout file is found under accel/<bdf>, accel/<minor> or by search", "[guest][carveout]")
{
    TempDir t;
    const auto root = t.path.string();
    write_text(t.path / "placeholder", "x"); // non-empty: no mount attempt
    CHECK_FALSE(find_carveout_file("0000:00:03.0", 1, root).has_value());

    write_text(t.path / "accel/1/carveout", "0x0@0x0\n");
    CHECK(find_carveout_file("0000:00:03.0", 1, root) == root + "/accel/1/carveout");

    write_text(t.path / "accel/0000:00:03.0/carveout", "0x0@0x0\n");
    CHECK(find_carveout_file("0000:00:03.0", 1, root) == root + "/accel/0000:00:03.0/carveout");

    // Two candidates, neither at the standard places: pick the one naming the BDF.
    TempDir t2;
    write_text(t2.path / "x/0000:00:02.0/carveout", "0x0@0x0\n");
    write_text(t2.path / "x/0000:00:04.0/carveout", "0x0@0x0\n");
    CHECK(find_carveout_file("0000:00:04.0", 9, t2.path.string()) == t2.path.string() + "/x/0000:00:04.0/carveout");
    CHECK_FALSE(find_carveout_file("0000:00:05.0", 9, t2.path.string()).has_value());
}

TEST_CASE("ensure_carveout writes once and leaves an existing carveout alone", "[guest][carveout]")
{
    TempDir t;
    const auto file = t.path / "carveout";
    write_text(file, "0x0@0x0\n");
    const auto first = ensure_carveout(file.string(), {0x10000000, 0x40000000});
    CHECK(first.ok);
    CHECK_FALSE(first.already_configured);
    CHECK(read_text(file) == "0x10000000@0x40000000");

    const auto second = ensure_carveout(file.string(), {0x2000, 0x3000});
    CHECK(second.ok);
    CHECK(second.already_configured);
    CHECK(second.active.size == 0x10000000);
    CHECK(read_text(file) == "0x10000000@0x40000000");

    write_text(file, "0x0@0x0\n");
    CHECK_FALSE(ensure_carveout(file.string(), {0x1000, 0x1234}).ok); // unaligned
    CHECK_FALSE(ensure_carveout((t.path / "missing/carveout").string(), {0x1000, 0x1000}).ok);
}

TEST_CASE("VF discovery reads device_type and the accel/ subdirectory", "[guest][discovery]")
{
    TempDir t;
    const auto root = t.path.string();
    write_text(t.path / "0000:00:02.0/device_type", "2\n");
    fs::create_directories(t.path / "0000:00:02.0/accel/accel0");
    write_text(t.path / "0000:00:03.0/device_type", "1\n");
    fs::create_directories(t.path / "0000:00:03.0/accel/accel1");
    write_text(t.path / "0000:00:04.0/device_type", "1\n");
    fs::create_directories(t.path / "0000:00:04.0/accel/accel7");
    fs::create_directories(t.path / "0000:00:1f.0"); // some other PCI device

    const auto all = list_accel_functions(root);
    REQUIRE(all.size() == 3);

    const auto vf = locate_vf("", root);
    REQUIRE(vf.has_value());
    CHECK(vf->bdf == "0000:00:03.0");
    CHECK(vf->node == "/dev/accel/accel1");
    CHECK(vf->minor == 1);
    CHECK(vf->device_type == 1);

    const auto second = locate_vf("0000:00:04.0", root);
    REQUIRE(second.has_value());
    CHECK(second->node == "/dev/accel/accel7");
    CHECK(locate_vf("0000:00:02.0", root)->device_type == 2);
    CHECK_FALSE(locate_vf("0000:00:1f.0", root).has_value());
}
