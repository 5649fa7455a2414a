

func.func @gemm_scale_a_rank(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf8E4M3FNUZ>, %c: memref<?x16xf16>, %s: memref<?x1xf32>) {
  // expected-error @below {{'moec.gemm' op scale_a must be per tensor ([] or [1]) or per M ([M]), not rank 2}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<?x1xf32>) {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf8E4M3FNUZ> -> memref<?x16xf16>
  return
}

