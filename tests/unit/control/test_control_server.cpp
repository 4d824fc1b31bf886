#include "emu/control/control_server.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <thread>
#include <unistd.h>

namespace json = boost::json;
using aie4emu::control::ControlServer;

namespace {
json::object reply_of(ControlServer& s, const std::string& line) {
    return json::parse(s.handle_line(line)).as_object();
}
} // namespace

TEST_CASE("control: commands dispatch and report errors as replies", "[control]") {
    boost::asio::io_context io;
    ControlServer server(io, "/nonexistent/unused.sock");
    int calls = 0;
    server.add_command("count", "count calls", [&](const json::object& req) {
        ++calls;
        return json::object{{"calls", calls}, {"echo", req.at("cmd")}};
    });
    server.add_command("fail", "always fails", [](const json::object&) -> json::object {
        throw aie4emu::control::CommandError("no such VF");
    });

    auto r = reply_of(server, R"({"cmd":"count"})");
    CHECK(r.at("ok").as_bool());
    CHECK(r.at("calls").as_int64() == 1);

    r = reply_of(server, R"({"cmd":"fail"})");
    CHECK_FALSE(r.at("ok").as_bool());
    CHECK(r.at("error").as_string() == "no such VF");

    for (const char* bad : {"not json", "[1,2]", R"({"nocmd":1})", R"({"cmd":7})", R"({"cmd":"nope"})"}) {
        INFO(bad);
        r = reply_of(server, bad);
        CHECK_FALSE(r.at("ok").as_bool());
        CHECK(!r.at("error").as_string().empty());
    }
    CHECK(calls == 1); // bad requests reached no handler

    r = reply_of(server, R"({"cmd":"help"})");
    CHECK(r.at("commands").as_object().contains("count"));
}

TEST_CASE("control: socket round trip with a client, server survives a bad client", "[control]") {
    auto dir = std::filesystem::temp_directory_path() / ("aie4ctl-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "control.sock").string();
    boost::asio::io_context io;
    ControlServer server(io, path);
    server.add_command("ping", "answer pong", [](const json::object&) { return json::object{{"pong", true}}; });
    server.start();
    std::thread loop([&] { io.run_for(std::chrono::seconds(5)); });

    auto r = aie4emu::control::request(path, json::object{{"cmd", "ping"}});
    CHECK(r.at("ok").as_bool());
    CHECK(r.at("pong").as_bool());
    r = aie4emu::control::request(path, json::object{{"cmd", "missing"}});
    CHECK_FALSE(r.at("ok").as_bool());
    // A second request after errors still works: the server kept running.
    r = aie4emu::control::request(path, json::object{{"cmd", "ping"}});
    CHECK(r.at("ok").as_bool());

    io.stop();
    loop.join();
    server.stop();
    std::filesystem::remove_all(dir);
    CHECK_THROWS(aie4emu::control::request(path, json::object{{"cmd", "ping"}}, 200));
}
