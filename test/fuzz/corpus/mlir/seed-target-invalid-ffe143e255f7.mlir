

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @ocp_on_gfx942(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FN' is not supported on gfx942, which takes the fnuz fp8 types (f8E4M3FNUZ, f8E5M2FNUZ)}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

