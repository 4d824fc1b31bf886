#!/usr/bin/env bash
# Four guests at once, each with its own emulator (./aie4 run-suite --jobs 4): guest k runs k
# checked workloads of 3*k copy commands each (aie4-umq-test compares every output byte).
# Afterwards each emulator must hold exactly its own guest's work: k hardware contexts created
# in its VF0 trace and k*3*k completed commands, all on VF0; four different emulator processes
# and socket dirs; and the runs overlapped in time (they did run at once).
# aie4-test: group=runner
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$results
suite=$out/suite
mkdir -p "$suite"
for k in 1 2 3 4; do
    {
        echo "# guest $k of tests/host/four-guests-isolated.sh"
        echo "# aie4-test: attach=pf,vf0"
        echo "modprobe amdxdna || exit 1"
        for _ in $(seq $k); do echo "aie4-umq-test --workload copy --count $((3 * k)) || exit 1"; done
    } >"$suite/guest-$k.sh"
done
rc=0
t0=$(date +%s.%N)
"$root/aie4" run-suite "$suite" --jobs 4 --timeout 600 --results "$out/results" >"$out/run.log" 2>&1 || rc=$?
t1=$(date +%s.%N)
tail -n 8 "$out/run.log"
[ $rc = 0 ] || { echo "FAIL: run-suite exited $rc"; exit 1; }
[ "$(tail -n1 "$out/run.log")" = "4 passed, 0 failed" ] || { echo "FAIL: not '4 passed, 0 failed'"; exit 1; }
python3 - "$out/results" "$t0" "$t1" <<'PY'
import json, sys
res, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
pids, socks, busy = set(), set(), 0.0
for k in (1, 2, 3, 4):
    d = f"{res}/guest-{k}"
    cs = json.load(open(f"{d}/commands.json"))["commands"]
    done = [c for c in cs if not c["error"]]
    fns = {c["fn"] for c in cs}
    trace = json.load(open(f"{d}/vf0.trace.json"))["lines"]
    created = sum("op=CREATE_HW_CONTEXT status=SUCCESS" in ln for ln in trace)
    st = json.load(open(f"{d}/status.json"))
    pids.add(st["pid"]); socks.add(st["functions"]["vf0"]["socket"])
    busy += json.load(open(f"{d}/result.json"))["seconds"]
    print(f"guest {k}: {len(done)} commands on {sorted(fns)}, {created} contexts created, emulator pid {st['pid']}")
    if len(done) != 3 * k * k or len(cs) != len(done) or fns != {"vf0"} or created != k:
        print(f"FAIL: guest {k}'s emulator holds other work than its own "
              f"(expected {3 * k * k} commands on vf0 and {k} contexts)"); sys.exit(1)
if len(pids) != 4 or len(socks) != 4:
    print(f"FAIL: the guests shared emulators ({len(pids)} pids, {len(socks)} socket dirs)"); sys.exit(1)
wall = t1 - t0
print(f"wall {wall:.1f} s, the four runs together {busy:.1f} s")
if busy < 1.5 * wall:
    print("FAIL: the runs did not overlap"); sys.exit(1)
PY
echo PASS
