# 32 commands outstanding at once (the queue's capacity) and the indices wrapping around many
# times: 2000 commands at depth 32.
# aie4-test: attach=pf,vf0 group=driver
modprobe amdxdna || exit 1
aie4-umq-test --workload empty --count 2000 --depth 32
