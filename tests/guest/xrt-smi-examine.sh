# XRT 2.25 from Debian (libxrt2, libxrt-npu2, xrt-smi) recognises the VF: xrt-smi examine lists
# it as RyzenAI-npu3-vf with the aie4 architecture and its 6x3 topology, with nothing set by
# hand: the image's carveout hook configured the driver when it bound (docs/xrt.md).
# aie4-test: attach=pf,vf0 rootfs=xrt
modprobe amdxdna || exit 1
out=$(xrt-smi examine 2>&1); echo "$out"
echo "$out" | grep -E 'RyzenAI-npu3-vf *\|aie4 *\|6x3' || { echo "FAIL: xrt-smi does not list the VF"; exit 1; }
echo PASS
