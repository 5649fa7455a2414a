

module attributes {moec.target = #moec.target<"gfx942">} {
  gpu.module @user_kernels {
    gpu.func @in_device_code(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) kernel {
      // expected-error @below {{'moec.gemm' op inside GPU device code (a gpu.module, gpu.func or gpu.launch) is not supported: moec ops launch their own kernels, so call them from a host function (func.func)}}
      moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
      gpu.return
    }
  }
}

