; Copy workload, control code for uC 0 (one column).
;
; Argument 0 = input buffer, argument 1 = output buffer. The host patches their addresses
; into the two shim-DMA BDs below (APPLY_OFFSET_57 / .rela.dyn type 6, XRT patch57_aie4:
; BD word 0[24:0] = address bits 56:32, word 1 = bits 31:0, plus 0x80000000).
;
; TODO(register map): the AXI-MM addresses (0x2018000, 0x2018030), the BD word layout
; after words 0/1 and the WAIT_TCTS channel are PLACEHOLDERS modelled on public aie4
; samples. Finalize them against hw/aie/register_map.hpp (shim tile BD registers, channel
; start queue, task-completion tokens) once it exists, then rerun build-fixtures.sh.
; Until then the copy workload is expected to fail on the emulated device.
.target aie4
.partition 3column
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_in, 1, 0
  APPLY_OFFSET_57 @shim_bd_out, 1, 1
  UC_DMA_WRITE_DES_SYNC @ucbd_0
  WAIT_TCTS TILE_0_0, SHIM_S2MM_0, 1
END_JOB
.eop
EOF

.align 16
ucbd_0:
  UC_DMA_BD 0, 0x2018000, @shim_bd_in, 9, 0, 1
  UC_DMA_BD 0, 0x2018030, @shim_bd_out, 9, 0, 0
.align 4
; shim BD: word 0 = address high, word 1 = address low (offset into the argument),
; word 2 = length in 32-bit words (0x400 = 4 KiB); the rest is TODO(register map).
shim_bd_in:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x03000000
  .long 0x00000000
  .long 0x00000001
  .long 0x00000001
  .long 0x20000001
  .long 0x00000400
shim_bd_out:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x03000000
  .long 0x00000000
  .long 0x00000001
  .long 0x00000001
  .long 0x20000001
  .long 0x00000400
