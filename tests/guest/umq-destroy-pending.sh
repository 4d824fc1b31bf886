# A process killed with commands in flight: the driver destroys its context while work is
# pending; the device aborts that work and the VF keeps serving new contexts.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace vf0: op=CREATE_HW_CONTEXT status=SUCCESS
# aie4-trace vf0: op=DESTROY_HW_CONTEXT status=SUCCESS
# aie4-trace vf0: op=CREATE_HW_CONTEXT status=SUCCESS
modprobe amdxdna || exit 1
aie4-umq-test --workload gemm --count 100000 --depth 32 >/tmp/bg.log 2>&1 &
bg=$!
sleep 2
kill -9 $bg
wait $bg 2>/dev/null
aie4-umq-test --workload copy --count 10 || { echo "FAIL: the VF does not serve after the kill"; exit 1; }
echo PASS
