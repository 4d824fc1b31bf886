# Shared by the host tests (sourced, not a test itself: ./aie4 test runs tests/host/*.sh
# except this file). Sets root, build, results (this test's output folder) and starts aie4emu.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${AIE4EMU_BUILD:-$root/build}
. "$root/scripts/lib/common.sh"
# The runner gives each test a folder of its own run (AIE4_HOST_TEST_OUT); run by hand, the
# outputs go to build/host-tests/.
results=${AIE4_HOST_TEST_OUT:-$build/host-tests}
mkdir -p "$results"
host_socks=()
# The temporary folder the caller gave; start_emu points TMPDIR into each emulator's output, so
# a second start_emu in the same test must not make its socket dir under the first one's output
# (socket paths are limited to 107 bytes).
host_tmp=${TMPDIR:-/tmp}

# new_socket_dir: new_sock=<a new, short temporary folder> for an emulator's sockets, recorded in
# host_socks, which start_emu's exit trap (or the test's own cleanup) removes. Never under a
# test's output folder, whose path can be deep.
new_socket_dir() {
    new_sock=$(mktemp -d "$host_tmp/aie4-host.XXXXXX")
    host_socks+=("$new_sock")
}

# start_emu NAME VFS [AIE4EMU_OPTION...]: out=$results/NAME, sock=<a new temporary dir>,
# emu=<pid>; further words go to aie4emu as they are (e.g. --total-vfs 7); the emulator is
# stopped and its socket dirs removed on exit. The socket dir is unique per call, so two runs of
# the same test at once never meet on one emulator.
start_emu() {
    out=$results/$1
    rm -rf "$out"; mkdir -p "$out"
    new_socket_dir; sock=$new_sock
    # The boots of this test keep their run folders (console, kernel log) here, not in /tmp: a
    # guest the test kills on purpose ends without a result, and ./aie4 boot keeps the folder of
    # such a run for the user. Sockets stay in $sock, whose path is short.
    mkdir -p "$out/tmp"
    export TMPDIR=$out/tmp
    "$build/emu/aie4emu" --socket-dir "$sock" --vfs "$2" "${@:3}" >"$out/ready" 2>"$out/aie4emu.log" &
    emu=$!
    trap 'kill -TERM $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "${host_socks[@]}"' EXIT
    aie4_wait_emu_ready "$out/ready" "$emu" && return 0
    echo "FAIL: aie4emu did not start"; cat "$out/aie4emu.log"; exit 1
}
