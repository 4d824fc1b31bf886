# A user-mode queue on the VF, laid out as XRT 2.25 lays it out: 50 commands whose control code
# moves a 32x32 word matrix host -> shim DMA -> memory tile (transposed by the BD strides) ->
# shim DMA -> host; every output byte is checked against a transpose computed in the guest.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace vf0: op=CREATE_HW_CONTEXT status=SUCCESS
# aie4-trace vf0: op=DESTROY_HW_CONTEXT status=SUCCESS
modprobe amdxdna || exit 1
aie4-umq-test --workload copy --count 50
