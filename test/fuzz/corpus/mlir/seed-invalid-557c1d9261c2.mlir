

func.func @gemm_activation_wrong_kind(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{attribute 'activation' failed to satisfy constraint}}
  moec.gemm %a, %b -> %c {activation = "relu", config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_align
//===----------------------------------------------------------------------===//

