

// gfx90a has no fp8 matrix instructions at all; this is what stops fp8 there
// before the (then empty) MFMA lookup. The lookup's own "no matrix
// instruction" message cannot be reached from IR with today's table; the
// unit test TargetChecksTest.NoMatrixInstruction covers it.
module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @fp8_on_gfx90a(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx90a: it has no fp8 matrix instructions}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, matrix_instr_nonkdim = 32>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

