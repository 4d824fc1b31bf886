// bench-queue: user-mode queue throughput and doorbell -> completion latency of CERT,
// measured host-side, no guest: a test client lays out packets exactly as XRT 2.25 does
// (tests/unit/cert/cert_rig.hpp), rings the doorbell, lets CERT run, and checks the
// completion word. CERT and the tile array are the real ones; guest memory is a vector.
//
//   bench-queue [--commands N]
//
// Rows:
//   latency, empty:  one command at a time; wall time from the doorbell to the completion
//                    word being COMPLETED (median, p99)
//   throughput, empty, depth 32: 32 packets per doorbell; commands per host second
//   copy / gemm:     one command at a time; host time per command and simulated cycles
// Results go to docs/performance.md "User-mode queue".
#include "cli/cli.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/unit/cert/cert_rig.hpp"

using namespace certtest;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kCompleted = 4;   // ERT_CMD_STATE_COMPLETED (docs/spec/queue-and-cert.md §5.2)

struct Percentiles {
    double median_us = 0, p99_us = 0;
};

Percentiles percentiles(std::vector<double> us)
{
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

[[noreturn]] void fail(const std::string& what)
{
    fmt::print(stderr, "bench-queue: {}\n", what);
    std::exit(1);
}

// One command at a time on a fresh context; returns host microseconds per command and
// checks every completion.
std::vector<double> one_at_a_time(Rig& rig, Context& c, uint64_t code, unsigned n)
{
    std::vector<double> us;
    us.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        rig.submit(c, code, 0);
        const auto t0 = Clock::now();
        rig.ring(c);
        rig.dev.drain();
        const auto t1 = Clock::now();
        if (rig.completion(c, 0) != kCompleted)
            fail(fmt::format("command {} did not complete (state {})", i, rig.completion(c, 0)));
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        rig.dev.log.clear();
    }
    return us;
}

void bench_empty(unsigned n)
{
    Rig rig;
    Context c = rig.make_context(1, 1, 0);
    const uint64_t code = rig.install(c, load_file("ctrlcode/empty.uc0.bin"));
    auto lat = percentiles(one_at_a_time(rig, c, code, n));
    fmt::print("latency    empty, depth 1          n={:7}  median {:7.2f} us  p99 {:7.2f} us\n", n, lat.median_us,
               lat.p99_us);

    Context d = rig.make_context(1, 2, 1);
    const uint64_t code_d = rig.install(d, load_file("ctrlcode/empty.uc0.bin"));
    const unsigned batches = std::max(1u, n / 32);
    const auto t0 = Clock::now();
    for (unsigned b = 0; b < batches; ++b) {
        for (unsigned i = 0; i < 32; ++i)
            rig.submit(d, code_d, i);
        rig.ring(d);
        rig.dev.drain();
        if (rig.read_index(d) != d.wi)
            fail("depth-32 batch not retired");
        rig.dev.log.clear();
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    fmt::print("throughput empty, depth 32         n={:7}  {:9.0f} commands/s\n", batches * 32, batches * 32 / s);
}

void bench_workload(const char* name, unsigned n)
{
    Rig rig;
    Context c = rig.make_context(1, 1, 0);
    std::vector<uint64_t> args{c.region.arg(0), c.region.arg(1), c.region.arg(2)};
    const uint64_t code = rig.install(c, load_program(fmt::format("ctrlcode/{}", name), args));
    const auto us = percentiles(one_at_a_time(rig, c, code, n));
    const auto& last = rig.cert.history().back();
    fmt::print("workload   {:5}, depth 1          n={:7}  median {:7.2f} us  p99 {:7.2f} us  {} simulated cycles each\n",
               name, n, us.median_us, us.p99_us, last.cycles());
}

} // namespace

int main(int argc, char** argv)
{
    unsigned n = 20000;
    CLI::App app{"User-mode queue through CERT, host side (docs/performance.md \"User-mode queue\").", "bench-queue"};
    aie4emu::cli::configure(app, "usage: bench-queue [--commands N]");
    aie4emu::cli::add_number(app, "--commands", n, 1u, 100000000u, "empty commands (default 20000; at least 32 are run)");
    if (auto rc = aie4emu::cli::run(app, argc, argv))
        return *rc;
    if (n < 32)
        n = 32;
    bench_empty(n);
    bench_workload("copy", std::max(32u, n / 20));
    bench_workload("gemm", std::max(32u, n / 100));
    return 0;
}
