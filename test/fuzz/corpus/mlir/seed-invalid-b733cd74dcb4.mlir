

func.func @gpu_workgroup_space(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16, #gpu.address_space<workgroup>>) {
  // expected-error @below {{C ('memref<?x?xf16, #gpu.address_space<workgroup>>') is in memory space #gpu.address_space<workgroup>}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16, #gpu.address_space<workgroup>>
  return
}

