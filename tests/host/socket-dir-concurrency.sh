#!/usr/bin/env bash
# Concurrent emulators and launchers on one socket folder:
#  1. a second aie4emu on a folder that a live one serves is refused (exit 3, the folder and the
#     holder's pid named) and touches nothing: the first keeps its sockets and answers;
#  2. an emulator whose folder was removed and recreated under it (a harness cleaning up) does
#     not delete, when it exits, the sockets of the emulator that now serves the folder;
#  3. the sockets of a killed emulator are cleaned by the next one;
#  4. two emu/aie4-qemu started at once on one folder share one emulator, which outlives the
#     first QEMU to exit and stops after the last;
#  5. a folder too deep for a socket path is refused up front, naming the folder and the limit,
#     and nothing is created in it.
# Run by ./aie4 test on the host; needs a built tree (./aie4 build) and ./aie4 setup (QEMU).
# AIE4EMU_BIN and AIE4_QEMU_LAUNCHER replace the programs under test (to run it against
# another build).
# aie4-test: group=concurrency
set -euo pipefail
. "$(dirname "$0")/lib.sh"
emu_bin=${AIE4EMU_BIN:-$build/emu/aie4emu}
ctl=$build/emu/aie4ctl
launcher=${AIE4_QEMU_LAUNCHER:-$root/emu/aie4-qemu}
out=${AIE4_HOST_TEST_OUT:-$build/host-tests/socket-dir-concurrency}   # the runner gives each run a folder
rm -rf "$out"; mkdir -p "$out"
# The sockets live in a short temporary folder, not under $out: a checkout deep in the file
# system would make $out/.../control.sock longer than a socket path may be (step 5).
new_socket_dir; sockroot=$new_sock
sock=$sockroot/sock

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    # Emulators started by the launchers are not our children: stop them by their pid files.
    for f in "$sockroot"/*/aie4emu.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true; done
    rm -rf "${host_socks[@]}"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# start NAME: an aie4emu on $sock with one VF; sets started=<pid>.
start() {
    "$emu_bin" --socket-dir "$sock" --vfs 1 >"$out/$1.ready" 2>"$out/$1.log" &
    started=$!
    pids+=("$started")
    aie4_wait_emu_ready "$out/$1.ready" "$started" || { cat "$out/$1.log"; fail "aie4emu $1 did not start"; }
}
status_pid() { "$ctl" --socket-dir "$1" status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }
inodes() { stat -c '%n %i' "$sock"/control.sock "$sock"/pf.sock "$sock"/vf0.sock; }

echo "== 1. a second emulator on a live folder is refused"
start a; a=$started
before=$(inodes)
rc=0
timeout 10 "$emu_bin" --socket-dir "$sock" --vfs 1 >"$out/b.ready" 2>"$out/b.log" || rc=$?
cat "$out/b.log"
[ "$rc" = 3 ] || fail "the second aie4emu exited with $rc (expected 3: folder in use)"
grep -q '^aie4emu: ready' "$out/b.ready" && fail "the second aie4emu said it was ready"
grep -qF "$sock" "$out/b.log" || fail "the refusal does not name the folder"
grep -qF "pid $a" "$out/b.log" || fail "the refusal does not name the holder's pid $a"
[ "$(inodes)" = "$before" ] || fail "the refused emulator replaced sockets: $(inodes)"
[ "$(status_pid "$sock")" = "$a" ] || fail "the first emulator no longer answers on its control socket"

echo "== 2. an emulator whose folder was recreated leaves the new emulator's sockets"
rm -rf "$sock"
start c; c=$started
kill -TERM "$a"; wait "$a" || true
for f in control.sock pf.sock vf0.sock; do
    [ -S "$sock/$f" ] || fail "$f of the emulator now serving the folder was removed when the old one exited"
done
[ "$(status_pid "$sock")" = "$c" ] || fail "the emulator now serving the folder does not answer"
[ "$(cat "$sock/aie4emu.pid")" = "$c" ] || fail "aie4emu.pid no longer names the emulator serving the folder"

echo "== 3. a killed emulator's sockets are cleaned by the next one"
kill -KILL "$c"; wait "$c" 2>/dev/null || true
[ -S "$sock/control.sock" ] || fail "expected the killed emulator's sockets to be left behind"
start d; d=$started
[ "$(status_pid "$sock")" = "$d" ] || fail "the next emulator does not answer after a killed one"
kill -TERM "$d"; wait "$d" || true
for f in control.sock pf.sock vf0.sock aie4emu.pid; do [ ! -e "$sock/$f" ] || fail "$f left after a clean exit"; done

echo "== 4. two launchers at once share one emulator"
shared=$sockroot/shared
# QEMU stopped before the first instruction (-S): vfio-user-pci connects at device creation,
# which is all this needs; no guest boots. Both ask for one VF: whichever launcher wins starts
# the emulator, and the other one's vf0 must be there.
qemu_opts=(-machine q35,accel=tcg -m 256M -nographic -nodefaults -S -monitor none -serial none)
AIE4EMU_LOG=$out/launch.emu.log "$launcher" "${qemu_opts[@]}" -device "aie4,fn=pf,vfs=1,socket-dir=$shared" \
    >"$out/qemu-1.log" 2>&1 & q1=$!
AIE4EMU_LOG=$out/launch.emu.log "$launcher" "${qemu_opts[@]}" -device "aie4,fn=vf0,vfs=1,socket-dir=$shared" \
    >"$out/qemu-2.log" 2>&1 & q2=$!
pids+=("$q1" "$q2")
connected() { # connected FN: the emulator of $shared reports FN's vfio-user client connected
    "$ctl" --socket-dir "$shared" status 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(1)   # no emulator answering yet
sys.exit(0 if s["functions"].get(sys.argv[1], {}).get("connected") else 1)' "$1"
}
for _ in $(seq 300); do
    connected pf && connected vf0 && break
    kill -0 "$q1" 2>/dev/null || break
    kill -0 "$q2" 2>/dev/null || break
    sleep 0.1
done
cat "$out/launch.emu.log" 2>/dev/null || true
kill -0 "$q1" 2>/dev/null || { cat "$out/qemu-1.log"; fail "the first launcher's QEMU exited"; }
kill -0 "$q2" 2>/dev/null || { cat "$out/qemu-2.log"; fail "the second launcher's QEMU exited"; }
connected pf && connected vf0 || fail "the two QEMUs are not clients of the same emulator"
emus=0   # processes whose command line serves $shared (read from /proc: no procps needed)
for c in /proc/[0-9]*/cmdline; do
    { tr '\0' ' ' <"$c"; } 2>/dev/null | grep -qF -- "--socket-dir $shared " && emus=$((emus + 1))
