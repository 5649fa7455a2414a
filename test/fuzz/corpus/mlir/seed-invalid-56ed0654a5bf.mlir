

// Workgroup (LDS) memory is not a buffer a kernel launch can take.
func.func @workgroup_memory_space(%a: memref<64x64xf16, 3>, %b: memref<64x64xf16>, %c: memref<64x64xf16>) {
  // expected-error @below {{'moec.gemm' op A ('memref<64x64xf16, 3>') is in memory space 3 : i64; moec ops take buffers in global device memory}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x64xf16, 3>, memref<64x64xf16> -> memref<64x64xf16>
  return
}

