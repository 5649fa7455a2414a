// LDS keeps both operands K-contiguous ([rows][BK + pad]). An operand whose
// global layout is K-contiguous too (A as M x K, B transposed as N x K) goes
// to LDS as it was loaded, 16 bytes at a time; one laid out along its rows
// (A transposed as K x M, B as K x N) is loaded 8 rows wide and transposed
// into LDS: two K elements a store where each lane holds an even number of
// vectors (it then loads K rows 2k and 2k + 1 of the same columns), else
// element by element. 128x64x32 bf16 over 256 lanes: A is 512 vectors of 8
// (2 per lane), B 256 (1 per lane), so per K tile a lane stores
//   A as M x K: 2 vectors        A as K x M: 8 pairs of K elements
//   B as N x K: 1 vector         B as K x N: 8 elements
//
// RUN: moec compile %s --arch gfx942 --emit kernels | FileCheck %s --check-prefix=KERNELS
// RUN: moec compile %s --arch gfx90a --emit kernels | FileCheck %s --check-prefix=KERNELS
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=NOSPILL

func.func @nn(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @nt(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @tn(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_a, config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @tt(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_a, transpose_b, config = #moec.config<block_m = 128, block_n = 64, block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// M, K and N come from the right dimensions: A is K x M when transposed,
// B is N x K.
// KERNELS-LABEL: func.func @tt(
// KERNELS:       memref.dim %arg0, %c1 : memref<?x?xbf16>
// KERNELS:       memref.dim %arg1, %c0 : memref<?x?xbf16>

// The stores into LDS, A's first, in the loop (num_stages = 2: none before).
// KERNELS-LABEL:    llvm.func @nn_gemm(
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS-COUNT-2:  llvm.store {{.*}} : vector<8xbf16>, !llvm.ptr<3>
// KERNELS-COUNT-8:  llvm.store {{.*}} : bf16, !llvm.ptr<3>
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS:          llvm.return

// KERNELS-LABEL:    llvm.func @nt_gemm(
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS-COUNT-3:  llvm.store {{.*}} : vector<8xbf16>, !llvm.ptr<3>
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS:          llvm.return

// KERNELS-LABEL:    llvm.func @tn_gemm(
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS-COUNT-8:  llvm.store {{.*}} : vector<2xbf16>, !llvm.ptr<3>
// KERNELS-COUNT-8:  llvm.store {{.*}} : bf16, !llvm.ptr<3>
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS:          llvm.return

// KERNELS-LABEL:    llvm.func @tt_gemm(
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS-COUNT-8:  llvm.store {{.*}} : vector<2xbf16>, !llvm.ptr<3>
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS:          llvm.store {{.*}} : vector<8xbf16>, !llvm.ptr<3>
// KERNELS-NOT:      {{bf16>?}}, !llvm.ptr<3>
// KERNELS:          llvm.return

// ASM-LABEL: {{^}}nn_gemm:
// ASM-DAG:   ds_write_b128
// ASM-DAG:   ds_write_b16
// ASM:       s_endpgm
// ASM-LABEL: {{^}}nt_gemm:
// ASM-NOT:   ds_write_b16
// ASM:       ds_write_b128
// ASM-NOT:   ds_write_b16
// ASM:       s_endpgm
// ASM-LABEL: {{^}}tn_gemm:
// ASM-NOT:   ds_write_b128
// ASM:       ds_write_b16
// ASM-NOT:   ds_write_b128
// ASM:       s_endpgm
// A's K pairs are 4-byte LDS stores (LLVM may pair those into ds_write2_b32).
// ASM-LABEL: {{^}}tt_gemm:
// ASM-NOT:   ds_write_b16
// ASM-DAG:   ds_write_b128
// ASM-DAG:   ds_write{{2?}}_b32
// ASM-NOT:   ds_write_b16
// ASM:       s_endpgm

// NOSPILL: nn_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
// NOSPILL: nt_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
// NOSPILL: tn_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
// NOSPILL: tt_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 12288 0 0/0 64
