; GEMM-LONG workload: gemm.asm run 256 times in one command (a long job for the multi-tenant
; latency measurement, docs/performance.md). Identical to gemm.asm except that every DMA task
; is pushed with repeat count 255 (task queue bits 23:16, hw/aie/register_map.hpp) and the
; kernel descriptor asks for 256 iterations: the pipeline recomputes C = A x B 256 times on
; the same buffers, so C is the same as gemm's.
;
; GEMM workload, control code for uC 0 (partition column 0): C = A x B on the compute tile of
; row 2 with the array's native int8 GEMM kernel (hw/aie/kernels.hpp KernelId::gemm_i8).
;
;   argument 0: A, 64 x 64 int8, row-major (4096 bytes)
;   argument 1: B, 64 x 64 int8, row-major (4096 bytes)
;   argument 2: C, 64 x 64 int32 little-endian, row-major (16384 bytes): C[i][j] = sum_k A[i][k] * B[k][j]
;
; Data path (the same pipeline as hw/aie/gemm_pipeline.cpp, programmed by control code):
;   shim MM2S0/1 -> memory tile S2MM0/1 (A at 0x0, B at 0x80000) -> memory tile MM2S0/1
;   -> compute tile S2MM0/1 (A at 0x0, B at 0x8000) -> kernel -> C at 0x10000 -> compute tile MM2S0
;   -> memory tile S2MM2 (0x100000) -> memory tile MM2S2 -> shim S2MM0 -> host.
; Locks (value at start): memory tile 0 A_full, 1 B_full, 2 C_full, 3 A_free=1, 4 B_free=1,
; 5 C_free=1; compute tile 0 A_free=1, 1 A_full, 2 B_free=1, 3 B_full, 4 C_free=1, 5 C_full.
;
; Two jobs run on the uC: job 1 loads the compute tile (routes, locks, BDs, kernel descriptor)
; while job 0 sets up the shim and the memory tile; both meet at local barrier lb0, then job 1
; enables the core and job 0 starts the DMA tasks and waits for the output token.
;
; Addresses are partition-relative: col << 25 | address_row << 20 | offset; compute row 2 is
; address row 6 (hw/aie/register_map.hpp). Stream ports: hw/aie/stream_switch.hpp.
.target aie4
.partition 3column
START_JOB 0
  APPLY_OFFSET_57 @shim_bd_a, 1, 0
  APPLY_OFFSET_57 @shim_bd_b, 1, 1
  APPLY_OFFSET_57 @shim_bd_c, 1, 2
  ; shim MM2S0 -> north lane 0 -> memory tile S2MM0
  WRITE_32 0x0003F008, 0x80000000
  WRITE_32 0x0003F100, 0x80000000
  WRITE_32 0x001B0000, 0x8000000A
  WRITE_32 0x001B0128, 0x80000000
  ; shim MM2S1 -> north lane 1 -> memory tile S2MM1
  WRITE_32 0x0003F00C, 0x80000001
  WRITE_32 0x0003F104, 0x80000000
  WRITE_32 0x001B0004, 0x8000000B
  WRITE_32 0x001B012C, 0x80000000
  ; memory tile MM2S2 -> south lane 0 -> shim S2MM0
  WRITE_32 0x001B0020, 0x80000002
  WRITE_32 0x001B0108, 0x80000000
  WRITE_32 0x0003F000, 0x80000004
  WRITE_32 0x0003F110, 0x80000000
  ; memory-tile locks
  WRITE_32 0x00110000, 0
  WRITE_32 0x00110010, 0
  WRITE_32 0x00110020, 0
  WRITE_32 0x00110030, 1
  WRITE_32 0x00110040, 1
  WRITE_32 0x00110050, 1
  ; shim BD0..2, memory-tile BD0..5
  UC_DMA_WRITE_DES $r1, @ucbd_io
  WAIT_UC_DMA $r1
  LOCAL_BARRIER $lb0, 2
  ; start the tasks, consumers first
  WRITE_32 0x00018544, 0x80FF0002       ; shim S2MM0: BD2 (C), token
  WRITE_32 0x00109E14, 0x00FF0002       ; memory tile S2MM2: BD2
  WRITE_32 0x00109E74, 0x00FF0005       ; memory tile MM2S2: BD5
  WRITE_32 0x006A8554, 0x00FF0002       ; compute tile MM2S0: BD2
  WRITE_32 0x006A8544, 0x00FF0000       ; compute tile S2MM0: BD0
  WRITE_32 0x006A854C, 0x00FF0001       ; compute tile S2MM1: BD1
  WRITE_32 0x00109E04, 0x00FF0000       ; memory tile S2MM0: BD0
  WRITE_32 0x00109E0C, 0x00FF0001       ; memory tile S2MM1: BD1
  WRITE_32 0x00109E64, 0x00FF0003       ; memory tile MM2S0: BD3
  WRITE_32 0x00109E6C, 0x00FF0004       ; memory tile MM2S1: BD4
  WRITE_32 0x00018554, 0x00FF0000       ; shim MM2S0: BD0 (A)
  WRITE_32 0x0001855C, 0x00FF0001       ; shim MM2S1: BD1 (B)
  WAIT_TCTS TILE_0_0, SHIM_S2MM_0, 1
  MASK_POLL_32 0x00018570, 0x01F8003C, 0
