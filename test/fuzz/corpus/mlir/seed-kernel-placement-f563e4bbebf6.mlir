

// The kernel module's name is moec's.
module attributes {moec.target = #moec.target<"gfx942">} {
  // expected-error @below {{the symbol name 'moec_kernels' is reserved for the module of kernels moec generates; rename this symbol}}
  func.func @moec_kernels() {
    return
  }
  func.func @f(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
    return
  }
}
