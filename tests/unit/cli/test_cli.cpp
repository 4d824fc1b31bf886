// The command-line layer: the one number rule, the kernel's rule for text written to the
// kernel, CLI11 wiring (numbers never go through CLI11's own conversion), choice tables, and
// the function names every layer uses.
#include "cli/cli.hpp"
#include "hw/npu3/firmware_port.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <vector>

using aie4emu::cli::parse_kstrtou64_base0;
using aie4emu::cli::parse_number;

TEST_CASE("number rule: decimal or 0x hex, nothing ambiguous", "[cli]")
{
    CHECK(parse_number<unsigned>("0") == 0u);
    CHECK(parse_number<unsigned>("42") == 42u);
    CHECK(parse_number<unsigned>("0x2a") == 42u);
    CHECK(parse_number<unsigned>("0X2A") == 42u);
    CHECK_FALSE(parse_number<unsigned>("010").has_value()); // octal to C, ten to a reader: refused
    CHECK_FALSE(parse_number<unsigned>("00").has_value());
    CHECK_FALSE(parse_number<unsigned>("").has_value());
    CHECK_FALSE(parse_number<unsigned>("0x").has_value());
    CHECK_FALSE(parse_number<unsigned>("-1").has_value());
    CHECK_FALSE(parse_number<unsigned>("+1").has_value());
    CHECK_FALSE(parse_number<unsigned>(" 1").has_value());
    CHECK_FALSE(parse_number<unsigned>("1k").has_value());
    CHECK_FALSE(parse_number<unsigned>("0x-1").has_value());
    CHECK(parse_number<uint8_t>("255") == 255);
    CHECK_FALSE(parse_number<uint8_t>("256").has_value());
    CHECK(parse_number<uint64_t>("0xffffffffffffffff") == UINT64_MAX);
    CHECK_FALSE(parse_number<uint64_t>("0x10000000000000000").has_value());
    CHECK(parse_number<int64_t>("-5") == -5);
    CHECK(parse_number<int64_t>("-0x10") == -16);
    CHECK(parse_number<int64_t>("-9223372036854775808") == INT64_MIN);
    CHECK_FALSE(parse_number<int64_t>("9223372036854775808").has_value());
    CHECK_FALSE(parse_number<int64_t>("--5").has_value());
    CHECK_FALSE(parse_number<int8_t>("-129").has_value());
}

TEST_CASE("kernel rule: kstrtoull base 0 as amdxdna's carveout file reads it", "[cli]")
{
    CHECK(parse_kstrtou64_base0("010") == 8u);
    CHECK(parse_kstrtou64_base0("0x10") == 16u);
    CHECK(parse_kstrtou64_base0("10") == 10u);
    CHECK(parse_kstrtou64_base0("0") == 0u);
    CHECK(parse_kstrtou64_base0("+7") == 7u);
    CHECK(parse_kstrtou64_base0("0x1000\n") == 0x1000u);
    CHECK_FALSE(parse_kstrtou64_base0("0x").has_value()); // octal "0" then 'x': refused
    CHECK_FALSE(parse_kstrtou64_base0("08").has_value());
    CHECK_FALSE(parse_kstrtou64_base0("-1").has_value());
    CHECK_FALSE(parse_kstrtou64_base0("1\n\n").has_value());
    CHECK_FALSE(parse_kstrtou64_base0("").has_value());
    CHECK_FALSE(parse_kstrtou64_base0("0x10000000000000000").has_value());
}

namespace {
enum class Colour { red, blue };
constexpr aie4emu::cli::Choice<Colour> kColours[] = {{"red", Colour::red, "warm"}, {"blue", Colour::blue, ""}};

struct Cmd {
    unsigned n = 7;
    Colour colour = Colour::red;
    CLI::App app{"test", "prog"};
    Cmd()
    {
        aie4emu::cli::configure(app, "usage: prog [options]");
        aie4emu::cli::add_number(app, "--n", n, 1u, 100u, "a number");
        aie4emu::cli::add_choice<Colour>(app, "--colour", colour, kColours, "a colour:");
    }
    std::optional<int> run(std::vector<const char*> args)
    {
        args.insert(args.begin(), "prog");
        return aie4emu::cli::run(app, static_cast<int>(args.size()), args.data());
    }
};
} // namespace

TEST_CASE("CLI11 wiring: numbers use the project rule, choices their table", "[cli]")
{
    {
        Cmd c;
        CHECK_FALSE(c.run({"--n", "0x10", "--colour", "blue"}).has_value());
        CHECK(c.n == 16);
        CHECK(c.colour == Colour::blue);
    }
    {
        Cmd c; // CLI11's own conversion would read 010 as 8
        CHECK(c.run({"--n", "010"}) == 2);
        CHECK(c.n == 7);
    }
    {
        Cmd c;
        CHECK(c.run({"--n", "101"}) == 2); // out of range
        CHECK(c.run({"--colour", "green"}) == 2);
    }
    {
        Cmd c; // a repeated option takes its last value
        CHECK_FALSE(c.run({"--n", "3", "--n", "4"}).has_value());
        CHECK(c.n == 4);
    }
    {
        Cmd c;
        const std::string help = c.app.help();
        CHECK(help.rfind("usage: prog [options]\n", 0) == 0);
        CHECK(help.find("red: warm") != std::string::npos);
        CHECK(help.find("blue") != std::string::npos);
        CHECK(c.run({"--help"}) == 0);
    }
}

TEST_CASE("function names: pf and vfN, one spelling both ways", "[cli]")
{
    using namespace aie4emu::npu3;
    CHECK(function_name(kPf) == "pf");
    CHECK(function_name(vf_index(0)) == "vf0");
    CHECK(function_name(vf_index(6)) == "vf6");
    for (unsigned fn = 0; fn <= 7; ++fn)
        CHECK(parse_function_name(function_name(fn), 7) == fn);
    CHECK_FALSE(parse_function_name("vf7", 7).has_value());
    CHECK_FALSE(parse_function_name("vf01", 7).has_value());
    CHECK_FALSE(parse_function_name("vf", 7).has_value());
    CHECK_FALSE(parse_function_name("vfx", 7).has_value());
    CHECK_FALSE(parse_function_name("PF", 7).has_value());
    CHECK_FALSE(parse_function_name("vf99999999999", 7).has_value());
}
