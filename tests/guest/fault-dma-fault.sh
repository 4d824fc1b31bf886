# Fault dma-fault (docs/driver-development.md): the first shim DMA burst to host memory of the
# VF's partition faults inside a copy job with good addresses. The job completes with state
# ERROR (5) in its command BO, WAIT_CMD returns 0 (no errno), the driver logs nothing; the
# context keeps serving and the next jobs complete with correct data (no reload needed).
# aie4-test: attach=pf,vf0 group=driver fault=dma-fault:fn=vf0:count=1
modprobe amdxdna || { echo "FAIL: modprobe"; exit 1; }
dmesg -c >/dev/null
aie4-umq-test --workload copy --count 1 --expect-error || { echo "FAIL: the job did not complete with ERROR"; exit 1; }
[ -z "$(dmesg | grep amdxdna | grep -vE "Use carveout mem|SVA bind device failed|PASID not available")" ] || { echo "FAIL: the driver logged something"; dmesg; exit 1; }
aie4-umq-test --workload copy --count 3 || { echo "FAIL: jobs after the fault"; exit 1; }
echo PASS
