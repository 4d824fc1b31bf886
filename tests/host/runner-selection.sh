#!/usr/bin/env bash
# Test selection of ./aie4 test and run-suite: unknown names and groups, an empty selection and
# bad options fail with a message (exit 2); --group driver holds the driver-facing guest tests;
# --shard I/N splits the tests into disjoint shards whose union is the whole list, and a test
# keeps its shard when the list changes; --driver and --driver-args reach the guest's boot.
# aie4-test: group=runner
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$results
aie4=$root/aie4

expect_error() { # expect_error MESSAGE-REGEX ARGS...: exit 2 and the message
    local rx=$1 rc=0; shift
    "$aie4" "$@" >"$out/err.log" 2>&1 || rc=$?
    [ $rc = 2 ] || { echo "FAIL: ./aie4 $* exited $rc, expected 2"; cat "$out/err.log"; exit 1; }
    grep -Eq -- "$rx" "$out/err.log" || { echo "FAIL: ./aie4 $*: no message /$rx/"; cat "$out/err.log"; exit 1; }
    echo "ok: ./aie4 $* -> $(head -n1 "$out/err.log")"
}
expect_error "--only NO-SUCH-TEST: no such test" test --only NO-SUCH-TEST
expect_error "--group no-such-group: no test is in this group" test --group no-such-group
expect_error "selection is empty" test --unit-only --group guest
expect_error "--shard wants I/N" test --shard 0/3
expect_error "--shard wants I/N" test --shard 4/3
expect_error "not a directory" run-suite "$out/no-such-dir"
mkdir -p "$out/empty-suite" "$out/bad-suite"
expect_error "no \*.sh guest scripts" run-suite "$out/empty-suite"
printf '# aie4-test: attach=pf colour=blue\nexit 0\n' >"$out/bad-suite/t.sh"
expect_error "unknown aie4-test key 'colour=blue'" run-suite "$out/bad-suite"
expect_error "--driver $out/no-such.ko: no such file" test --only pci-identity --driver "$out/no-such.ko"

"$aie4" test --list >"$out/all.txt"
"$aie4" test --group driver --list >"$out/driver.txt"
for t in driver-binds probe-mmio-order vf-metadata rmmod-modprobe umq-copy umq-errors corrupt-firmware; do
    grep -q "^$t	guest	.*driver" "$out/driver.txt" || { echo "FAIL: $t is not in group driver"; exit 1; }
done
! grep -qv "driver" "$out/driver.txt" || { echo "FAIL: --group driver lists a test outside the group"; exit 1; }
grep -q "^unit-control	unit	unit$" "$out/all.txt" && grep -q "^fuzz-device	fuzz	fuzz$" "$out/all.txt" &&
    grep -q "^xrt-smi-examine	guest	guest,xrt$" "$out/all.txt" ||
    { echo "FAIL: unit, fuzz or xrt tests listed without their groups"; exit 1; }

for i in 1 2 3; do "$aie4" test --list --shard $i/3 2>/dev/null | cut -f1 >"$out/shard$i.txt"; done
sort "$out"/shard?.txt >"$out/union.txt"
cut -f1 "$out/all.txt" | sort >"$out/all-names.txt"
cmp -s "$out/union.txt" "$out/all-names.txt" || { echo "FAIL: the three shards are not the whole list once"; diff "$out/union.txt" "$out/all-names.txt"; exit 1; }
for i in 1 2 3; do
    [ -s "$out/shard$i.txt" ] || { echo "FAIL: shard $i/3 is empty"; exit 1; }
done
echo "shards of 3: $(wc -l <"$out/shard1.txt"), $(wc -l <"$out/shard2.txt"), $(wc -l <"$out/shard3.txt") tests"
# A test keeps its shard when the list around it changes (a run-suite folder with and without
# other scripts).
mkdir -p "$out/s1" "$out/s2"
for n in a b c d e f g h; do echo "exit 0" >"$out/s2/$n.sh"; done
cp "$out/s2/c.sh" "$out/s1/"
for i in 1 2 3 4; do
    in1=$("$aie4" run-suite "$out/s1" --list --shard $i/4 2>/dev/null | cut -f1)
    in2=$("$aie4" run-suite "$out/s2" --list --shard $i/4 2>/dev/null | cut -f1 | grep -x c || true)
    [ "$in1" = "$in2" ] || { echo "FAIL: script c moved between shards ($i/4: '$in1' vs '$in2')"; exit 1; }
done

# --driver/--driver-args go to the boot of every script as they are (what the boot does with
# them is the boot's business: here only the command line is checked, not the outcome).
mkdir -p "$out/drv"
printf '# aie4-test: attach=pf\nexit 0\n' >"$out/drv/t.sh"
: >"$out/fake.ko"
"$aie4" run-suite "$out/drv" --driver "$out/fake.ko" --driver-args "dyndbg=+p x=1" --timeout 120 \
    --results "$out/drv-results" >"$out/drv.log" 2>&1 || true
grep -qF -- "--driver $out/fake.ko --driver-args dyndbg=+p x=1" "$out/drv-results/t/command.txt" ||
    { echo "FAIL: --driver/--driver-args not passed to the boot"; cat "$out/drv-results/t/command.txt"; exit 1; }
echo PASS
