

// 2^62 columns of f16: 2^63 bytes per row. Used to be accepted, and the
// lowering's size arithmetic overflowed.
func.func @huge_static_shape(%a: memref<?x4611686018427387904xf16>, %b: memref<4611686018427387904x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{'moec.gemm' op A ('memref<?x4611686018427387904xf16>') is too large: its static sizes exceed the 2^48 bytes (256 TiB) a buffer may hold}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x4611686018427387904xf16>, memref<4611686018427387904x?xf16> -> memref<?x?xf16>
  return
}

