// The array's Perfetto/Chrome trace, parsed back with boost::json: the structure a viewer needs
// (trace-event fields, one named track per DMA channel and core, spans that do not overlap on a
// track) and the content the model promises (one span per BD and per kernel invocation, with
// the exact cycle counts in args).
#include <catch2/catch_test_macros.hpp>

#include <boost/json.hpp>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hw/aie/array.hpp"
#include "hw/aie/gemm_pipeline.hpp"
#include "hw/aie/kernels.hpp"

using namespace aie4emu::aie;
namespace json = boost::json;

namespace {

struct Span {
    double ts, dur;
    int64_t cycle, cycles;
    std::string name;
};

struct ParsedTrace {
    std::map<int64_t, std::string> process;                               // pid -> process_name
    std::map<std::pair<int64_t, int64_t>, std::string> thread;            // (pid, tid) -> thread_name
    std::map<std::pair<int64_t, int64_t>, std::vector<Span>> spans;       // per track
    size_t sort_indices = 0;
};

// Checks every event's fields as the trace-event format defines them and collects the tracks.
ParsedTrace parse(const std::string& text)
{
    ParsedTrace t;
    const json::value v = json::parse(text);
    REQUIRE(v.is_object());
    REQUIRE(v.at("traceEvents").is_array());
    for (const auto& e : v.at("traceEvents").as_array()) {
        REQUIRE(e.is_object());
        const auto& o = e.as_object();
        REQUIRE(o.at("ph").is_string());
        REQUIRE(o.at("name").is_string());
        REQUIRE(o.at("pid").is_int64());
        REQUIRE(o.at("tid").is_int64());
        const std::string ph(o.at("ph").as_string());
        const std::string name(o.at("name").as_string());
        const int64_t pid = o.at("pid").as_int64(), tid = o.at("tid").as_int64();
        CHECK(pid > 0);
        if (ph == "M") {
            if (name == "process_name") {
                CHECK(t.process.emplace(pid, std::string(o.at("args").at("name").as_string())).second);
            } else if (name == "thread_name") {
                CHECK(tid > 0);
                CHECK(t.thread.emplace(std::pair{pid, tid}, std::string(o.at("args").at("name").as_string())).second);
            } else {
                CHECK(name == "thread_sort_index");
                CHECK(o.at("args").at("sort_index").is_int64());
                ++t.sort_indices;
            }
            continue;
        }
        REQUIRE(ph == "X");   // the array records spans only
        REQUIRE(o.at("ts").is_number());
        REQUIRE(o.at("dur").is_number());
        const auto& args = o.at("args").as_object();
        Span s{o.at("ts").to_number<double>(), o.at("dur").to_number<double>(), args.at("cycle").to_number<int64_t>(),
               args.at("cycles").to_number<int64_t>(), name};
        CHECK(s.dur >= 0);
        // 1 cycle is shown as 1 ns: ts and dur are microseconds.
        CHECK(s.ts == static_cast<double>(s.cycle) / 1000.0);
        CHECK(s.dur == static_cast<double>(s.cycles) / 1000.0);
        t.spans[{pid, tid}].push_back(s);
    }
    return t;
}

} // namespace

TEST_CASE("the array trace is valid trace-event JSON with one track per channel and core")
{
    constexpr uint64_t kBase = 0x3000'0000;
    constexpr uint32_t kRepeat = 3;
    Array array;
    BufferHostMemory host(kBase, 1 << 20);
    array.attach_host_memory(0, 3, &host);
    array.trace().set_enabled(true);
    const uint16_t cols[] = {0, 2};
    for (uint16_t c : cols) {
        GemmPipelineConfig cfg{.col = c, .m = 16, .n = 16, .k = 32, .host_a = kBase, .host_b = kBase + 0x10000,
                               .host_c = kBase + 0x20000 + c * 0x1000ull, .repeat = kRepeat};
        REQUIRE(program_gemm_pipeline(array, cfg));
    }
    REQUIRE(array.run_until_idle(10'000'000));
    REQUIRE(array.errors().empty());

    const ParsedTrace t = parse(array.trace().to_json());
    CHECK(t.sort_indices == t.thread.size());
    // One process per column used, named after it.
    std::set<std::string> processes;
    for (const auto& [pid, name] : t.process)
        processes.insert(name);
    CHECK(processes == std::set<std::string>{"col 0", "col 2"});

    // The pipeline's channels and core in each column: each a track of its own.
    for (uint16_t c : cols) {
        const std::string tile0 = "tile(" + std::to_string(c) + ",0) ", tile1 = "tile(" + std::to_string(c) + ",1) ",
                          tile2 = "tile(" + std::to_string(c) + ",2) ";
        const std::set<std::string> expected{
            tile0 + "mm2s0", tile0 + "mm2s1", tile0 + "s2mm0", tile1 + "s2mm0", tile1 + "s2mm1", tile1 + "s2mm2",
            tile1 + "mm2s0", tile1 + "mm2s1", tile1 + "mm2s2", tile2 + "s2mm0", tile2 + "s2mm1", tile2 + "mm2s0",
            tile2 + "core"};
        std::set<std::string> got;
        for (const auto& [id, name] : t.thread)
            if (t.process.at(id.first) == "col " + std::to_string(c))
                got.insert(name);
        CHECK(got == expected);
    }

    const CostParams costs;
    ProgramDescriptor d;
    d.kernel = KernelId::gemm_i8;
    d.m = 16;
    d.n = 16;
    d.k = 32;
    const int64_t kernel_span = static_cast<int64_t>(kernel_cycles(d, costs) + 3 * costs.lock_cycles);
    size_t tracks_with_spans = 0;
    for (const auto& [id, spans] : t.spans) {
        REQUIRE(t.thread.count(id) == 1);   // every span is on a named track
        ++tracks_with_spans;
        const std::string& name = t.thread.at(id);
        CAPTURE(name);
        // Each BD (or invocation) of the repeated task is one span, in order, never overlapping.
        CHECK(spans.size() == kRepeat);
        for (size_t i = 1; i < spans.size(); ++i)
            CHECK(spans[i].cycle >= spans[i - 1].cycle + spans[i - 1].cycles);
        for (const Span& s : spans) {
            CHECK(s.cycles > 0);
            if (name.ends_with("core")) {
                CHECK(s.name.starts_with("gemm_i8 #"));
                CHECK(s.cycles == kernel_span);
            } else {
                CHECK(s.name.starts_with("bd "));
            }
        }
    }
    CHECK(tracks_with_spans == t.thread.size());
}

TEST_CASE("the trace file written by the demo path parses like to_json")
{
    Array array;
    BufferHostMemory host(0, 1 << 20);
    array.attach_host_memory(0, 1, &host);
    array.trace().set_enabled(true);
    GemmPipelineConfig cfg{.m = 8, .n = 8, .k = 8, .host_a = 0, .host_b = 0x1000, .host_c = 0x2000};
    REQUIRE(program_gemm_pipeline(array, cfg));
    REQUIRE(array.wait_tcts(gemm_output_channel(array, cfg), 1, 1'000'000));
    const std::string path = "unit-aie-trace.json";
    std::string err;
    REQUIRE(array.trace().write_file(path, &err));
    std::string text;
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
            text.append(buf, n);
        std::fclose(f);
    }
    std::remove(path.c_str());
    CHECK(text == array.trace().to_json());
    const ParsedTrace t = parse(text);
    CHECK(t.thread.size() == 13);
}
