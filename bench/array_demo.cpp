// aie4-array-demo: runs the shim -> memory tile -> GEMM -> memory tile -> shim
// pipeline on column 0, checks the result and writes a Perfetto trace.
// Usage: aie4-array-demo --help
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "hw/aie/array.hpp"
#include "hw/aie/gemm_pipeline.hpp"

using namespace aie4emu::aie;

int main(int argc, char** argv)
{
    std::string path = "aie4-array-trace.json";
    uint32_t repeat = 4;
    CLI::App app{"Runs the shim -> memory tile -> GEMM -> memory tile -> shim pipeline on column 0, checks\n"
                 "the result and writes a Perfetto trace.",
                 "aie4-array-demo"};
    aie4emu::cli::configure(app, "usage: aie4-array-demo [TRACE] [REPEAT]");
    app.add_option("TRACE", path, "trace file (default aie4-array-trace.json)");
    app.add_option_function<std::string>("REPEAT", [&repeat](const std::string& text) {
        const auto v = aie4emu::cli::parse_number<uint32_t>(text);
        if (!v)
            throw CLI::ValidationError("REPEAT", "must be a number (decimal or 0x hex), not '" + text + "'");
        repeat = *v;
    }, "GEMM repetitions (default 4)");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    constexpr uint64_t kBase = 0x1000'0000;
    Array array;
    BufferHostMemory host(kBase, 1 << 20);
    array.attach_host_memory(0, 3, &host);
    array.trace().set_enabled(true);
    GemmPipelineConfig cfg{.m = 32, .n = 32, .k = 64, .host_a = kBase, .host_b = kBase + 0x10000,
                           .host_c = kBase + 0x20000, .repeat = repeat == 0 ? 1 : repeat};
    std::vector<int8_t> a(size_t{cfg.m} * cfg.k), b(size_t{cfg.k} * cfg.n);
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = static_cast<int8_t>(i * 7 % 19 - 9);
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<int8_t>(i * 5 % 13 - 6);
    std::memcpy(host.at(cfg.host_a), a.data(), a.size());
    std::memcpy(host.at(cfg.host_b), b.data(), b.size());
    if (!program_gemm_pipeline(array, cfg) || !array.wait_tcts(gemm_output_channel(array, cfg), 1, 100'000'000)) {
        std::fprintf(stderr, "pipeline did not complete (%zu errors)\n", array.errors().size());
        for (const auto& e : array.errors())
            std::fprintf(stderr, "  %s: %s\n", error_kind_name(e.kind), e.message.c_str());
        return 1;
    }
    size_t wrong = 0;
    for (uint32_t i = 0; i < cfg.m; ++i)
        for (uint32_t j = 0; j < cfg.n; ++j) {
            int32_t ref = 0;
            for (uint32_t k = 0; k < cfg.k; ++k)
                ref += int32_t{a[i * cfg.k + k]} * int32_t{b[k * cfg.n + j]};
            int32_t got;
            std::memcpy(&got, host.at(cfg.host_c + 4 * (i * cfg.n + j)), 4);
            wrong += got != ref;
        }
    std::string err;
    if (!array.trace().write_file(path, &err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    std::printf("GEMM %ux%ux%u x%u: %s, %llu cycles, %zu trace events -> %s\n", cfg.m, cfg.n, cfg.k, cfg.repeat,
                wrong == 0 ? "correct" : "WRONG", static_cast<unsigned long long>(array.now()),
                array.trace().event_count(), path.c_str());
    return wrong == 0 ? 0 : 1;
}
