#!/usr/bin/env bash
# The array timeline a CI user gets: `./aie4 boot --save DIR` of a guest that runs a copy and a
# GEMM keeps DIR/array.trace.json; speedscope (npm, test-only) opens it offline in Debian's
# Chromium through playwright-core (tests/viewer/open-trace.mjs), and the page must show that
# speedscope imported the file and list every track that holds events: each DMA channel and
# the compute core the jobs used. Screenshots stay in build/host-tests/array-trace-viewer/.
#
# Skipped (exit 0, counted as passed, the log's last line starts with "SKIP:") when Chromium,
# node or npm is missing or the npm registry cannot be reached: the trace is still produced and
# checked for its tracks, only the viewer part is left out.
# Run by ./aie4 test on the host; needs a built tree (./aie4 build) and ./aie4 setup.
# aie4-test: group=viewer
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=${results:-$build/host-tests}/array-trace-viewer   # results: the runner's folder for this run
rm -rf "$out"; mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

cat >"$out/guest.sh" <<'G'
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 5 || exit 1
aie4-umq-test --workload gemm --count 5 || exit 1
G
"$root/aie4" boot --attach pf,vf0 --script "$out/guest.sh" --save "$out/save" --timeout 300 >"$out/boot.log" 2>&1 ||
    { tail -20 "$out/boot.log"; fail "the guest run failed"; }
trace=$out/save/array.trace.json
[ -s "$trace" ] || fail "boot --save did not keep array.trace.json"

# The tracks the jobs must have used: the copy moves data shim -> memory tile -> shim, the GEMM
# runs a kernel on a compute tile; every track with events is named by the trace.
python3 - "$trace" <<'PY' || fail "the array trace does not hold the expected tracks"
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
used = {(e["pid"], e["tid"]) for e in events if e["ph"] in "XBE"}
print(f"array trace: {len(used)} tracks with events, {sum(e['ph'] != 'M' for e in events)} events")
for k in sorted(used):
    print("  ", names.get(k, "(no name)"))
ok = used and all(k in names for k in used)
ok &= any(names.get(k, "").endswith(" core") for k in used)
ok &= any("mm2s" in names.get(k, "") for k in used) and any("s2mm" in names.get(k, "") for k in used)
sys.exit(0 if ok else 1)
PY

skip() { echo "SKIP: $* (the trace itself was produced and checked; the viewer part did not run)"; exit 0; }
chromium=${AIE4_CHROMIUM-$(command -v chromium || true)}   # AIE4_CHROMIUM= forces the skip
[ -n "$chromium" ] || skip "Debian's chromium is not installed (./aie4 setup installs it)"
command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm are not installed"

# The npm packages of tests/viewer/package-lock.json, installed once per lock file in the cache.
viewer=$root/tests/viewer
key=$(cat "$viewer/package.json" "$viewer/package-lock.json" | sha256sum | cut -c1-16)
modules=$AIE4_CACHE/viewer-npm-$key
if [ ! -d "$modules/node_modules/speedscope" ] || [ ! -d "$modules/node_modules/playwright-core" ]; then
    rc=0
    timeout 30 npm ping --fetch-retries=0 --fetch-timeout=20000 >"$out/npm-ping.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        why=$(grep -m1 -E 'npm (ERR|error)' "$out/npm-ping.log" || true)
        [ "$rc" = 124 ] && why="npm ping had no answer in 30 s"
        skip "the npm registry cannot be reached (${why:-npm ping exited with $rc})"
    fi
    rm -rf "$modules.new"; mkdir -p "$modules.new"
    cp "$viewer/package.json" "$viewer/package-lock.json" "$modules.new/"
    (cd "$modules.new" && timeout 600 npm ci --no-audit --no-fund) >"$out/npm-ci.log" 2>&1 ||
        { tail -20 "$out/npm-ci.log"; fail "npm ci of tests/viewer failed with the registry reachable"; }
    rm -rf "$modules"; mv "$modules.new" "$modules"
fi
cp "$viewer/open-trace.mjs" "$out/"
ln -s "$modules/node_modules" "$out/node_modules"
echo "speedscope $(node -p "require('$modules/node_modules/speedscope/package.json').version"), playwright-core" \
     "$(node -p "require('$modules/node_modules/playwright-core/package.json').version"), $("$chromium" --version 2>/dev/null)"
timeout 300 node "$out/open-trace.mjs" "$trace" "$out/screenshots" "$chromium" || fail "speedscope did not show the trace"
[ -s "$out/screenshots/speedscope-tracks.png" ] || fail "no screenshot kept"
echo "screenshots: $out/screenshots"
echo PASS
