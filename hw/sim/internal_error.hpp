// Exceptions nobody expected in code a guest can reach: a bug in the emulator, or the host
// running out of memory. Guest input is validated and answered with an error, never thrown
// about, so such an exception is never part of normal operation.
//
// Policy: the code that catches one turns it into an error the guest can see on what it
// affected (an error completion on the command, a failed context, a failed function) and
// reports it here exactly once. Strict mode (CI, sanitizer builds) aborts in the report
// instead, so a test cannot pass over an internal error: on when built with
// -Dabort_on_internal_error=true, when the environment has CI=true or
// AIE4EMU_ABORT_ON_INTERNAL_ERROR=1, or after set_abort_on_internal_error(true).
#pragma once

#include <cstdint>
#include <exception>
#include <string_view>

namespace aie4emu::sim {

// Logs "internal error in WHERE: WHAT" (always, to stderr), counts it, aborts in strict mode.
void report_internal_error(std::string_view where, std::string_view what);
// The same for the exception being handled (call inside a catch block).
void report_internal_error(std::string_view where, std::exception_ptr e);
// The message of an exception_ptr ("unknown exception" for a non-std one).
[[nodiscard]] std::string_view exception_message(const std::exception_ptr& e);

[[nodiscard]] bool abort_on_internal_error();
void set_abort_on_internal_error(bool on);
// Internal errors reported since start (for stats and tests).
[[nodiscard]] uint64_t internal_error_count();

} // namespace aie4emu::sim
