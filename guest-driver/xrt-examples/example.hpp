#pragma once
// Shared by the XRT example applications (docs/xrt.md): opening the VF and an ELF kernel the way
// any XRT 2.25 host program does on AIE4 (docs/spec/queue-and-cert.md §12.1), and reporting.
// XRT public API only; no project header, so these files also show what a user writes.
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_hw_context.h>
#include <xrt/xrt_kernel.h>
#include <xrt/experimental/xrt_elf.h>
#include <xrt/experimental/xrt_ext.h>

#include "cli/number.hpp"   // the project's one number rule

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace example {

// An ELF made by `aiebu-asm -t aie4_config` opens a hardware context sized from the ELF; its
// kernel is reached through xrt::ext::kernel (the plain xrt::kernel wants an xclbin context).
struct ElfKernel {
    xrt::device device;
    xrt::elf elf;
    xrt::hw_context context;
    xrt::ext::kernel kernel;

    explicit ElfKernel(const std::string& elf_path, unsigned device_index = 0)
        : device(device_index), elf(elf_path), context(device, elf), kernel(context, "DPU")
    {}
};

// A host-visible buffer of the device. Held as xrt::bo: an lvalue declared xrt::ext::bo would
// bind to run::set_arg's scalar template and throw "Patching scalar values only supports 64-bit
// values or less".
inline xrt::bo make_buffer(const xrt::device& device, std::size_t bytes)
{
    return xrt::ext::bo{device, bytes};
}

// Runs, waits, and throws when the command did not complete.
inline void run_and_wait(xrt::run& run)
{
    run.start();
    const ert_cmd_state state = run.wait();
    if (state != ERT_CMD_STATE_COMPLETED)
        throw std::runtime_error("run ended in state " + std::to_string(static_cast<int>(state)));
}

inline double microseconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

// "--name value" options with defaults; anything else is a usage error.
inline const char* option(int argc, char** argv, const char* name, const char* fallback)
{
    for (int i = 1; i + 1 < argc; i += 2)
        if (std::strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

inline unsigned option_count(int argc, char** argv, const char* name, unsigned fallback, unsigned max)
{
    const char* v = option(argc, argv, name, nullptr);
    if (v == nullptr)
        return fallback;
    const auto n = aie4emu::cli::parse_number<unsigned>(v);
    if (!n || *n == 0 || *n > max)
        throw std::invalid_argument(std::string(name) + " wants a number in 1.." + std::to_string(max));
    return *n;
}

// Exit status of every example: 0 verified, 1 a result was wrong, 2 XRT or usage error.
template <typename Body>
int guarded_main(const char* name, Body body)
{
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", name, e.what());
        return 2;
    }
}

} // namespace example
