#!/usr/bin/env bash
# Same guest actions, same simulated cycles: two separate emulators and guests run the same
# workloads; CERT's per-command records (state, control-code ops, simulated cycles) must be
# identical, whatever the host's and the guests' wall-clock timing was. In the second run a
# concurrent tenant (another VM on VF1 of the same emulator) runs long GEMM jobs back to back
# the whole time: CERT time-slices and interleaves the two VFs' commands on the array's clock,
# and VF0's records must still be identical to the run alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cat >"$results/deterministic-cycles.guest.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 5 || exit 1
aie4-umq-test --workload gemm --count 5 || exit 1
aie4-umq-test --workload empty --count 20 --depth 8 || exit 1
G
cat >"$results/deterministic-cycles.tenant.sh" <<'G'
modprobe amdxdna || exit 1
echo "BUSY: tenant running gemm-long"
aie4-umq-test --workload gemm-long --count 1000000 --depth 2 --timeout-ms 60000 >/dev/null 2>&1
G
for run in 1 2; do
    start_emu deterministic-cycles-$run $run
    if [ $run = 2 ]; then
        "$root/aie4" boot --socket-dir "$sock" --attach vf1 --script "$results/deterministic-cycles.tenant.sh" \
            --timeout 600 >"$out/tenant.log" 2>&1 & tenant=$!
        for _ in $(seq 3000); do grep -q '^BUSY' "$out/tenant.log" 2>/dev/null && break; sleep 0.1; done
        grep -q '^BUSY' "$out/tenant.log" || { echo "FAIL: the tenant never got busy"; tail "$out/tenant.log"; exit 1; }
    fi
    "$root/aie4" boot --socket-dir "$sock" --attach vf0 --script "$results/deterministic-cycles.guest.sh" \
        --timeout 300 >"$out/boot.log" 2>&1 || { echo "FAIL: run $run"; tail -20 "$out/boot.log"; exit 1; }
    "$build/emu/aie4ctl" --socket-dir "$sock" commands last=100000 >"$out/commands.json"
    if [ $run = 2 ]; then
        qemu=$(pgrep -f "vfio-user-pci.*$sock/vf1.sock" | head -n1)
        [ -n "$qemu" ] && kill -9 "$qemu"
        wait $tenant 2>/dev/null || true
    fi
    kill -TERM "$emu"; wait "$emu" 2>/dev/null || true
done
python3 - "$results/deterministic-cycles-1/commands.json" "$results/deterministic-cycles-2/commands.json" <<'PY'
import json, sys
runs, tenant = [], []
for path in sys.argv[1:]:
    cs = json.load(open(path))["commands"]
    runs.append([(c["context"], c["state"], c["ops"], c["cycles"]) for c in cs if c["fn"] == "vf0"])
    tenant = [c for c in cs if c["fn"] == "vf1"]
print("commands per run (vf0):", [len(r) for r in runs])
print("cycles of the first copy, gemm and empty:", sorted({(c[2], c[3]) for c in runs[0]}))
if not runs[0] or runs[0] != runs[1]:
    print("FAIL: the two runs differ"); sys.exit(1)
if any(c[1] != 4 for c in runs[0]):
    print("FAIL: a command did not complete"); sys.exit(1)
# The tenant really ran at the same time: vf0 commands inside a tenant command's cycles.
done = [c for c in tenant if c["state"] == 4]
spans = [(c["start_cycle"], c["start_cycle"] + c["cycles"]) for c in done]
cs = [c for c in json.load(open(sys.argv[2]))["commands"] if c["fn"] == "vf0"]
inside = sum(1 for c in cs if any(s <= c["start_cycle"] and c["start_cycle"] + c["cycles"] <= e for s, e in spans))
print(f"tenant (vf1): {len(done)} gemm-long jobs completed, cycles {sorted({c['cycles'] for c in done})}; "
      f"{inside} of {len(cs)} vf0 commands ran inside one of them")
if not done or len({c["cycles"] for c in done}) != 1:
    print("FAIL: the tenant's jobs did not all complete with one cycle count"); sys.exit(1)
if inside < len(cs) // 2:
    print("FAIL: the tenant did not run alongside"); sys.exit(1)
print("PASS")
PY
