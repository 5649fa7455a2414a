

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @kpack2_on_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

