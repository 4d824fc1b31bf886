// xrt-copy: a copy with a transformation through the array, run from XRT.
// The kernel (guest-driver/ctrlcode/copy.asm) moves a 32 x 32 matrix of 32-bit words from
// argument 0 through the shim and a memory tile back to argument 1, transposed by the memory
// tile's drain BD. Every output word is checked against a transpose computed here.
//
//   xrt-copy [--elf copy.elf] [--runs N] [--in-flight K] [--contexts C]
// --contexts C opens C hardware contexts (C x 3 MiB-per-column scratch pads) and repeats the
// sequential runs on each.
// --in-flight K keeps K runs (each with its own buffers) started before the first wait.
// Prints the mean wall time per run (start to wait) of the sequential runs.
#include "example.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace {

constexpr unsigned kDim = 32;
constexpr std::size_t kBytes = kDim * kDim * sizeof(std::uint32_t);

struct Job {
    xrt::bo in, out;
    xrt::run run;
};

void fill(Job& job, std::uint32_t seed)
{
    auto* in = job.in.map<std::uint32_t*>();
    for (unsigned i = 0; i < kDim * kDim; ++i)
        in[i] = seed * 0x9E3779B9u + i * 0x01000193u;
    std::memset(job.out.map<void*>(), 0xCD, kBytes);
    job.in.sync(XCL_BO_SYNC_BO_TO_DEVICE);
    job.out.sync(XCL_BO_SYNC_BO_TO_DEVICE);
}

bool check(Job& job, const char* what)
{
    job.out.sync(XCL_BO_SYNC_BO_FROM_DEVICE);
    const auto* in = job.in.map<const std::uint32_t*>();
    const auto* out = job.out.map<const std::uint32_t*>();
    for (unsigned i = 0; i < kDim; ++i)
        for (unsigned j = 0; j < kDim; ++j)
            if (out[i * kDim + j] != in[j * kDim + i]) {
                std::fprintf(stderr, "xrt-copy: %s: out[%u][%u] = %#x, want in[%u][%u] = %#x\n", what, i, j,
                             out[i * kDim + j], j, i, in[j * kDim + i]);
                return false;
            }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    return example::guarded_main("xrt-copy", [&] {
        const std::string elf = example::option(argc, argv, "--elf", "/usr/local/share/aie4/xrt/copy.elf");
        const unsigned runs = example::option_count(argc, argv, "--runs", 20, 100000);
        const unsigned in_flight = example::option_count(argc, argv, "--in-flight", 1, 16);
        const unsigned contexts = example::option_count(argc, argv, "--contexts", 1, 16);
        example::ElfKernel k(elf);
        std::vector<std::unique_ptr<example::ElfKernel>> more;
        for (unsigned c = 1; c < contexts; ++c)
            more.push_back(std::make_unique<example::ElfKernel>(elf));

        std::vector<Job> jobs;
        for (unsigned j = 0; j < in_flight; ++j) {
            Job job{example::make_buffer(k.device, kBytes), example::make_buffer(k.device, kBytes), xrt::run(k.kernel)};
            job.run.set_arg(0, job.in);
            job.run.set_arg(1, job.out);
            jobs.push_back(std::move(job));
        }

        // Sequential runs on one run object: the latency XRT adds per command.
        double total_us = 0;
        std::vector<double> times;
        for (unsigned r = 0; r < runs; ++r) {
            fill(jobs[0], r);
            const auto t0 = std::chrono::steady_clock::now();
            example::run_and_wait(jobs[0].run);
            times.push_back(example::microseconds_since(t0));
            total_us += times.back();
            if (!check(jobs[0], ("run " + std::to_string(r)).c_str()))
                return 1;
        }
        std::sort(times.begin(), times.end());
        std::printf("xrt-copy: %u runs verified (32x32 transpose), %.1f us per run (median %.1f us, min %.1f us)\n",
                    runs, total_us / runs, times[times.size() / 2], times.front());
        for (unsigned c = 0; c < more.size(); ++c) {
            Job job{example::make_buffer(more[c]->device, kBytes), example::make_buffer(more[c]->device, kBytes),
                    xrt::run(more[c]->kernel)};
            job.run.set_arg(0, job.in);
            job.run.set_arg(1, job.out);
            for (unsigned r = 0; r < runs; ++r) {
                fill(job, 500 + r);
                example::run_and_wait(job.run);
                if (!check(job, ("context " + std::to_string(c + 1) + " run " + std::to_string(r)).c_str()))
                    return 1;
            }
        }
        if (contexts > 1)
            std::printf("xrt-copy: %u contexts open at once, %u runs verified on each\n", contexts, runs);

        if (in_flight > 1) {
            for (unsigned j = 0; j < in_flight; ++j)
                fill(jobs[j], 1000 + j);
            for (auto& job : jobs)
                job.run.start();
            for (unsigned j = 0; j < in_flight; ++j) {
                const ert_cmd_state s = jobs[j].run.wait();
                if (s != ERT_CMD_STATE_COMPLETED)
                    throw std::runtime_error("in-flight run " + std::to_string(j) + " ended in state " +
                                             std::to_string(static_cast<int>(s)));
            }
            for (unsigned j = 0; j < in_flight; ++j)
                if (!check(jobs[j], ("in-flight run " + std::to_string(j)).c_str()))
                    return 1;
            std::printf("xrt-copy: %u runs in flight at once, all verified\n", in_flight);
        }
        std::printf("xrt-copy: PASS\n");
        return 0;
    });
}
