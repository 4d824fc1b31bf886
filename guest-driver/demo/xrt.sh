#!/bin/sh
# The second half of ./aie4 demo, in the Debian trixie root with XRT 2.25: XRT's own tool
# looks at the VF and an XRT application runs a kernel with buffer arguments on it. Nothing is
# configured by hand (the image's carveout hook runs when amdxdna binds: docs/xrt.md).
# Lines starting with "DEMO " are collected by the host into the summary.
modprobe amdxdna || exit 1
xrt-smi examine 2>&1 | tee /tmp/xrt.out | grep -v -E 'SVA|PASID'
line=$(grep -E '^\|\[[0-9a-f:.]+\]' /tmp/xrt.out | head -n1)
echo "DEMO xrt $line"
[ -n "$line" ] || exit 1
# An XRT 2.25 application (guest-driver/xrt-examples/gemm.cpp): three buffers, C = A x B on a
# compute tile, every element checked against a product computed in the program.
xrt-gemm --runs 1 >/tmp/gemm.out 2>&1
rc=$?
cat /tmp/gemm.out
echo "DEMO xrt-app rc=$rc $(grep 'verified' /tmp/gemm.out | head -n1)"
[ "$rc" = 0 ] && grep -q 'xrt-gemm: PASS' /tmp/gemm.out
