

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @ocp_on_sm_90(%a: memref<?x4096xf8E5M2>, %b: memref<4096x4096xf8E5M2>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<4096x4096xf8E5M2> -> memref<?x4096xbf16>
    return
  }
}

