# VF function-level reset while a job runs (docs/driver-development.md, "VF function-level reset
# while a job runs"): gemm-long jobs (~2.1 M cycles each) queue on the VF, the guest resets the VF
# through sysfs. The kernel first turns the VF's bus mastering off (the executing job's last
# writes are refused and its context fails) and then sets Initiate FLR (the firmware drops the
# VF's contexts and mailbox state). The 7.3.4 driver stays bound and keeps its stale mailbox
# state: the waiting process times out, its DESTROY_HW_CONTEXT times out; a driver reload
# recovers the VF.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace vf0: op=CREATE_HW_CONTEXT status=SUCCESS
# aie4-trace vf0: cert: context 1 failed: DMA fault writing .*|flr: 1 commands executing
# aie4-trace vf0: function reset
# aie4-trace vf0: flr: [0-9]+ commands executing
# aie4-trace vf0: firmware: VF reset, partitions and contexts dropped
# aie4-trace vf0: mailbox dropped
# aie4-trace vf0: op=CREATE_HW_CONTEXT status=SUCCESS
modprobe amdxdna || exit 1
vf=$(grep -l 0x17f3 /sys/bus/pci/devices/*/device | head -n1); vf=${vf%/device}
[ -n "$vf" ] || { echo "FAIL: no VF"; exit 1; }
dmesg -c >/dev/null
aie4-umq-test --workload gemm-long --count 5000 --depth 4 --timeout-ms 5000 >/tmp/bg.log 2>&1 &
bg=$!
sleep 1
kill -0 $bg 2>/dev/null || { echo "FAIL: the jobs ended before the reset"; cat /tmp/bg.log; exit 1; }
echo 1 > $vf/reset || { echo "FAIL: writing reset"; exit 1; }
for i in $(seq 1 30); do kill -0 $bg 2>/dev/null || break; sleep 1; done
kill -0 $bg 2>/dev/null && { echo "FAIL: the process hangs 30 s after the reset"; kill -9 $bg; exit 1; }
wait $bg && { echo "FAIL: all jobs completed across the reset"; cat /tmp/bg.log; exit 1; }
cat /tmp/bg.log
grep -q 'WAIT_CMD(seq [0-9]*) failed: Timer expired' /tmp/bg.log || { echo "FAIL: WAIT_CMD did not fail with ETIME"; exit 1; }
readlink $vf/driver | grep -q amdxdna || { echo "FAIL: the VF is no longer bound"; exit 1; }
dmesg | tee /tmp/dmesg1
grep -q "$(basename $vf): resetting" /tmp/dmesg1 || { echo "FAIL: no 'resetting'"; exit 1; }
grep -q "$(basename $vf): reset done" /tmp/dmesg1 || { echo "FAIL: no 'reset done'"; exit 1; }
rmmod amdxdna || { echo "FAIL: rmmod"; exit 1; }
dmesg | tee /tmp/dmesg2
grep -q 'xdna_send_msg_wait: Wait for completion timeout' /tmp/dmesg2 || { echo "FAIL: no mailbox timeout"; exit 1; }
grep -q 'aie4_partition_fini: partition fini failed: -\(62\|19\)' /tmp/dmesg2 || { echo "FAIL: no partition fini failure"; exit 1; }
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
aie4-umq-test --workload copy --count 3 || { echo "FAIL: the VF does not run jobs after the reload"; exit 1; }
echo PASS
