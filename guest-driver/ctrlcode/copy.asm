; Copy workload with a transformation, control code for uC 0 (partition column 0).
;
; Argument 0 (input) and argument 1 (output) are 4096-byte buffers holding a 32 x 32 matrix of
; 32-bit little-endian words. The output is the TRANSPOSE of the input:
;     out[i * 32 + j] = in[j * 32 + i]      (i, j in 0..31, 32-bit words)
; Path: host -> shim MM2S0 -> memory tile S2MM0 -> memory-tile data (offset 0)
;       -> memory tile MM2S0, whose BD walks the buffer column by column (D0 wrap 32 step 32,
;          D1 step 1) -> shim S2MM0 -> host.
;
; The host patches the buffer addresses into the two shim BDs (APPLY_OFFSET_57 makes aiebu-asm
; emit .rela.dyn type 6, XRT patch57_aie4: BD word 0[24:0] = address bits 56:32, word 1 = bits
; 31:0, plus 0x80000000; docs/spec/queue-and-cert.md §8.3).
;
; Addresses are partition-relative AXI-MM addresses: col << 25 | address_row << 20 | offset.
; Register offsets, BD words and lock semantics: hw/aie/register_map.hpp. Stream-switch port
; numbers: hw/aie/stream_switch.hpp. BD words are written by one UC-DMA chain.
.target aie4
.partition 3column
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_in, 1, 0
  APPLY_OFFSET_57 @shim_bd_out, 1, 1
  ; route shim MM2S0 -> north lane 0 -> memory tile S2MM0
  WRITE_32 0x0003F008, 0x80000000       ; shim master north0 <- slave dma0
  WRITE_32 0x0003F100, 0x80000000       ; shim slave dma0 enable
  WRITE_32 0x001B0000, 0x8000000A       ; mem master dma0 (S2MM0) <- slave south0
  WRITE_32 0x001B0128, 0x80000000       ; mem slave south0 enable
  ; route memory tile MM2S0 -> south lane 0 -> shim S2MM0
  WRITE_32 0x001B0020, 0x80000000       ; mem master south0 <- slave dma0 (MM2S0)
  WRITE_32 0x001B0100, 0x80000000       ; mem slave dma0 enable
  WRITE_32 0x0003F000, 0x80000004       ; shim master dma0 (S2MM0) <- slave north0
  WRITE_32 0x0003F110, 0x80000000       ; shim slave north0 enable
  ; memory-tile locks: lock 1 = buffer free (1), lock 0 = buffer full (0)
  WRITE_32 0x00110000, 0
  WRITE_32 0x00110010, 1
  ; shim BD0 (in), shim BD1 (out), memory-tile BD0 (fill), memory-tile BD1 (transposing drain)
  UC_DMA_WRITE_DES_SYNC @ucbd_0
  ; start the tasks, consumers first
  WRITE_32 0x00018544, 0x80000001       ; shim S2MM0 task queue: BD1, issue a token
  WRITE_32 0x00109E64, 0x00000001       ; memory tile MM2S0 task queue: BD1
  WRITE_32 0x00109E04, 0x00000000       ; memory tile S2MM0 task queue: BD0
  WRITE_32 0x00018554, 0x00000000       ; shim MM2S0 task queue: BD0
  WAIT_TCTS TILE_0_0, SHIM_S2MM_0, 1
  MASK_POLL_32 0x00018570, 0x01F8003C, 0   ; shim S2MM0 status: idle
END_JOB
.eop
EOF

.align 16
ucbd_0:
  UC_DMA_BD 0, 0x00018000, @shim_bd_in, 9, 0, 1
  UC_DMA_BD 0, 0x00018030, @shim_bd_out, 9, 0, 1
  UC_DMA_BD 0, 0x00108000, @mem_bd_fill, 11, 0, 1
  UC_DMA_BD 0, 0x00108030, @mem_bd_transpose, 11, 0, 0
.align 4
; shim BD (9 words): w0/w1 = address (patched by the host), w2 = 1024 words, linear, valid
shim_bd_in:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_out:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
; memory-tile BD0 (11 words): 1024 words at 0, acquire lock 1 (>= 1), release lock 0 (+1)
mem_bd_fill:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF010100
  .long 0x00000000
  .long 0x00000000
; memory-tile BD1: 1024 words at 0, D0 wrap 32 step 32, D1 step 1 (transpose);
; acquire lock 0 (>= 1), release lock 1 (+1)
mem_bd_transpose:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x0200001F
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF000101
  .long 0x00000000
  .long 0x00000000
