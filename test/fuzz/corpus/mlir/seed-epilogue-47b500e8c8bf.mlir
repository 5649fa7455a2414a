// epilogue = direct stores each accumulator element straight from the MFMA
// register layout: no LDS traffic once the K loop is done, one 4-byte (f32)
// or 2-byte (bf16) store per element. epilogue = lds parks the finished tile
// in LDS (barrier, stores, barrier), reads it back as 16-byte rows and
// stores those with buffer_store_dwordx4. Its tile, [BM][BN] (swizzled like
// the K loop's, unpadded), may need more LDS than the K loop:
//   64x64x16, bf16 A/B, one buffer:  (64 + 64) 16 * 2 = 4096
//   lds epilogue, f32 C:             64 * 64 * 4      = 16384
//   lds epilogue, bf16 C:            64 * 64 * 2      = 8192
//
// RUN: moec compile %s --arch gfx942 --epilogue direct --emit kernels | FileCheck %s --check-prefix=DIRECT
// RUN: moec compile %s --arch gfx942 --epilogue lds --emit kernels | FileCheck %s --check-prefix=LDS
// RUN: moec compile %s --arch gfx90a --epilogue direct --emit kernels | FileCheck %s --check-prefix=DIRECT
// RUN: moec compile %s --arch gfx90a --epilogue lds --emit kernels | FileCheck %s --check-prefix=LDS
//
// RUN: moec compile %s --arch gfx942 --epilogue direct --emit asm | FileCheck %s --check-prefix=ASM-DIRECT
// RUN: moec compile %s --arch gfx942 --epilogue lds --emit asm | FileCheck %s --check-prefix=ASM-LDS
// RUN: moec compile %s --arch gfx90a --epilogue direct --emit asm | FileCheck %s --check-prefix=ASM-DIRECT
// RUN: moec compile %s --arch gfx90a --epilogue lds --emit asm | FileCheck %s --check-prefix=ASM-LDS
// RUN: moec compile %s --arch gfx950 --epilogue lds --emit asm | FileCheck %s --check-prefix=ASM-LDS
//
// RUN: moec compile %s --arch gfx942 --epilogue lds --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=INSPECT-LDS
// RUN: moec compile %s --arch gfx90a --epilogue direct --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=INSPECT-DIRECT

func.func @f32out(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 16>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xf32>
  return
}

func.func @bf16out(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 16>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// After the K loop's back edge: no barrier, no LDS access, element stores.
// DIRECT-LABEL: llvm.func @f32out_gemm(
// DIRECT:       moec.lds_bytes = 4096
// DIRECT:       ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// DIRECT:       llvm.br ^[[LOOP]](
// DIRECT-NOT:   {{rocdl.barrier|!llvm.ptr<3>|buffer.store .*: vector}}
// DIRECT:       llvm.bitcast %{{[0-9]+}} : f32 to i32
// DIRECT:       rocdl.raw.ptr.buffer.store {{.*}} : i32
// DIRECT-NOT:   {{rocdl.barrier|!llvm.ptr<3>|buffer.store .*: vector}}
// DIRECT:       llvm.return
// DIRECT-LABEL: llvm.func @bf16out_gemm(
// DIRECT:       moec.lds_bytes = 4096
// DIRECT:       ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// DIRECT:       llvm.br ^[[LOOP]](
// DIRECT-NOT:   {{rocdl.barrier|!llvm.ptr<3>|buffer.store .*: vector}}
// DIRECT:       llvm.bitcast %{{[0-9]+}} : bf16 to i16
// DIRECT:       rocdl.raw.ptr.buffer.store {{.*}} : i16
// DIRECT-NOT:   {{rocdl.barrier|!llvm.ptr<3>|buffer.store .*: vector}}
// DIRECT:       llvm.return

// After the back edge: barrier, the tile into LDS, barrier, 16-byte rows
// out of LDS into 16-byte global stores.
// LDS-LABEL:    llvm.func @f32out_gemm(
// LDS:          moec.lds_bytes = 16384
// LDS:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LDS:          llvm.br ^[[LOOP]](
// LDS-NOT:      rocdl.raw.ptr.buffer
// LDS:          rocdl.barrier
// LDS-COUNT-16: llvm.store {{.*}} : f32, !llvm.ptr<3>
// LDS:          rocdl.barrier
// LDS-NOT:      rocdl.raw.ptr.buffer
// LDS:          llvm.load {{.*}} : !llvm.ptr<3> -> vector<4xf32>
// LDS:          rocdl.raw.ptr.buffer.store {{.*}} : vector<4xi32>
// LDS-LABEL:    llvm.func @bf16out_gemm(
// LDS:          moec.lds_bytes = 8192
// LDS:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LDS:          llvm.br ^[[LOOP]](
// LDS-NOT:      rocdl.raw.ptr.buffer
// LDS:          rocdl.barrier
// LDS-COUNT-16: llvm.store {{.*}} : bf16, !llvm.ptr<3>
// LDS:          rocdl.barrier
// LDS-NOT:      rocdl.raw.ptr.buffer
// LDS:          llvm.load {{.*}} : !llvm.ptr<3> -> vector<8xbf16>
// LDS:          rocdl.raw.ptr.buffer.store {{.*}} : vector<4xi32>

// In the ISA (64x64x16 over 4 waves: 4 MFMAs each). The loop's own LDS
// stores may be laid out after its MFMAs, but no LDS read is.
// ASM-DIRECT-LABEL:    {{^}}f32out_gemm:
// ASM-DIRECT-COUNT-4:  v_mfma
// ASM-DIRECT-NOT:      {{v_mfma|ds_read|ds_write2?_b32|buffer_store_dwordx4}}
// ASM-DIRECT-COUNT-16: buffer_store_dword v
// ASM-DIRECT-NOT:      {{v_mfma|ds_read|ds_write2?_b32|buffer_store_dwordx4}}
// ASM-DIRECT:          .amdhsa_group_segment_fixed_size 4096{{$}}
// ASM-DIRECT-LABEL:    {{^}}bf16out_gemm:
// ASM-DIRECT-COUNT-4:  v_mfma
// ASM-DIRECT-NOT:      {{v_mfma|ds_read|buffer_store_dwordx4}}
// ASM-DIRECT:          .amdhsa_group_segment_fixed_size 4096{{$}}

// ASM-LDS-LABEL:   {{^}}f32out_gemm:
// ASM-LDS-COUNT-4: v_mfma
// ASM-LDS-NOT:     v_mfma
// ASM-LDS:         s_barrier
// ASM-LDS:         ds_write_b32
// ASM-LDS:         s_barrier
// ASM-LDS:         ds_read_b128
// ASM-LDS:         buffer_store_dwordx4
// ASM-LDS:         .amdhsa_group_segment_fixed_size 16384{{$}}
// ASM-LDS-LABEL:   {{^}}bf16out_gemm:
// ASM-LDS-COUNT-4: v_mfma
// ASM-LDS-NOT:     v_mfma
// ASM-LDS:         s_barrier
// ASM-LDS:         ds_write_b16
// ASM-LDS:         s_barrier
// ASM-LDS:         ds_read_b128
// ASM-LDS:         buffer_store_dwordx4
// ASM-LDS:         .amdhsa_group_segment_fixed_size 8192{{$}}

// INSPECT-LDS: f32out_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 16384 0 0/0 64
// INSPECT-LDS: bf16out_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// INSPECT-DIRECT: f32out_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 4096 0 0/0 64
// INSPECT-DIRECT: bf16out_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 4096 0 0/0 64
