# Two hardware contexts in one process, and two processes at once, each checking its own
# results (copy and gemm run concurrently).
# aie4-test: attach=pf,vf0 group=driver
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 40 --contexts 2 || { echo "FAIL: two contexts"; exit 1; }
aie4-umq-test --workload copy --count 100 --depth 4 >/tmp/a.log 2>&1 & a=$!
aie4-umq-test --workload gemm --count 30 --depth 4 >/tmp/b.log 2>&1 & b=$!
wait $a; ra=$?
wait $b; rb=$?
cat /tmp/a.log /tmp/b.log | grep -E 'workload|completed|result'
[ $ra = 0 ] && [ $rb = 0 ] || { echo "FAIL: concurrent processes ($ra, $rb)"; exit 1; }
echo PASS
