

func.func @nonkdim(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // 4x4 MFMA (Triton's matrix_instr_nonkdim = 4) is not supported.
  // expected-error @below {{matrix_instr_nonkdim = 4 must be 16 or 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<matrix_instr_nonkdim = 4>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

