; One job spread over the partition's three columns: uC c (c = 0, 1, 2; `.attach_to_group c`)
; transposes block c of the input into block c of the output on its own column's shim and
; memory tile, with the same data path and BD conventions as guest-driver/ctrlcode/copy.asm.
;
;   argument 0 (input) and argument 1 (output): 3 x 4096 bytes, three 32 x 32 matrices of
;   32-bit words; block c of the output = transpose of block c of the input.
;
; XRT puts one ert_dpu_data per non-empty column into the command and the shim turns them into
; one indirect queue slot (docs/spec/queue-and-cert.md §12.3), so each block is written by a
; different uC: a block left unchanged names the uC that did not run.
; The shim BDs' address words hold c * 4096 before patching: APPLY_OFFSET_57 adds the buffer
; address to them (docs/spec/queue-and-cert.md §8.3), so uC c reads and writes block c.
; Addresses: col << 25 | address_row << 20 | offset (hw/aie/register_map.hpp).
.target aie4
.partition 3column

.attach_to_group 0
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_in_c0, 1, 0
  APPLY_OFFSET_57 @shim_bd_out_c0, 1, 1
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
  UC_DMA_WRITE_DES_SYNC @ucbd_0_c0
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
ucbd_0_c0:
  UC_DMA_BD 0, 0x00018000, @shim_bd_in_c0, 9, 0, 1
  UC_DMA_BD 0, 0x00018030, @shim_bd_out_c0, 9, 0, 1
  UC_DMA_BD 0, 0x00108000, @mem_bd_fill_c0, 11, 0, 1
  UC_DMA_BD 0, 0x00108030, @mem_bd_transpose_c0, 11, 0, 0
.align 4
; shim BD (9 words): w0/w1 = address (patched by the host), w2 = 1024 words, linear, valid
shim_bd_in_c0:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_out_c0:
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
mem_bd_fill_c0:
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
mem_bd_transpose_c0:
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

.attach_to_group 1
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_in_c1, 1, 0
  APPLY_OFFSET_57 @shim_bd_out_c1, 1, 1
  ; route shim MM2S0 -> north lane 0 -> memory tile S2MM0
  WRITE_32 0x0203F008, 0x80000000       ; shim master north0 <- slave dma0
  WRITE_32 0x0203F100, 0x80000000       ; shim slave dma0 enable
  WRITE_32 0x021B0000, 0x8000000A       ; mem master dma0 (S2MM0) <- slave south0
  WRITE_32 0x021B0128, 0x80000000       ; mem slave south0 enable
  ; route memory tile MM2S0 -> south lane 0 -> shim S2MM0
  WRITE_32 0x021B0020, 0x80000000       ; mem master south0 <- slave dma0 (MM2S0)
  WRITE_32 0x021B0100, 0x80000000       ; mem slave dma0 enable
  WRITE_32 0x0203F000, 0x80000004       ; shim master dma0 (S2MM0) <- slave north0
  WRITE_32 0x0203F110, 0x80000000       ; shim slave north0 enable
  ; memory-tile locks: lock 1 = buffer free (1), lock 0 = buffer full (0)
  WRITE_32 0x02110000, 0
  WRITE_32 0x02110010, 1
  ; shim BD0 (in), shim BD1 (out), memory-tile BD0 (fill), memory-tile BD1 (transposing drain)
  UC_DMA_WRITE_DES_SYNC @ucbd_0_c1
  ; start the tasks, consumers first
  WRITE_32 0x02018544, 0x80000001       ; shim S2MM0 task queue: BD1, issue a token
  WRITE_32 0x02109E64, 0x00000001       ; memory tile MM2S0 task queue: BD1
  WRITE_32 0x02109E04, 0x00000000       ; memory tile S2MM0 task queue: BD0
  WRITE_32 0x02018554, 0x00000000       ; shim MM2S0 task queue: BD0
  WAIT_TCTS TILE_1_0, SHIM_S2MM_0, 1
  MASK_POLL_32 0x02018570, 0x01F8003C, 0   ; shim S2MM0 status: idle
END_JOB
.eop
EOF

