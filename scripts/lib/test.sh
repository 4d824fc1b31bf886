# ./aie4 test and ./aie4 run-suite: the shell side (setup and builds); selection, running,
# parallelism, sharding and the JUnit report are in scripts/lib/runner.py. The last line of
# the output is "N passed, N failed". Sourced by ./aie4 after boot.sh.

AIE4_RUNNER=$AIE4_ROOT/scripts/lib/runner.py

# The build that unit tests and fuzz smoke runs use; prints its directory. The sanitizer build
# (CI=true or --asan: clang, ASan+UBSan, libFuzzer coverage, the libFuzzer targets; boot.sh
# sanitizer_build) or the plain build (already built by the caller).
test_unit_build() {
    if [ "$1" = 1 ]; then
        sanitizer_build >&2
        echo "$AIE4_BUILD_ASAN"
    else
        echo "$AIE4_BUILD"
    fi
}

# runner_main test|run-suite ARGS...: selection first (bad names fail before any build), then
# builds what the selected tests need, then the run.
runner_main() {
    local cmd=$1; shift
    local a
    # A fresh machine (a bare Debian container) may not have Python yet: it is a host package.
    command -v python3 >/dev/null || setup_host_if_needed
    for a in "$@"; do
        case $a in
            -h|--help|--list) python3 "$AIE4_RUNNER" "$cmd" "$@"; return;;
        esac
    done
    local plan unit=0 asan=0 guest=0 xrt=0 plain= key value
    plan=$(python3 "$AIE4_RUNNER" "$cmd" --plan "$@") || return $?
    while read -r key value; do
        case $key in unit) unit=$value;; asan) asan=$value;; guest) guest=$value;; xrt) xrt=$value;; plain) plain=$value;; esac
    done <<<"$plan"
    if [ "$guest" = 1 ]; then setup_if_needed; else setup_host_if_needed; fi
    # The plain build: only what the selected tests run from it (build_targets.py).
    # shellcheck disable=SC2086 # plain is a list of test names
    if [ "$guest" = 1 ] || [ -n "$plain" ]; then meson_build_for "$AIE4_BUILD" "$guest" $plain; fi
    local unit_dir=$AIE4_BUILD
    if [ "$unit" = 1 ]; then
        unit_dir=$(test_unit_build "$asan")
        if [ "$asan" = 1 ]; then
            export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
            export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
        fi
    fi
    if [ "$guest" = 1 ]; then
        build_images initramfs
        [ "$xrt" = 1 ] && build_images xrt
    fi
    AIE4_ROOT=$AIE4_ROOT AIE4_BUILD=$AIE4_BUILD AIE4_BUILD_ASAN=$AIE4_BUILD_ASAN \
        python3 "$AIE4_RUNNER" "$cmd" --unit-build "$unit_dir" "$@"
}

cmd_test() { runner_main test "$@"; }
cmd_run_suite() { runner_main run-suite "$@"; }
