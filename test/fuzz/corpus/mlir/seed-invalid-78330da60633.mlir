

func.func @attn_out_i8(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xi8>) {
  // expected-error @below {{'moec.sparse_attention' op operand #3 must be 3D memref of 16-bit float or bfloat16 type or 32-bit float values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xi8>
  return
}

//===----------------------------------------------------------------------===//
// Every moec op: unknown attributes, memory spaces, sizes (verifyCommon)
//===----------------------------------------------------------------------===//

// A misspelled unit attribute used to be kept and ignored: the GEMM silently
// became non-transposed.
func.func @misspelled_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{'moec.gemm' op has an unknown attribute 'transpose_bb'; did you mean 'transpose_b'?}}
  moec.gemm %a, %b -> %c {transpose_bb, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

