// Dynamic M, N, K: the launch computes the grid from the sizes. Global
// memory goes through AMD buffer instructions: one buffer resource per tile
// (base = the tile's first element), 32-bit lane offsets, and an
// out-of-range offset (0x80000000) for what lies outside the matrix, which
// the hardware reads as zeros or drops: no masked loads, no branches per
// element. A leading dimension that is not a multiple of the 16-byte vector
// (only knowable at run time for ?x? buffers) takes a uniform branch to
// element-wise loads; a static one (dyn_m: K = 4096, N = 1024), or
// --assume-aligned, leaves only the 16-byte path.
//
// RUN: moec compile %s --arch gfx942 --emit kernels | FileCheck %s --check-prefixes=HOST,KERNELS
// RUN: moec compile %s --arch gfx90a --emit kernels | FileCheck %s --check-prefixes=HOST,KERNELS
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --assume-aligned --emit asm | FileCheck %s --check-prefix=ALIGNED
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
// HOST-NEXT:  %[[TM:.*]] = arith.ceildivui %[[M]], %c128 : index
// HOST-NEXT:  %[[TN:.*]] = arith.ceildivui %[[N]], %c64 : index
// HOST-NEXT:  %[[GRID:.*]] = arith.muli %[[TM]], %[[TN]] : index
// HOST-NEXT:  gpu.launch_func @moec_kernels::@dyn_mnk_gemm blocks in (%[[GRID]], %c1, %c1) threads in (%c256, %c1, %c1)

// In the K loop (after its trip-count test, the LDS stores of the prefetched
// tile and the barrier): the resource of A's next tile, then a uniform branch
// on K % 8 to 16-byte or to element-wise buffer loads, each offset replaced
// by the out-of-range one where the vector (element) lies outside.
// KERNELS-LABEL: llvm.func @dyn_mnk_gemm(
// KERNELS:       %[[OOR:[0-9]+]] = llvm.mlir.constant(-2147483648 : i32) : i32
// KERNELS:       ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// KERNELS-NEXT:  llvm.icmp "slt"
// KERNELS-NEXT:  llvm.cond_br
// KERNELS:       rocdl.barrier
// KERNELS:       %[[RSRC:[0-9]+]] = rocdl.make.buffer.rsrc
// KERNELS:       llvm.cond_br %{{[0-9]+}}, ^[[VEC:bb[0-9]+]], ^[[ELT:bb[0-9]+]]
// KERNELS-NEXT:  ^[[VEC]]:
// KERNELS-NOT:   llvm.cond_br
// KERNELS:       %[[OFF:[0-9]+]] = llvm.select %{{[0-9]+}}, %{{[0-9]+}}, %[[OOR]] : i1, i32
// KERNELS-NEXT:  rocdl.raw.ptr.buffer.load %[[RSRC]], %[[OFF]], %{{[0-9]+}}, %{{[0-9]+}} : vector<4xi32>
// KERNELS:       ^[[ELT]]:
// KERNELS-NOT:   {{llvm.cond_br|vector<4xi32>}}
// KERNELS:       %[[OFF1:[0-9]+]] = llvm.select %{{[0-9]+}}, %{{[0-9]+}}, %[[OOR]] : i1, i32
// KERNELS-NEXT:  rocdl.raw.ptr.buffer.load %[[RSRC]], %[[OFF1]], %{{[0-9]+}}, %{{[0-9]+}} : i16
// KERNELS:       llvm.br ^[[LOOP]](
// After the loop: each element's store, out of range unless row < M and
// column < N, with no branch.
// KERNELS:       llvm.icmp "slt"
// KERNELS-NEXT:  llvm.icmp "slt"
// KERNELS-NEXT:  llvm.and
// KERNELS-NOT:   llvm.cond_br
// KERNELS:       rocdl.raw.ptr.buffer.store {{.*}} : i16
// KERNELS-NOT:   llvm.cond_br
// KERNELS:       llvm.return

// dyn_m: its K and N are static multiples of 8, so only 16-byte loads;
// dyn_mnk: both kinds, and no exec-mask branches around single elements.
// ASM-LABEL: {{^}}dyn_m_gemm:
// ASM-NOT:   {{buffer_load_ushort|global_load|global_store|s_and_saveexec_b64}}
// ASM:       buffer_load_dwordx4
// ASM-NOT:   {{buffer_load_ushort|global_load|global_store|s_and_saveexec_b64}}
// ASM:       buffer_store_short
// ASM-NOT:   {{buffer_load_ushort|global_load|global_store|s_and_saveexec_b64}}
// ASM:       .Lfunc_end0:
// ASM-LABEL: {{^}}dyn_mnk_gemm:
// ASM-NOT:   {{global_load|global_store|s_and_saveexec_b64}}
// ASM-DAG:   buffer_load_dwordx4
// ASM-DAG:   buffer_load_ushort
// ASM-NOT:   {{global_load|global_store|s_and_saveexec_b64}}
// ASM:       .Lfunc_end1:

// ALIGNED-LABEL: {{^}}dyn_mnk_gemm:
// ALIGNED-NOT:   buffer_load_ushort
// ALIGNED:       buffer_load_dwordx4
// ALIGNED-NOT:   buffer_load_ushort
// ALIGNED:       .Lfunc_end1:

// NOSPILL: dyn_m_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
// NOSPILL: dyn_mnk_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
