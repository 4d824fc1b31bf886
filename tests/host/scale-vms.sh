#!/usr/bin/env bash
# Scale: one aie4emu with N VFs and N VMs, each VM on its own VF, all running checked workloads
# at once (aie4-umq-test compares every output byte). N is 4; AIE4_SCALE_VMS=7 runs seven
# (aie4emu then gets --total-vfs 7 --columns 21; CI does not set it). Roles:
#   vf0  the victim: runs gemm back to back until the host SIGKILLs its QEMU mid-job (after
#        the emulator has counted at least 100 of its commands and while its context is live);
#   vf1  resets its own VF from the guest (sysfs reset: function-level reset) while gemm-long
#        jobs are in flight (after its interrupt count shows completions), reloads amdxdna and
#        then runs further checked copy and gemm workloads;
#   vf2.. bystanders: checked copy and gemm batches in a loop from GO until STOP, so they are
#        running throughout the kill, the reset, and a fresh VM attaching vf0 again.
# The host drives the VMs through a third serial port each (ttyS2 in the guest, a unix socket
# on the host): READY from the guest, GO and STOP to it. Checked afterwards on the emulator
# (aie4ctl): it is alive; vf0 holds no contexts and its function was reset when its client
# went away; vf1 was reset and ran commands afterwards; every bystander command the emulator
# retired completed OK and their number is what the guests counted; a fresh VM attached vf0
# and ran checked work. Figures per VM (commands, wall time, commands/s, simulated cycles per
# command) are printed and written to figures.json in the results folder (docs/performance.md).
# aie4-test: timeout=2400
set -euo pipefail
. "$(dirname "$0")/lib.sh"
vms=${AIE4_SCALE_VMS:-4}
case $vms in
    4) start_emu scale-vms 4 ;;
    7) start_emu scale-vms 7 --total-vfs 7 --columns 21 ;;
    *) echo "FAIL: AIE4_SCALE_VMS must be 4 or 7, not '$vms'"; exit 1 ;;
esac
ctl() { "$build/emu/aie4ctl" --socket-dir "$sock" "$@"; }
boot_pids=()
stop_all() {
    local p
    for p in $(pgrep -f "vfio-user-pci.*$sock/" || true); do kill -9 "$p" 2>/dev/null || true; done
    for p in "${boot_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    kill -TERM $emu 2>/dev/null || true; wait $emu 2>/dev/null || true
    rm -rf "${host_socks[@]}"
}
trap stop_all EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Every guest: console quiet (markers on lines of their own), the signal port open before READY.
prelude='echo 1 >/proc/sys/kernel/printk
modprobe amdxdna || exit 1
exec 3</dev/ttyS2 || { echo "FAIL: no signal port"; exit 1; }
stty -F /dev/ttyS2 -echo 2>/dev/null
wait_for() { while read -r line <&3; do [ "$line" = "$1" ] && return 0; done; echo "FAIL: signal port closed"; exit 1; }
up() { cut -d" " -f1 /proc/uptime; }
# run_checked ARGS...: one checked aie4-umq-test batch; its figures on a SCALE-BATCH line.
run_checked() {
    aie4-umq-test "$@" >/tmp/batch.log 2>&1; rc=$?
    if [ $rc != 0 ] || ! grep -q "^result=PASS" /tmp/batch.log; then cat /tmp/batch.log; echo "FAIL: aie4-umq-test $*"; exit 1; fi
    echo "SCALE-BATCH $(grep -o "^completed=[0-9]*" /tmp/batch.log) $(grep -o "^elapsed_s=[0-9.]*" /tmp/batch.log) $*"
}
echo "SCALE-READY"
wait_for GO
echo "SCALE-T0 $(up)"'

{ echo "$prelude"; cat <<'G'
echo "SCALE-BUSY"
aie4-umq-test --workload gemm --count 100000000 --depth 8 >/tmp/victim.log 2>&1
cat /tmp/victim.log
echo "FAIL: the victim's job ended before its VM was killed"
exit 1
G
} >"$out/vm0.sh"