done
echo "aie4emu processes on $shared: $emus"
[ "$emus" = 1 ] || fail "$emus emulators were started for one folder"
emu=$(status_pid "$shared")
kill -TERM "$q1"; wait "$q1" || true
sleep 1
kill -0 "$emu" 2>/dev/null || fail "the emulator stopped when the first QEMU exited, while the second still used it"
connected vf0 || fail "the second QEMU lost its function when the first exited"
kill -TERM "$q2"; wait "$q2" || true
for _ in $(seq 150); do kill -0 "$emu" 2>/dev/null || break; sleep 0.1; done
kill -0 "$emu" 2>/dev/null && fail "the emulator outlived the last QEMU that used it"

echo "== 5. a socket folder too deep for sun_path is refused with its reason"
deep=$out/$(printf 'd%.0s' $(seq 110))
rc=0
timeout 10 "$emu_bin" --socket-dir "$deep" --vfs 1 >"$out/deep.ready" 2>"$out/deep.log" || rc=$?
cat "$out/deep.log"
[ "$rc" = 1 ] || fail "aie4emu on a too-deep folder exited with $rc (expected 1)"
grep -qF "$deep is too deep" "$out/deep.log" || fail "the error does not name the folder as too deep"
grep -qF "shorter than 108" "$out/deep.log" || fail "the error does not name the limit"
[ -e "$deep" ] && fail "aie4emu created the folder it refused"
echo PASS
