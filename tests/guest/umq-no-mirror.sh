# With the queue-header bridge switched off (aie4emu --no-umq-mirror) the mismatch between
# XRT 2.25's queue header and the 7.3.4 kernel's is visible: XRT-layout submissions are never
# seen and WAIT_CMD times out; kernel-layout submissions still complete.
# aie4-test: attach=pf,vf0 emu-arg=--no-umq-mirror group=driver
modprobe amdxdna || exit 1
aie4-umq-test --workload empty --count 1 --timeout-ms 1500 --layout xrt && { echo "FAIL: XRT layout completed without the bridge"; exit 1; }
aie4-umq-test --workload empty --count 20 --layout kernel || { echo "FAIL: kernel layout"; exit 1; }
echo PASS
