// group_m is the workgroup swizzle (Triton's grouped ordering): consecutive
// workgroup ids walk group_m row-tiles down one column of tiles before moving
// right, so those row-tiles share the B columns in L2:
//   num_pid_m = ceil(M / BM), num_pid_n = ceil(N / BN)
//   in_group  = group_m * num_pid_n
//   first_m   = (pid / in_group) * group_m
//   size      = min(num_pid_m - first_m, group_m)
//   pid_m     = first_m + (pid % in_group) % size
//   pid_n     = (pid % in_group) / size
//   m0 = pid_m * BM, n0 = pid_n * BN
// The grid itself does not change.
//
// RUN: moec compile %s --arch gfx942 --group-m 6 --emit kernels | FileCheck %s --check-prefix=SWIZZLE -DGM=6
// RUN: moec compile %s --arch gfx90a --group-m 4 --emit kernels | FileCheck %s --check-prefix=SWIZZLE -DGM=4
// With group_m = 1 the ids run along rows: pid_m = pid / num_pid_n.
// RUN: moec compile %s --arch gfx942 --group-m 1 --emit kernels | FileCheck %s --check-prefix=G1
// RUN: moec compile %s --arch gfx942 --group-m 6 --emit hsaco -o %t && moec inspect %t | FileCheck %s --check-prefix=NOSPILL

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// SWIZZLE:      %[[GRID:.*]] = arith.muli
// SWIZZLE-NEXT: gpu.launch_func @moec_kernels::@g_gemm blocks in (%[[GRID]], %c1, %c1)
// SWIZZLE-LABEL: llvm.func @g_gemm(
// SWIZZLE:      %[[GROUPM:[0-9]+]] = llvm.mlir.constant([[GM]] : index) : i64
// SWIZZLE:      %[[BN:[0-9]+]] = llvm.mlir.constant(64 : index) : i64
// SWIZZLE:      %[[BM:[0-9]+]] = llvm.mlir.constant(128 : index) : i64
// SWIZZLE:      %[[PID32:[0-9]+]] = rocdl.workgroup.id.x
// SWIZZLE:      %[[PID:[0-9]+]] = llvm.sext %[[PID32]] : i32 to i64
// SWIZZLE:      llvm.udiv %{{[0-9]+}}, %[[BM]] : i64
// SWIZZLE:      %[[NPM:[0-9]+]] = llvm.select %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} : i1, i64
// SWIZZLE:      llvm.udiv %{{[0-9]+}}, %[[BN]] : i64
// SWIZZLE:      %[[NPN:[0-9]+]] = llvm.select %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} : i1, i64
// SWIZZLE-NEXT: %[[INGROUP:[0-9]+]] = llvm.mul %[[NPN]], %[[GROUPM]] : i64
// SWIZZLE-NEXT: %[[GROUP:[0-9]+]] = llvm.udiv %[[PID]], %[[INGROUP]] : i64
// SWIZZLE-NEXT: %[[FIRSTM:[0-9]+]] = llvm.mul %[[GROUP]], %[[GROUPM]] : i64
// SWIZZLE-NEXT: %[[LEFT:[0-9]+]] = llvm.sub %[[NPM]], %[[FIRSTM]] : i64
// SWIZZLE-NEXT: %[[LT:[0-9]+]] = llvm.icmp "slt" %[[LEFT]], %[[GROUPM]] : i64
// SWIZZLE-NEXT: %[[SIZE:[0-9]+]] = llvm.select %[[LT]], %[[LEFT]], %[[GROUPM]] : i1, i64
// SWIZZLE-NEXT: %[[LOCAL:[0-9]+]] = llvm.urem %[[PID]], %[[INGROUP]] : i64
// SWIZZLE-NEXT: %[[INM:[0-9]+]] = llvm.urem %[[LOCAL]], %[[SIZE]] : i64
// SWIZZLE-NEXT: %[[PIDM:[0-9]+]] = llvm.add %[[FIRSTM]], %[[INM]] : i64
// SWIZZLE-NEXT: %[[PIDN:[0-9]+]] = llvm.udiv %[[LOCAL]], %[[SIZE]] : i64
// SWIZZLE-NEXT: llvm.mul %[[PIDM]], %[[BM]] : i64
// SWIZZLE-NEXT: llvm.mul %[[PIDN]], %[[BN]] : i64

// G1-LABEL: llvm.func @g_gemm(
// G1:      %[[BN:[0-9]+]] = llvm.mlir.constant(64 : index) : i64
// G1:      %[[PID32:[0-9]+]] = rocdl.workgroup.id.x
// G1:      %[[PID:[0-9]+]] = llvm.sext %[[PID32]] : i32 to i64
// G1:      llvm.udiv %{{[0-9]+}}, %[[BN]] : i64
// G1:      %[[NPN:[0-9]+]] = llvm.select %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} : i1, i64
// G1-NEXT: %[[PIDM:[0-9]+]] = llvm.udiv %[[PID]], %[[NPN]] : i64

// NOSPILL: g_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
