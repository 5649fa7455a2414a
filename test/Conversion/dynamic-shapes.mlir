// Dynamic M, N, K: the launch computes the grid from the sizes, and the
// kernel (whose buffers are always dynamic) picks per tile, uniformly across
// the workgroup, between unmasked 16-byte loads (tile inside the matrix, rows
// 16-byte aligned) and masked loads that read zeros outside; the direct
// epilogue guards each element's store.
//
// RUN: moec compile %s --arch gfx942 --emit kernels | FileCheck %s --check-prefixes=HOST,KERNELS
// RUN: moec compile %s --arch gfx90a --emit kernels | FileCheck %s --check-prefixes=HOST,KERNELS
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=NOSPILL

func.func @dyn_m(%a: memref<?x4096xbf16>, %b: memref<4096x1024xbf16>, %c: memref<?x1024xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x4096xbf16>, memref<4096x1024xbf16> -> memref<?x1024xbf16>
  return
}

func.func @dyn_mnk(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// Grid: ceil(M / 128) * (1024 / 64), then ceil(M / 128) * ceil(N / 64).
// HOST-LABEL: func.func @dyn_m(
// HOST:       %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x4096xbf16>
// HOST-NEXT:  %[[TM:.*]] = arith.ceildivui %[[M]], %c128 : index
// HOST-NEXT:  %[[GRID:.*]] = arith.muli %[[TM]], %c16 : index
// HOST-NEXT:  gpu.launch_func @moec_kernels::@dyn_m_gemm blocks in (%[[GRID]], %c1, %c1) threads in (%c256, %c1, %c1)
// HOST-LABEL: func.func @dyn_mnk(
// HOST:       %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x?xbf16>
// HOST-NEXT:  %[[N:.*]] = memref.dim %arg1, %c1 : memref<?x?xbf16>
// HOST-NEXT:  %[[TN:.*]] = arith.ceildivui %[[N]], %c64 : index
// HOST-NEXT:  %[[TM:.*]] = arith.ceildivui %[[M]], %c128 : index
// HOST-NEXT:  %[[GRID:.*]] = arith.muli %[[TM]], %[[TN]] : index
// HOST-NEXT:  gpu.launch_func @moec_kernels::@dyn_mnk_gemm blocks in (%[[GRID]], %c1, %c1) threads in (%c256, %c1, %c1)

// In the K loop (after its trip-count test, the LDS stores of the prefetched
// tile and the barrier): a uniform branch to the fast or the masked loads of
// the next tile of A and B.
// KERNELS-LABEL: llvm.func @dyn_mnk_gemm(
// KERNELS:       ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// KERNELS-NEXT:  llvm.icmp "slt"
// KERNELS-NEXT:  llvm.cond_br
// KERNELS:       rocdl.barrier
// KERNELS:       llvm.cond_br %{{[0-9]+}}, ^[[FAST:bb[0-9]+]], ^[[MASKED:bb[0-9]+]]
// KERNELS-NEXT:  ^[[FAST]]:
// KERNELS-NOT:   llvm.intr.masked.load
// KERNELS:       llvm.load {{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<8xbf16>
// KERNELS-NOT:   llvm.intr.masked.load
// KERNELS:       ^[[MASKED]]:
// KERNELS-NOT:   {alignment = 16 : i64} : !llvm.ptr<1>
// KERNELS:       llvm.intr.masked.load {{.*}} : (!llvm.ptr<1>, vector<8xi1>, vector<8xbf16>) -> vector<8xbf16>
// KERNELS:       llvm.br ^[[LOOP]](
// After the loop: each element's store under row < M and column < N.
// KERNELS:       llvm.icmp "slt"
// KERNELS-NEXT:  llvm.icmp "slt"
// KERNELS-NEXT:  llvm.and
// KERNELS-NEXT:  llvm.cond_br
// KERNELS:       llvm.store {{.*}} : bf16, !llvm.ptr<1>

// The masked loads become per-element loads under the lane mask; the
// unmasked ones 16-byte loads.
// ASM-LABEL: {{^}}dyn_mnk_gemm:
// ASM-DAG:   global_load_dwordx4
// ASM-DAG:   global_load_ushort
// ASM-DAG:   s_and_saveexec_b64
// ASM:       .Lfunc_end1:

// NOSPILL: dyn_m_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 15360 0 0/0 64
// NOSPILL: dyn_mnk_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 15360 0 0/0 64
