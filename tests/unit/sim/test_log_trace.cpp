#include <catch2/catch_test_macros.hpp>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hw/sim/log.hpp"
#include "hw/sim/trace.hpp"

namespace alog = aie4emu::log;
using aie4emu::sim::TraceWriter;

TEST_CASE("log categories are enabled from a list and lines have the agreed shape")
{
    std::vector<std::string> lines;
    alog::set_sink([&](std::string_view l) { lines.emplace_back(l); });
    alog::disable_all();
    CHECK(alog::enable("dma, lock"));
    CHECK(alog::on(alog::Category::dma));
    CHECK(alog::on(alog::Category::lock));
    CHECK_FALSE(alog::on(alog::Category::cert));
    CHECK_FALSE(alog::enable("cert,bogus"));
    CHECK(alog::on(alog::Category::cert));

    int evaluated = 0;
    AIE4_LOG(dma, "vf0", 1234, "bd {} done", 3);
    AIE4_LOG(mailbox, "pf", 1, "not shown {}", ++evaluated);
    CHECK(evaluated == 0);   // arguments are not formatted when the category is off
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "[dma] vf0 t=1234 bd 3 done");

    alog::disable_all();
    CHECK(alog::enable("all"));
    CHECK(alog::on(alog::Category::vfio));
    CHECK(alog::on(alog::Category::fw));
    alog::disable_all();
    CHECK_FALSE(alog::on(alog::Category::vfio));
    alog::set_sink(nullptr);
}

TEST_CASE("trace JSON parses and carries one named track per tile/channel")
{
    TraceWriter t;
    t.set_enabled(true);
    const uint32_t core = t.track("col 0", "tile(0,2) core");
    const uint32_t dma = t.track("col 0", "tile(0,1) mm2s0");
    const uint32_t other = t.track("col 1", "tile(1,2) \"core\"");
    CHECK(t.track("col 0", "tile(0,2) core") == core);
    t.complete(core, "gemm", 2000, 500);
    t.complete(dma, "bd0", 0, 1500);
    t.instant(other, "lock", 42);
    CHECK(t.event_count() == 3);

    const auto v = boost::json::parse(t.to_json());
    const auto& events = v.at("traceEvents").as_array();
    int spans = 0, names = 0;
    // (pid, tid) of each thread_name, and the tracks the spans land on.
    std::map<std::pair<int64_t, int64_t>, std::string> thread_of;
    std::map<std::string, std::pair<int64_t, int64_t>> span_track;
    std::map<std::pair<int64_t, int64_t>, int64_t> sort_index;
    for (const auto& e : events) {
        const auto& o = e.as_object();
        const std::pair<int64_t, int64_t> id{o.at("pid").to_number<int64_t>(), o.at("tid").to_number<int64_t>()};
        if (o.at("ph") == "X") {
            ++spans;
            span_track[std::string(o.at("name").as_string())] = id;
            if (o.at("name") == "gemm") {
                CHECK(o.at("ts").to_number<double>() == 2.0);
                CHECK(o.at("dur").to_number<double>() == 0.5);
            }
        }
        if (o.at("ph") == "M" && o.at("name") == "thread_name") {
            ++names;
            CHECK(thread_of.emplace(id, std::string(o.at("args").at("name").as_string())).second);   // one per track
        }
        if (o.at("ph") == "M" && o.at("name") == "thread_sort_index")
            sort_index[id] = o.at("args").at("sort_index").to_number<int64_t>();
    }
    CHECK(spans == 2);
    CHECK(names == 3);
    // Two tracks of one process are two (pid, tid) pairs, and each span is on its own track.
    CHECK(thread_of.at(span_track.at("gemm")) == "tile(0,2) core");
    CHECK(thread_of.at(span_track.at("bd0")) == "tile(0,1) mm2s0");
    CHECK(span_track.at("gemm").first == span_track.at("bd0").first);
    // Sorted by name within the process: tile(0,1) mm2s0 before tile(0,2) core.
    CHECK(sort_index.at(span_track.at("bd0")) < sort_index.at(span_track.at("gemm")));

    const std::string path = "unit-sim-trace.json";
    REQUIRE(t.write_file(path));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(boost::json::parse(ss.str()).at("traceEvents").as_array().size() == events.size());
    std::remove(path.c_str());
    std::string err;
    CHECK_FALSE(t.write_file("/nonexistent-dir/x.json", &err));
    CHECK_FALSE(err.empty());
}

TEST_CASE("trace drops events beyond the limit and records nothing when disabled")
{
    TraceWriter t;
    const uint32_t k = t.track("p", "t");
    t.complete(k, "off", 0, 1);
    CHECK(t.event_count() == 0);
    t.set_enabled(true);
    t.set_limit(2);
    for (int i = 0; i < 5; ++i)
        t.complete(k, "x", static_cast<aie4emu::sim::Cycle>(i), 1);
    CHECK(t.event_count() == 2);
    CHECK(t.dropped() == 3);
}
