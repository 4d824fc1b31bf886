# Shared by the host tests (sourced, not a test itself: ./aie4 test runs tests/host/*.sh
# except this file). Sets root, build, out (a fresh folder per test) and starts aie4emu.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${AIE4EMU_BUILD:-$root/build}
. "$root/scripts/lib/common.sh"

# start_emu NAME VFS: out=$build/host-tests/NAME, sock=$out/sock, emu=<pid>; stopped on exit.
start_emu() {
    out=$build/host-tests/$1
    rm -rf "$out"; mkdir -p "$out"
    sock=$out/sock
    "$build/emu/aie4emu" --socket-dir "$sock" --vfs "$2" >"$out/ready" 2>"$out/aie4emu.log" &
    emu=$!
    trap 'kill -TERM $emu 2>/dev/null || true; wait $emu 2>/dev/null || true' EXIT
    aie4_wait_emu_ready "$out/ready" "$emu" && return 0
    echo "FAIL: aie4emu did not start"; cat "$out/aie4emu.log"; exit 1
}