{ echo "$prelude"; cat <<'G'
vf=$(grep -l 0x17f3 /sys/bus/pci/devices/*/device | head -n1); vf=${vf%/device}
[ -n "$vf" ] || { echo "FAIL: no VF"; exit 1; }
run_checked --workload copy --count 200 --depth 8
hsa_irqs() { awk '/xdna_hsa/ { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; exit }' /proc/interrupts; }
base=$(hsa_irqs)
aie4-umq-test --workload gemm-long --count 100000 --depth 4 --timeout-ms 5000 >/tmp/bg.log 2>&1 &
bg=$!
# The reset lands mid-job: only after this process's jobs have raised completions.
i=0
while [ $(( $(hsa_irqs) - base )) -lt 3 ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $bg 2>/dev/null || { cat /tmp/bg.log; echo "FAIL: the jobs ended before the reset"; exit 1; }
echo "SCALE-FLR $(( $(hsa_irqs) - base )) completions in, resetting $(basename $vf)"
echo 1 >$vf/reset || { echo "FAIL: writing reset"; exit 1; }
for i in $(seq 1 60); do kill -0 $bg 2>/dev/null || break; sleep 1; done
kill -0 $bg 2>/dev/null && { kill -9 $bg; echo "FAIL: the process hangs 60 s after the reset"; exit 1; }
wait $bg && { cat /tmp/bg.log; echo "FAIL: every job completed across the reset"; exit 1; }
echo "SCALE-FLR-FAILED-AS-EXPECTED $(grep -c 'failed' /tmp/bg.log) failure lines"
# The 7.3.4 driver keeps its stale mailbox state after a VF reset: reload it.
rmmod amdxdna || { echo "FAIL: rmmod"; exit 1; }
modprobe amdxdna || { echo "FAIL: modprobe after the reset"; exit 1; }
run_checked --workload copy --count 200 --depth 8
run_checked --workload gemm --count 200 --depth 8
echo "SCALE-T1 $(up)"
echo "SCALE-FLR-RECOVERED"
G
} >"$out/vm1.sh"

for k in $(seq 2 $((vms - 1))); do
    { echo "$prelude"; cat <<'G'
( while read -r line <&3; do [ "$line" = STOP ] && { touch /tmp/stop; exit 0; }; done ) &
n=0
while [ $n -lt 500 ]; do
    run_checked --workload copy --count 200 --depth 8
    run_checked --workload gemm --count 200 --depth 8
    n=$((n + 1))
    [ -e /tmp/stop ] && [ $n -ge 2 ] && break
done
[ -e /tmp/stop ] || { echo "FAIL: no STOP after $n rounds"; exit 1; }
echo "SCALE-T1 $(up)"
echo "SCALE-DONE $n rounds"
G
    } >"$out/vm$k.sh"
done

# signal K WORD: a line to VM K's signal port.
signal() {
    python3 - "$sock/vm$1.sig" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.3)
s.close()
PY
}
boot_vm() { # boot_vm K SCRIPT LOG
    "$root/aie4" boot --socket-dir "$sock" --attach "vf$1" --script "$2" --timeout 1500 \
        -- -serial "unix:$sock/vm$1.sig,server=on,wait=off" >"$3" 2>&1
}
# fn_field FN FIELD: the emulator's per-function total (0 before the function retired a packet).
fn_field() {
    ctl commands last=0 | python3 -c "import json,sys; print(json.load(sys.stdin)['functions'].get('$1',{}).get('$2',0))"
}
live_contexts() { ctl commands last=0 | python3 -c "import json,sys; print(sum(c['fn']=='$1' for c in json.load(sys.stdin)['contexts']))"; }
# wait_until SECONDS DESCRIPTION COMMAND...: poll every 0.5 s.
wait_until() {
    local n=$(( $1 * 2 )) what=$2; shift 2
    for _ in $(seq $n); do "$@" && return 0; sleep 0.5; done
    fail "timed out after $((n / 2)) s waiting for $what"
}
alive() { local k; for k in "$@"; do kill -0 "${boot_pids[$k]}" 2>/dev/null || fail "VM $k (vf$k) stopped early: $(tail -5 "$out/vm$k.log")"; done; }
# VM 1 ends by itself once it has recovered from its reset; on a fast host that can come before
# the others have retired their first commands. It counts as stopped early only without the marker.
vm1_recovered() { grep -q SCALE-FLR-RECOVERED "$out/vm1.log"; }
alive_or_recovered() { local k; for k in "$@"; do [ "$k" = 1 ] && vm1_recovered && continue; alive "$k"; done; }

t_start=$(date +%s.%N)
for k in $(seq 0 $((vms - 1))); do
    boot_vm $k "$out/vm$k.sh" "$out/vm$k.log" & boot_pids[$k]=$!
done
all_ready() { local k; alive_or_recovered $(seq 0 $((vms - 1))); for k in $(seq 0 $((vms - 1))); do grep -q SCALE-READY "$out/vm$k.log" || return 1; done; }
wait_until 900 "every VM to boot and load amdxdna" all_ready
t_ready=$(date +%s.%N)
echo "all $vms VMs ready after $(python3 -c "print(f'{$t_ready - $t_start:.0f}')") s"
for k in $(seq 0 $((vms - 1))); do signal $k GO; done

# 1. All VMs at work (each function retired commands), then the victim is killed mid-job.
running() { local k; alive_or_recovered $(seq 0 $((vms - 1))); for k in $(seq 0 $((vms - 1))); do [ "$(fn_field vf$k completed)" -gt 0 ] || return 1; done; }
wait_until 600 "every VM's first completed commands" running
victim_busy() { alive 0; [ "$(fn_field vf0 completed)" -ge 100 ]; }
wait_until 300 "100 completed commands of the victim" victim_busy
[ "$(live_contexts vf0)" -ge 1 ] || fail "the victim has no live context before the kill"
ctl commands last=0 >"$out/before-kill.json"
qemu=$(pgrep -f "vfio-user-pci.*$sock/vf0.sock" | head -n1)
[ -n "$qemu" ] || fail "no QEMU of the victim"
kill -9 "$qemu"
echo "killed the victim's QEMU (pid $qemu) after $(fn_field vf0 completed) completed commands"
rv=0; wait "${boot_pids[0]}" || rv=$?
grep -q "FAIL: the victim's job ended" "$out/vm0.log" && fail "the victim's job ended before the kill"
kill -0 $emu || fail "aie4emu died with the victim's QEMU"
vf0_gone() { ctl status | python3 -c "import json,sys; f=json.load(sys.stdin)['functions']['vf0']; sys.exit(0 if not f['connected'] and f['client_loss_resets'] >= 1 else 1)"; }
wait_until 10 "the emulator to notice the victim's QEMU is gone" vf0_gone
[ "$(live_contexts vf0)" = 0 ] || fail "vf0 still holds contexts after its VM was killed: $(ctl commands last=0)"
echo "vf0: client gone, function reset, no contexts left"

# 2. A fresh VM attaches vf0 while the others still run (the guest does not wait for GO).
cat >"$out/vm0-again.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 100 --depth 8 || exit 1
aie4-umq-test --workload gemm --count 100 --depth 8 || exit 1
G
"$root/aie4" boot --socket-dir "$sock" --attach vf0 --script "$out/vm0-again.sh" --timeout 900 >"$out/vm0-again.log" 2>&1 &
again=$!

# 3. vf1 resets itself and recovers (its guest decides when; the host waits for its markers).
flr_done() { vm1_recovered && return 0; alive 1; return 1; }
wait_until 900 "vf1's reset and recovery" flr_done
r1=0; wait "${boot_pids[1]}" || r1=$?
[ $r1 = 0 ] || fail "VM 1 (the VF reset) exited $r1: $(grep FAIL "$out/vm1.log" | head -3)"
ra=0; wait $again || ra=$?
[ $ra = 0 ] || fail "a fresh VM could not run on vf0 again (exit $ra): $(tail -5 "$out/vm0-again.log")"
echo "vf1 reset mid-job and ran checked work after it; a fresh VM ran checked work on vf0"

# 4. The bystanders ran all along: stop them, each finishes its round.
for k in $(seq 2 $((vms - 1))); do alive $k; signal $k STOP; done
for k in $(seq 2 $((vms - 1))); do
    r=0; wait "${boot_pids[$k]}" || r=$?
    [ $r = 0 ] || fail "bystander VM $k (vf$k) exited $r: $(grep FAIL "$out/vm$k.log" | head -3)"
done
t_end=$(date +%s.%N)

ctl status >"$out/status.json"
ctl commands last=100000 >"$out/commands.json"
for k in 0 1; do ctl trace fn=vf$k >"$out/vf$k.trace.json"; done
python3 - "$out" "$vms" "$(python3 -c "print($t_end - $t_ready)")" <<'PY'
import json, re, sys
out, vms, span = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
status = json.load(open(f"{out}/status.json"))
cmds = json.load(open(f"{out}/commands.json"))
totals, contexts = cmds["functions"], cmds["contexts"]
errors = []
if not status.get("ok"):
    errors.append("aie4emu does not answer status")

def guest(k):
    text = open(f"{out}/vm{k}.log", errors="replace").read()
    batches = [(int(c), float(e)) for c, e in re.findall(r"SCALE-BATCH completed=(\d+) elapsed_s=([0-9.]+)", text)]
    t0 = re.search(r"SCALE-T0 ([0-9.]+)", text)
    t1 = re.search(r"SCALE-T1 ([0-9.]+)", text)
    wall = float(t1.group(1)) - float(t0.group(1)) if t0 and t1 else None
    return text, batches, wall

figures = {"vms": vms, "span_s": round(span, 1), "per_vm": []}
for k in range(vms):
    fn = f"vf{k}"
    text, batches, wall = guest(k)
    t = totals.get(fn, {})
    done, busy = sum(c for c, _ in batches), sum(e for _, e in batches)
    role = "killed" if k == 0 else "reset" if k == 1 else "bystander"
    row = {"vm": k, "fn": fn, "role": role, "guest_commands_checked": done, "batches": len(batches),
           "wall_s": round(wall, 2) if wall else None,
           "commands_per_s": round(done / wall, 1) if wall and done else None,
           "busy_s": round(busy, 3),
           "emu_commands": t.get("commands", 0), "emu_completed": t.get("completed", 0),
           "emu_errors": t.get("errors", 0), "emu_aborted": t.get("aborted", 0),
           "cycles_per_command": round(t["cycles"] / t["commands"]) if t.get("commands") else None}
    if role == "killed":
        # The victim's count is the emulator's (its guest never finished a batch to report one).
        row["emu_completed_before_kill"] = json.load(open(f"{out}/before-kill.json"))["functions"].get(fn, {}).get("completed", 0)
    figures["per_vm"].append(row)
    if role == "bystander":
        if t.get("errors", 0) or t.get("aborted", 0) or t.get("completed", 0) != t.get("commands", 0):
            errors.append(f"{fn}: the emulator retired commands that did not complete: {t}")
        if t.get("completed", 0) != done:
            errors.append(f"{fn}: the emulator completed {t.get('completed', 0)} commands, the guest checked {done}")
        if len(batches) < 4:
            errors.append(f"{fn}: only {len(batches)} checked batches")
    if role == "reset":
        after = len(batches) - 1   # batches after the reset (the first ran before it)
        if "SCALE-FLR-RECOVERED" not in text or after < 2:
            errors.append(f"{fn}: no checked workload after the reset")
if any(c["fn"] == "vf0" for c in contexts):
    errors.append("vf0 holds contexts after its VMs have gone")
trace1 = json.load(open(f"{out}/vf1.trace.json"))["lines"]
resets = [i for i, l in enumerate(trace1) if "firmware: VF reset, partitions and contexts dropped" in l]
created = [i for i, l in enumerate(trace1) if "op=CREATE_HW_CONTEXT status=SUCCESS" in l]
# QEMU resets the function when it attaches and the emulator when the VM goes away; the
# guest's reset is the one between two context creations (the job's and the recovery's).
if not any(any(c < r for c in created) and any(c > r for c in created) for r in resets):
    errors.append(f"vf1: no VF reset between two hardware context creations (resets at {resets}, "
                  f"contexts created at {created})")
v0 = status["functions"]["vf0"]
if v0["client_loss_resets"] < 1 or v0["connections"] < 2:
    errors.append(f"vf0: expected a reset on client loss and a second connection: {v0}")
json.dump(figures, open(f"{out}/figures.json", "w"), indent=1)
print(f"{'vm':>3} {'fn':4} {'role':9} {'checked':>8} {'wall s':>7} {'cmd/s':>7} {'emu done':>8} {'err':>4} {'abort':>5} {'cyc/cmd':>8}")
for r in figures["per_vm"]:
    print(f"{r['vm']:>3} {r['fn']:4} {r['role']:9} {r['guest_commands_checked']:>8} {r['wall_s'] or '-':>7} "
          f"{r['commands_per_s'] or '-':>7} {r['emu_completed']:>8} {r['emu_errors']:>4} {r['emu_aborted']:>5} "
          f"{r['cycles_per_command'] or '-':>8}")
print(f"GO to last VM done: {span:.1f} s; figures in {out}/figures.json")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
kill -0 $emu || fail "aie4emu is gone"
echo PASS
