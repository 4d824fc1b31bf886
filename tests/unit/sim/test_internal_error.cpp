// The internal-error policy (hw/sim/internal_error.hpp): reported errors are counted and
// logged; strict mode aborts the process in the report.
#include <catch2/catch_test_macros.hpp>

#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include "hw/sim/internal_error.hpp"

using namespace aie4emu::sim;

TEST_CASE("internal error: counted when not strict, the process goes on", "[sim]")
{
    const bool was = abort_on_internal_error();
    set_abort_on_internal_error(false);
    const uint64_t before = internal_error_count();
    report_internal_error("a test", "on purpose");
    try {
        throw std::runtime_error("thrown on purpose");
    } catch (...) {
        CHECK(exception_message(std::current_exception()) == "thrown on purpose");
        report_internal_error("a test", std::current_exception());
    }
    CHECK(internal_error_count() == before + 2);
    set_abort_on_internal_error(was);
}

TEST_CASE("internal error: strict mode aborts in the report", "[sim]")
{
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The test framework's own SIGABRT handler would report (and write its report file)
        // from the child too: the child dies of the plain signal instead.
        std::signal(SIGABRT, SIG_DFL);
        set_abort_on_internal_error(true);
        report_internal_error("a test", "strict");
        _exit(0);   // not reached in strict mode
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
}
