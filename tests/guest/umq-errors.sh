# Error completions reach the guest, and the context keeps serving: a packet with an unknown
# opcode, an EXEC_BUF packet without its payload (count 0), control code with a bad page marker, and a shim DMA to an address outside guest RAM
# (a DMA fault). After each, good commands still complete.
# aie4-test: attach=pf,vf0 group=driver
modprobe amdxdna || exit 1
aie4-umq-test --workload empty --count 5 --inject bad-opcode --expect-error || { echo "FAIL: bad-opcode"; exit 1; }
aie4-umq-test --workload empty --count 5 --inject bad-count --expect-error || { echo "FAIL: bad-count"; exit 1; }
aie4-umq-test --workload empty --count 5 --inject bad-page --expect-error || { echo "FAIL: bad-page"; exit 1; }
aie4-umq-test --workload copy --count 3 --inject dma-fault --expect-error || { echo "FAIL: dma-fault"; exit 1; }
aie4-umq-test --workload copy --count 5 || { echo "FAIL: good commands after the errors"; exit 1; }
echo PASS
