#!/usr/bin/env bash
# Same guest actions, same simulated cycles: two separate emulators and guests run the same
# workloads; CERT's per-command records (state, control-code ops, simulated cycles) must be
# identical, whatever the host's and the guests' wall-clock timing was.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cat >"$results/deterministic-cycles.guest.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 5 || exit 1
aie4-umq-test --workload gemm --count 5 || exit 1
aie4-umq-test --workload empty --count 20 --depth 8 || exit 1
G
for run in 1 2; do
    start_emu deterministic-cycles-$run 1
    "$root/aie4" boot --socket-dir "$sock" --attach vf0 --script "$results/deterministic-cycles.guest.sh" \
        --timeout 300 >"$out/boot.log" 2>&1 || { echo "FAIL: run $run"; tail -20 "$out/boot.log"; exit 1; }
    "$build/emu/aie4ctl" --socket-dir "$sock" commands last=100000 >"$out/commands.json"
    kill -TERM "$emu"; wait "$emu" 2>/dev/null || true
done
python3 - "$results/deterministic-cycles-1/commands.json" "$results/deterministic-cycles-2/commands.json" <<'PY'
import json, sys
runs = []
for path in sys.argv[1:]:
    cs = json.load(open(path))["commands"]
    runs.append([(c["context"], c["state"], c["ops"], c["cycles"]) for c in cs])
print("commands per run:", [len(r) for r in runs])
print("cycles of the first copy, gemm and empty:", sorted({(c[2], c[3]) for c in runs[0]}))
if not runs[0] or runs[0] != runs[1]:
    print("FAIL: the two runs differ"); sys.exit(1)
if any(c[1] != 4 for c in runs[0]):
    print("FAIL: a command did not complete"); sys.exit(1)
print("PASS")
PY
