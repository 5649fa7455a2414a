

func.func @global_space_ok(%a: memref<?x?xf16, #gpu.address_space<global>>, %b: memref<?x?xf16, 1>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16, #gpu.address_space<global>>, memref<?x?xf16, 1> -> memref<?x?xf16>
  return
}

