# A guest program queries DRM_AMDXDNA_QUERY_AIE_METADATA on the VF and gets the array
# geometry the emulator models (3 columns per VF partition; shim row 0, memory row 1, four
# core rows from row 2; AIE4 version 4.0), from AIE_TILE_INFO.
# aie4-test: attach=pf,vf0 group=driver
# aie4-trace vf0: op=AIE_TILE_INFO status=SUCCESS
modprobe amdxdna || exit 1
aie4-query --expect cols=3,rows=6,core_rows=4,core_row_start=2,mem_rows=1,mem_row_start=1,shim_rows=1,shim_row_start=0,version_major=4,version_minor=0
