

// An inner module without a target inherits the outer one.
module attributes {moec.target = #moec.target<"gfx950">} {
  module {
    func.func @outer_target_applies(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
      // expected-error @below {{'moec.gemm' op kpack = 2 is not supported on gfx950}}
      moec.gemm %a, %b -> %c {config = #moec.config<kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
      return
    }
  }
}
