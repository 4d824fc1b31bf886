#include "hw/sim/internal_error.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace aie4emu::sim {
namespace {

bool env_is(const char* name, const char* value)
{
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, value) == 0;
}

bool strict_default()
{
#ifdef AIE4_ABORT_ON_INTERNAL_ERROR
    return true;
#else
    return env_is("CI", "true") || env_is("AIE4EMU_ABORT_ON_INTERNAL_ERROR", "1");
#endif
}

std::atomic<int> g_strict{-1};   // -1: not decided yet
std::atomic<uint64_t> g_count{0};
thread_local std::string g_message;

} // namespace

bool abort_on_internal_error()
{
    int s = g_strict.load();
    if (s < 0) {
        s = strict_default() ? 1 : 0;
        g_strict.store(s);
    }
    return s != 0;
}

void set_abort_on_internal_error(bool on) { g_strict.store(on ? 1 : 0); }

uint64_t internal_error_count() { return g_count.load(); }

void report_internal_error(std::string_view where, std::string_view what)
{
    g_count.fetch_add(1);
    const bool strict = abort_on_internal_error();
    fmt::print(stderr, "aie4emu: internal error in {}: {}{}\n", where, what, strict ? " (aborting: strict mode)" : "");
    std::fflush(stderr);
    if (strict)
        std::abort();
}

std::string_view exception_message(const std::exception_ptr& e)
{
    try {
        if (e)
            std::rethrow_exception(e);
        g_message = "no exception";
    } catch (const std::exception& x) {
        g_message = x.what();
    } catch (...) {
        g_message = "unknown exception";
    }
    return g_message;
}

void report_internal_error(std::string_view where, std::exception_ptr e)
{
    const std::string what(exception_message(e));
    report_internal_error(where, what);
}

} // namespace aie4emu::sim
