# An int8 GEMM (64x64x64) on a compute tile through the native kernel, 20 commands; C is
# checked against a reference computed in the guest from pseudo-random A and B.
# aie4-test: attach=pf,vf0 group=driver
modprobe amdxdna || exit 1
aie4-umq-test --workload gemm --count 20
