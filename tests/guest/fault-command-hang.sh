# Fault command-hang (docs/driver-development.md): the first doorbell of the VF is taken and its
# command never starts. The 7.3.4 driver has no TDR for AIE4 queues: tdr_timeout_ms (set to
# 200 ms here) belongs to the AIE2 scheduler and never fires; WAIT_CMD returns -ETIME after the
# caller's own timeout (2 s), nothing is logged, read_index stays 0. The context is destroyed
# when the process exits; a new process's commands complete (no reload needed).
# aie4-test: attach=pf,vf0 group=driver fault=command-hang:fn=vf0:count=1
# aie4-trace vf0: fault=command-hang
# aie4-trace vf0: op=DESTROY_HW_CONTEXT status=SUCCESS
modprobe amdxdna tdr_timeout_ms=200 || { echo "FAIL: modprobe"; exit 1; }
[ "$(cat /sys/module/amdxdna/parameters/tdr_timeout_ms)" = 200 ] || { echo "FAIL: tdr_timeout_ms not set"; exit 1; }
dmesg -c >/dev/null
start=$(cut -d. -f1 /proc/uptime)
aie4-umq-test --count 1 --timeout-ms 2000 >/tmp/out 2>&1 && { echo "FAIL: the hung command completed"; cat /tmp/out; exit 1; }
cat /tmp/out
grep -q 'WAIT_CMD(seq 0) failed: Timer expired' /tmp/out || { echo "FAIL: WAIT_CMD did not fail with ETIME"; exit 1; }
grep -q 'read_index 0 write_index 1' /tmp/out || { echo "FAIL: read_index moved"; exit 1; }
[ -z "$(dmesg | grep amdxdna | grep -vE "Use carveout mem|SVA bind device failed|PASID not available")" ] || { echo "FAIL: the driver logged something (a TDR?)"; dmesg; exit 1; }
aie4-umq-test --count 5 || { echo "FAIL: commands of a new process"; exit 1; }
echo PASS
