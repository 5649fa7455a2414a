

module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @fp8_on_sm_80(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FN' is not supported on sm_80: it has no fp8 matrix instructions}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