END_JOB
START_JOB 1
  ; memory tile MM2S0 -> north lane 0 -> compute tile S2MM0
  WRITE_32 0x001B0030, 0x80000000
  WRITE_32 0x001B0100, 0x80000000
  WRITE_32 0x0063F000, 0x80000002
  WRITE_32 0x0063F108, 0x80000000
  ; memory tile MM2S1 -> north lane 1 -> compute tile S2MM1
  WRITE_32 0x001B0034, 0x80000001
  WRITE_32 0x001B0104, 0x80000000
  WRITE_32 0x0063F004, 0x80000003
  WRITE_32 0x0063F10C, 0x80000000
  ; compute tile MM2S0 -> south lane 0 -> memory tile S2MM2
  WRITE_32 0x0063F00C, 0x80000000
  WRITE_32 0x0063F100, 0x80000000
  WRITE_32 0x001B0008, 0x80000010
  WRITE_32 0x001B0140, 0x80000000
  ; compute-tile locks
  WRITE_32 0x006A1000, 1
  WRITE_32 0x006A1010, 0
  WRITE_32 0x006A1020, 1
  WRITE_32 0x006A1030, 0
  WRITE_32 0x006A1040, 1
  WRITE_32 0x006A1050, 0
  ; stop the core (a previous run leaves it enabled), then BD0..2 and the kernel descriptor
  WRITE_32 0x006A3000, 0
  UC_DMA_WRITE_DES_SYNC @ucbd_core
  LOCAL_BARRIER $lb0, 2
  MASK_WRITE_32 0x006A3000, 0x1, 0x1    ; core enable
END_JOB
.eop
EOF

.align 16
ucbd_io:
  UC_DMA_BD 0, 0x00018000, @shim_bd_a, 9, 0, 1
  UC_DMA_BD 0, 0x00018030, @shim_bd_b, 9, 0, 1
  UC_DMA_BD 0, 0x00018060, @shim_bd_c, 9, 0, 1
  UC_DMA_BD 0, 0x00108000, @mem_bd0, 11, 0, 1
  UC_DMA_BD 0, 0x00108030, @mem_bd1, 11, 0, 1
  UC_DMA_BD 0, 0x00108060, @mem_bd2, 11, 0, 1
  UC_DMA_BD 0, 0x00108090, @mem_bd3, 11, 0, 1
  UC_DMA_BD 0, 0x001080C0, @mem_bd4, 11, 0, 1
  UC_DMA_BD 0, 0x001080F0, @mem_bd5, 11, 0, 0
ucbd_core:
  UC_DMA_BD 0, 0x006A8000, @core_bd0, 9, 0, 1
  UC_DMA_BD 0, 0x006A8030, @core_bd1, 9, 0, 1
  UC_DMA_BD 0, 0x006A8060, @core_bd2, 9, 0, 1
  UC_DMA_BD 0, 0x00620000, @program, 14, 0, 0
.align 4
; shim BDs: address patched by the host; A and B 1024 words, C 4096 words
shim_bd_a:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_b:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
shim_bd_c:
  .long 0x00000000
  .long 0x00000000
  .long 0x00001000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0x00000000
; memory-tile BDs: S2MM fill (acquire free, release full), MM2S drain (the reverse)
mem_bd0:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF030100
  .long 0x00000000
  .long 0x00000000
mem_bd1:
  .long 0x00000000
  .long 0x00080000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF040101
  .long 0x00000000
  .long 0x00000000
mem_bd2:
  .long 0x00000000
  .long 0x00100000
  .long 0x00001000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF050102
  .long 0x00000000
  .long 0x00000000
mem_bd3:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF000103
  .long 0x00000000
  .long 0x00000000
mem_bd4:
  .long 0x00000000
  .long 0x00080000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF010104
  .long 0x00000000
  .long 0x00000000
mem_bd5:
  .long 0x00000000
  .long 0x00100000
  .long 0x00001000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF020105
  .long 0x00000000
  .long 0x00000000
; compute-tile BDs
core_bd0:
  .long 0x00000000
  .long 0x00000000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF000101
core_bd1:
  .long 0x00000000
  .long 0x00008000
  .long 0x00000400
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF020103
core_bd2:
  .long 0x00000000
  .long 0x00010000
  .long 0x00001000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x00000000
  .long 0x80000000
  .long 0xFF050104
; kernel descriptor (hw/aie/kernels.hpp): magic, gemm_i8, 256 iterations, A 0x0, B 0x8000,
; C 0x10000, M = N = K = 64, locks in0 acq 1 rel 0, in1 acq 3 rel 2, out acq 4 rel 5
program:
  .long 0xA1E4C0DE
  .long 0x00000004
  .long 0x00000100
  .long 0x00000000
  .long 0x00008000
  .long 0x00010000
  .long 0x00000040
  .long 0x00000040
  .long 0x00000040
  .long 0x80000001
  .long 0x80000203
  .long 0x80000504
  .long 0x00000000
  .long 0x00000000
