#!/bin/sh
# The second half of ./aie4 demo, in the Debian trixie root with XRT 2.25: XRT's own tool
# looks at the VF. Lines starting with "DEMO " are collected by the host into the summary.
modprobe amdxdna || exit 1
aie4-query >/dev/null || exit 1          # sets the carveout (no IOMMU in the guest)
xrt-smi examine 2>&1 | tee /tmp/xrt.out | grep -v -E 'SVA|PASID'
line=$(grep -E '^\|\[[0-9a-f:.]+\]' /tmp/xrt.out | head -n1)
echo "DEMO xrt $line"
[ -n "$line" ]
