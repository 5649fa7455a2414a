// num_warps sets the workgroup: num_warps x 64 lanes, launched with exactly
// that many (gpu.launch_func), required of the kernel (reqd_work_group_size)
// and declared to the backend as both the least and the most it may get
// ("amdgpu-flat-work-group-size"), so that the code object's
// .max_flat_workgroup_size and the backend's register budget follow it.
//
// RUN: moec compile %s --arch gfx942 --num-warps 1 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=64
// RUN: moec compile %s --arch gfx942 --num-warps 2 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=128
// RUN: moec compile %s --arch gfx942 --num-warps 4 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=256
// RUN: moec compile %s --arch gfx942 --num-warps 8 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=512
// RUN: moec compile %s --arch gfx942 --num-warps 16 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=1024
// RUN: moec compile %s --arch gfx90a --num-warps 1 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=64
// RUN: moec compile %s --arch gfx90a --num-warps 8 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=512
// RUN: moec compile %s --arch gfx90a --num-warps 16 --emit asm | FileCheck %s --check-prefix=ASM -DLANES=1024
//
// RUN: moec compile %s --arch gfx942 --num-warps 1 --emit llvm | FileCheck %s --check-prefix=LLVM -DLANES=64
// RUN: moec compile %s --arch gfx942 --num-warps 8 --emit llvm | FileCheck %s --check-prefix=LLVM -DLANES=512
// RUN: moec compile %s --arch gfx90a --num-warps 16 --emit llvm | FileCheck %s --check-prefix=LLVM -DLANES=1024
//
// RUN: moec compile %s --arch gfx942 --num-warps 2 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLANES=128
// RUN: moec compile %s --arch gfx90a --num-warps 16 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLANES=1024
//
// moec inspect reads the workgroup back from the code object.
// RUN: moec compile %s --arch gfx942 --num-warps 1 --emit hsaco -o %t.w1 && moec inspect %t.w1 | FileCheck %s --check-prefix=INSPECT -DLANES=64
// RUN: moec compile %s --arch gfx942 --num-warps 4 --emit hsaco -o %t.w4 && moec inspect %t.w4 | FileCheck %s --check-prefix=INSPECT -DLANES=256
// RUN: moec compile %s --arch gfx942 --num-warps 16 --emit hsaco -o %t.w16 && moec inspect %t.w16 | FileCheck %s --check-prefix=INSPECT -DLANES=1024
// RUN: moec compile %s --arch gfx90a --num-warps 8 --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=INSPECT -DLANES=512

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// ASM:      .max_flat_workgroup_size: [[LANES]]{{$}}
// ASM-NEXT: .name: g_gemm
// ASM:      .reqd_workgroup_size:
// ASM-NEXT:   - [[LANES]]{{$}}
// ASM-NEXT:   - 1{{$}}
// ASM-NEXT:   - 1{{$}}

// LLVM: define amdgpu_kernel void @g_gemm({{.*}}) #[[ATTRS:[0-9]+]] !reqd_work_group_size ![[WG:[0-9]+]] {
// LLVM: attributes #[[ATTRS]] = { {{.*}}"amdgpu-flat-work-group-size"="[[LANES]],[[LANES]]"
// LLVM: ![[WG]] = !{i32 [[LANES]], i32 1, i32 1}

// KERNELS: gpu.launch_func @moec_kernels::@g_gemm blocks in ({{.*}}) threads in (%c[[LANES]], %c1, %c1)
// KERNELS: llvm.func @g_gemm({{.*}}) attributes {{{.*}}gpu.known_block_size = array<i32: [[LANES]], 1, 1>
// KERNELS-SAME: rocdl.flat_work_group_size = "[[LANES]],[[LANES]]"
// KERNELS-SAME: rocdl.reqd_work_group_size = array<i32: [[LANES]], 1, 1>

// Columns: kernel workgroup vgpr agpr sgpr lds scratch spill(v/s) wave ...
// INSPECT: g_gemm [[LANES]]x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
