# The PF and VF probes at register level, in the order of docs/spec/driver-interface.md §9.1 and §9.2, with
# every BAR access trapping (aie4emu --trap-all): config enable and MSI-X, SMU POWER_OFF and
# POWER_ON through BAR5, PSP VALIDATE / VALIDATE_CERT / START through BAR4 (response register
# read back as 0), mailbox_info read from BAR2, ATTACH_WORK_BUFFER written into the x2i ring
# with its exact header words, tail kick, response read from the i2x ring, head written back.
# VF: mailbox_info, AIE_TILE_INFO, CREATE_PARTITION {0, 3}.
# aie4-test: attach=pf,vf0 emu-arg=--trap-all group=driver
# aie4-trace pf: ^C 0x004 2 0x0[15]06
# aie4-trace pf: ^W bar5\+0x009f0 4 0x00000000
# aie4-trace pf: ^W bar5\+0x009f4 4 0x00000000
# aie4-trace pf: ^W bar5\+0x009ec 4 0x00000004
# aie4-trace pf: ^W bar5\+0x00000 4 0x00000000
# aie4-trace pf: ^W bar5\+0x00000 4 0x00000001
# aie4-trace pf: ^R bar5\+0x009f0 4 0x00000001
# aie4-trace pf: ^W bar5\+0x009ec 4 0x00000003
# aie4-trace pf: ^R bar5\+0x009f0 4 0x00000001
# aie4-trace pf: ^R bar4\+0x00aec 4 0x8
# aie4-trace pf: ^W bar4\+0x00aec 4 0x00000001
# aie4-trace pf: ^W bar4\+0x00b70 4
# aie4-trace pf: ^W bar4\+0x00b74 4
# aie4-trace pf: ^W bar4\+0x00aec 4 0x01
# aie4-trace pf: ^W bar4\+0x00a24 4 0x00000000
# aie4-trace pf: ^W bar4\+0x00a24 4 0xd007be11
# aie4-trace pf: ^R bar4\+0x00b70 4 0x00000000
# aie4-trace pf: ^W bar4\+0x00aec 4 0x00000004
# aie4-trace pf: ^W bar4\+0x00aec 4 0x04
# aie4-trace pf: ^W bar4\+0x00a24 4 0xd007be11
# aie4-trace pf: ^R bar4\+0x00b70 4 0x00000000
# aie4-trace pf: ^W bar4\+0x00aec 4 0x00000002
# aie4-trace pf: ^W bar4\+0x00b70 4 0x00000001
# aie4-trace pf: ^W bar4\+0x00aec 4 0x02000000
# aie4-trace pf: ^W bar4\+0x00a24 4 0xd007be11
# aie4-trace pf: ^R bar4\+0x00b70 4 0x00000000
# aie4-trace pf: ^R bar2\+0x00000 4 0x00000001
# aie4-trace pf: ^R bar2\+0x0003c 4
# aie4-trace pf: ^R bar0\+0x00000 4
# aie4-trace pf: ^R bar0\+0x0000c 4
# aie4-trace pf: ^W bar2\+0x01000 4 0x00000010
# aie4-trace pf: ^W bar2\+0x01004 4 0x00010010
# aie4-trace pf: ^W bar2\+0x01008 4 0x1d000000
# aie4-trace pf: ^W bar2\+0x0100c 4 0x0001000d
# aie4-trace pf: ^W bar2\+0x0101c 4 0x00400000
# aie4-trace pf: ^W bar0\+0x00000 4 0x00000020
# aie4-trace pf: op=ATTACH_WORK_BUFFER status=SUCCESS
# aie4-trace pf: ^R bar0\+0x00008 4 0x00000014
# aie4-trace pf: ^R bar2\+0x02000 4 0x00000004
# aie4-trace pf: ^R bar2\+0x0200c 4 0x0001000d
# aie4-trace pf: ^W bar0\+0x0000c 4 0x00000014
# aie4-trace vf0: ^C 0x004 2 0x0[15]06
# aie4-trace vf0: ^R bar2\+0x00000 4 0x00000001
# aie4-trace vf0: ^R bar2\+0x0003c 4
# aie4-trace vf0: ^W bar2\+0x0100c 4 0x00030006
# aie4-trace vf0: ^W bar0\+0x00000 4 0x00000014
# aie4-trace vf0: ^R bar2\+0x02000 4 0x00000030
# aie4-trace vf0: ^W bar2\+0x01018 4 0x00010008
# aie4-trace vf0: ^W bar2\+0x01020 4 0x00030001
# aie4-trace vf0: ^W bar2\+0x01024 4 0x00000000
# aie4-trace vf0: ^W bar2\+0x01028 4 0x00000003
# aie4-trace vf0: op=CREATE_PARTITION status=SUCCESS
# aie4-trace vf0: ^R bar2\+0x02054 4 0x0000000[1-9a-f]
modprobe amdxdna || exit 1
[ "$(ls -d /sys/bus/pci/drivers/amdxdna/0000:* | wc -l)" = 2 ] || { echo "FAIL: not both bound"; exit 1; }
echo PASS
