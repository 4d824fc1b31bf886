#include "emu/faults.hpp"
#include "emu/options.hpp"

#include <catch2/catch_test_macros.hpp>

#include <stdexcept>
#include <vector>

using aie4emu::Options;

namespace {
Options parse(std::vector<const char*> args) {
    args.insert(args.begin(), "aie4emu");
    bool help = false, version = false;
    return aie4emu::parse_options(static_cast<int>(args.size()), args.data(), help, version);
}
} // namespace

TEST_CASE("options: defaults and command line", "[options]") {
    auto o = parse({"--socket-dir", "/tmp/x"});
    CHECK(o.vfs == 1);
    CHECK(o.identity == "17f2");
    CHECK(o.umq_mirror);
    CHECK_FALSE(o.revision.has_value());

    o = parse({"--socket-dir", "/tmp/x", "--vfs", "3", "--identity", "1b0b", "--no-umq-mirror", "--revision", "0x11"});
    CHECK(o.vfs == 3);
    CHECK(o.identity == "1b0b");
    CHECK_FALSE(o.umq_mirror);
    CHECK(o.revision == 0x11);
}

TEST_CASE("options: bad values are refused with a message", "[options]") {
    CHECK_THROWS_AS(parse({}), std::invalid_argument);                                    // no socket dir
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vfs", "9"}), std::invalid_argument);   // > 7
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vfs", "x"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--identity", "17f0"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--columns", "6"}), std::invalid_argument); // 4 VFs x 3 > 6
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vfs", "3", "--total-vfs", "2"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--bogus"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir"}), std::invalid_argument);
}

TEST_CASE("options: config file keys apply under the command line", "[options]") {
    Options o;
    o.vfs = 2;
    aie4emu::apply_config_text(o, R"({"vfs": 3, "identity": "1b0b", "umq_mirror": false})", "cfg.json", {"vfs"});
    CHECK(o.vfs == 2);          // the command line set it
    CHECK(o.identity == "1b0b");
    CHECK_FALSE(o.umq_mirror);

    CHECK_THROWS_AS(aie4emu::apply_config_text(o, "{", "c", {}), std::invalid_argument);
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, "[]", "c", {}), std::invalid_argument);
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, R"({"vfs": "two"})", "c", {}), std::invalid_argument);
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, R"({"colour": 1})", "c", {}), std::invalid_argument);
}

TEST_CASE("--fault: specs are checked before anything starts")
{
    using aie4emu::parse_options;
    bool help = false, version = false;
    const char* good[] = {"aie4emu", "--socket-dir", "/tmp/x", "--fault", "mailbox-status:fn=vf0:op=CREATE_PARTITION:status=2",
                          "--fault", "dma-fault"};
    auto o = parse_options(7, good, help, version);
    REQUIRE(o.faults.size() == 2);
    const char* unknown[] = {"aie4emu", "--socket-dir", "/tmp/x", "--fault", "melt-down"};
    CHECK_THROWS_AS(parse_options(5, unknown, help, version), std::invalid_argument);
    const char* not_kv[] = {"aie4emu", "--socket-dir", "/tmp/x", "--fault", "mailbox-timeout:vf0"};
    CHECK_THROWS_AS(parse_options(5, not_kv, help, version), std::invalid_argument);
    const auto req = aie4emu::faults::parse_spec("msix-lost:fn=vf1:count=0x10");
    CHECK(req.at("kind").as_string() == "msix-lost");
    CHECK(req.at("fn").as_string() == "vf1");
    CHECK(req.at("count").as_int64() == 16);
}

TEST_CASE("options: CERT's per-VF share from the command line and the config file", "[options]") {
    auto parse = [](std::vector<const char*> args) {
        args.insert(args.begin(), "aie4emu");
        bool help = false, version = false;
        return aie4emu::parse_options(static_cast<int>(args.size()), args.data(), help, version);
    };
    CHECK(parse({"--socket-dir", "/t"}).vf_shares.empty());   // equal shares
    CHECK(parse({"--socket-dir", "/t", "--vf-share", "3,1,2"}).vf_shares == std::vector<unsigned>{3, 1, 2});
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vf-share", "0"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vf-share", "1,,1"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vf-share", "1,1,1,1,1,1,1,1"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vf-share", "65"}), std::invalid_argument);
    Options o;
    aie4emu::apply_config_text(o, R"({"vf_shares": [2, 5]})", "cfg.json", {});
    CHECK(o.vf_shares == std::vector<unsigned>{2, 5});
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, R"({"vf_shares": 2})", "c", {}), std::invalid_argument);
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, R"({"vf_shares": [0]})", "c", {}), std::invalid_argument);
}

TEST_CASE("options: the per-VF host memory ceiling", "[options]") {
    auto parse = [](std::vector<const char*> args) {
        args.insert(args.begin(), "aie4emu");
        bool help = false, version = false;
        return aie4emu::parse_options(static_cast<int>(args.size()), args.data(), help, version);
    };
    CHECK(parse({"--socket-dir", "/t"}).vf_memory_limit_mib == 64);
    CHECK(parse({"--socket-dir", "/t", "--vf-memory-limit", "8"}).vf_memory_limit_mib == 8);
    CHECK_THROWS_AS(parse({"--socket-dir", "/t", "--vf-memory-limit", "0"}), std::invalid_argument);
    Options o;
    aie4emu::apply_config_text(o, R"({"vf_memory_limit_mib": 16})", "cfg.json", {});
    CHECK(o.vf_memory_limit_mib == 16);
    CHECK_THROWS_AS(aie4emu::apply_config_text(o, R"({"vf_memory_limit_mib": 5000})", "c", {}), std::invalid_argument);
}