.align 16
ucbd_0_c1:
  UC_DMA_BD 0, 0x02018000, @shim_bd_in_c1, 9, 0, 1
  UC_DMA_BD 0, 0x02018030, @shim_bd_out_c1, 9, 0, 1
  UC_DMA_BD 0, 0x02108000, @mem_bd_fill_c1, 11, 0, 1
  UC_DMA_BD 0, 0x02108030, @mem_bd_transpose_c1, 11, 0, 0
.align 4
; shim BD (9 words): w0/w1 = address (patched by the host), w2 = 1024 words, linear, valid
shim_bd_in_c1:
  .long 0x00000000
  .long 0x00001000                    ; block 1: + 1 * 4096 bytes
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_out_c1:
  .long 0x00000000
  .long 0x00001000                    ; block 1: + 1 * 4096 bytes
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
; memory-tile BD0 (11 words): 1024 words at 0, acquire lock 1 (>= 1), release lock 0 (+1)
mem_bd_fill_c1:
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
mem_bd_transpose_c1:
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

.attach_to_group 2
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_in_c2, 1, 0
  APPLY_OFFSET_57 @shim_bd_out_c2, 1, 1
  ; route shim MM2S0 -> north lane 0 -> memory tile S2MM0
  WRITE_32 0x0403F008, 0x80000000       ; shim master north0 <- slave dma0
  WRITE_32 0x0403F100, 0x80000000       ; shim slave dma0 enable
  WRITE_32 0x041B0000, 0x8000000A       ; mem master dma0 (S2MM0) <- slave south0
  WRITE_32 0x041B0128, 0x80000000       ; mem slave south0 enable
  ; route memory tile MM2S0 -> south lane 0 -> shim S2MM0
  WRITE_32 0x041B0020, 0x80000000       ; mem master south0 <- slave dma0 (MM2S0)
  WRITE_32 0x041B0100, 0x80000000       ; mem slave dma0 enable
  WRITE_32 0x0403F000, 0x80000004       ; shim master dma0 (S2MM0) <- slave north0
  WRITE_32 0x0403F110, 0x80000000       ; shim slave north0 enable
  ; memory-tile locks: lock 1 = buffer free (1), lock 0 = buffer full (0)
  WRITE_32 0x04110000, 0
  WRITE_32 0x04110010, 1
  ; shim BD0 (in), shim BD1 (out), memory-tile BD0 (fill), memory-tile BD1 (transposing drain)
  UC_DMA_WRITE_DES_SYNC @ucbd_0_c2
  ; start the tasks, consumers first
  WRITE_32 0x04018544, 0x80000001       ; shim S2MM0 task queue: BD1, issue a token
  WRITE_32 0x04109E64, 0x00000001       ; memory tile MM2S0 task queue: BD1
  WRITE_32 0x04109E04, 0x00000000       ; memory tile S2MM0 task queue: BD0
  WRITE_32 0x04018554, 0x00000000       ; shim MM2S0 task queue: BD0
  WAIT_TCTS TILE_2_0, SHIM_S2MM_0, 1
  MASK_POLL_32 0x04018570, 0x01F8003C, 0   ; shim S2MM0 status: idle
END_JOB
.eop
EOF

.align 16
ucbd_0_c2:
  UC_DMA_BD 0, 0x04018000, @shim_bd_in_c2, 9, 0, 1
  UC_DMA_BD 0, 0x04018030, @shim_bd_out_c2, 9, 0, 1
  UC_DMA_BD 0, 0x04108000, @mem_bd_fill_c2, 11, 0, 1
  UC_DMA_BD 0, 0x04108030, @mem_bd_transpose_c2, 11, 0, 0
.align 4
; shim BD (9 words): w0/w1 = address (patched by the host), w2 = 1024 words, linear, valid
shim_bd_in_c2:
  .long 0x00000000
  .long 0x00002000                    ; block 2: + 2 * 4096 bytes
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_out_c2:
  .long 0x00000000
  .long 0x00002000                    ; block 2: + 2 * 4096 bytes
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
; memory-tile BD0 (11 words): 1024 words at 0, acquire lock 1 (>= 1), release lock 0 (+1)
mem_bd_fill_c2:
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
mem_bd_transpose_c2:
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
