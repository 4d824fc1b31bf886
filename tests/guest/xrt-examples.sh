# XRT 2.25 applications run with nothing configured by hand: the image's carveout hook has set
# the carveout when amdxdna bound, xrt-smi examine lists the VF, and the example applications
# (guest-driver/xrt-examples, built against Debian's libxrt-dev) verify their results against
# references computed in the program: a copy with a transpose (two runs in flight), an int8 GEMM
# on a compute tile, a job over all three columns, two applications sharing the VF, four
# processes with two contexts each (carveout sizing), a failing job (ERROR, not TIMEOUT), and
# Debian's xrt-runner validating the copy kernel against a golden file.
# aie4-test: attach=pf,vf0 rootfs=xrt group=xrt
set -u
fail() { echo "FAIL: $*"; exit 1; }
modprobe amdxdna || fail "modprobe amdxdna"
dmesg | grep 'aie4-carveout' || fail "the carveout hook did not run"
out=$(xrt-smi examine 2>&1); echo "$out"
echo "$out" | grep -E 'RyzenAI-npu3-vf *\|aie4 *\|6x3' || fail "xrt-smi examine does not list the VF"
xrt-copy --runs 5 --in-flight 2 || fail "xrt-copy"
xrt-gemm --runs 2 || fail "xrt-gemm"
xrt-three-columns --runs 2 || fail "xrt-three-columns"
# Two applications sharing the VF at once.
xrt-copy --runs 20 >/tmp/a.log 2>&1 & a=$!
xrt-gemm --runs 2 >/tmp/b.log 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
cat /tmp/a.log /tmp/b.log
[ $ra = 0 ] && [ $rb = 0 ] || fail "two applications sharing the VF (exit $ra, $rb)"
# Four processes with two contexts each: what the carveout is sized for.
pids=
for i in 1 2 3 4; do xrt-copy --runs 2 --contexts 2 >/tmp/p$i.log 2>&1 & pids="$pids $!"; done
n=0; for p in $pids; do wait $p || n=$((n + 1)); done
cat /tmp/p1.log /tmp/p2.log /tmp/p3.log /tmp/p4.log
[ $n = 0 ] || fail "$n of 4 processes with 2 contexts each failed"
xrt-bad-address || fail "xrt-bad-address"
# Debian's xrt-runner: the copy kernel with a recipe and a profile validating against a golden
# file; the same with one golden byte changed must fail (the check is real).
cd /usr/local/share/aie4/xrt/xrt-runner || fail "no xrt-runner files"
xrt-runner --recipe recipe.json --profile profile.json --dir . || fail "xrt-runner"
mkdir -p /tmp/bad && cp ./* /tmp/bad/ && printf '\377' | dd of=/tmp/bad/copy.golden.bin bs=1 seek=100 conv=notrunc 2>/dev/null
xrt-runner --recipe recipe.json --profile profile.json --dir /tmp/bad && fail "xrt-runner accepted a wrong golden file"
cd /
echo PASS
