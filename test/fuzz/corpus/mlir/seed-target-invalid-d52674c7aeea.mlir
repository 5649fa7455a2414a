

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fnuz_on_gfx950(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx950, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

