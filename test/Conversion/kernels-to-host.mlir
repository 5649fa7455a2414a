// moec-kernels-to-host: a gpu.func becomes the CPU function of one lane
// (include/moec/Runtime/HostKernel.h). With more than one lane (the known
// block size), the lane id, the barriers and the workgroup memory become
// calls into the runtime, which runs the lanes as fibers; a one-lane kernel
// (no moec kernel is one now: sparse attention, the last, runs its GPU lane
// program too) keeps the old form: thread id 0, no barriers, workgroup
// memory on its stack.
//
// RUN: moec-opt %s --moec-kernels-to-host -split-input-file | FileCheck %s

module attributes {gpu.container_module} {
  gpu.module @moec_kernels {
    gpu.func @lanes(%out: memref<?xf32, #gpu.address_space<global>>)
        workgroup(%lds : memref<256xf32, #gpu.address_space<workgroup>>,
                  %flags : memref<3xi8, #gpu.address_space<workgroup>>)
        kernel attributes {known_block_size = array<i32: 256, 1, 1>} {
      %tid = gpu.thread_id x
      %tidy = gpu.thread_id y
      %n = gpu.block_dim x
      %bid = gpu.block_id x
      %v = arith.index_cast %tid : index to i32
      %f = arith.sitofp %v : i32 to f32
      memref.store %f, %lds[%tid] : memref<256xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %c1 = arith.constant 1 : index
      %next = arith.addi %tid, %c1 : index
      %wrap = arith.remui %next, %n : index
      %x = memref.load %lds[%wrap] : memref<256xf32, #gpu.address_space<workgroup>>
      %c0 = arith.constant 0 : index
      %first = arith.cmpi eq, %tid, %c0 : index
      scf.if %first {
        gpu.barrier
        %inner = gpu.thread_id x
        %o = arith.addi %bid, %inner : index
        memref.store %x, %out[%o] : memref<?xf32, #gpu.address_space<global>>
      }
      %y = arith.addi %tidy, %c0 : index
      gpu.return
    }
  }
}

// CHECK: func.func private @moec_host_thread_id() -> i64
// CHECK: func.func private @moec_host_barrier(i64)
// CHECK: func.func private @moec_host_lds(i64) -> !llvm.ptr
// CHECK-LABEL: func.func @lanes(
// CHECK-SAME: %[[OUT:.*]]: memref<?xf32>, %[[BX:.*]]: index, %{{.*}}: index, %{{.*}}: index)
// CHECK: %[[ID:.*]] = call @moec_host_thread_id() : () -> i64
// CHECK: %[[TID:.*]] = arith.index_cast %[[ID]] : i64 to index
// The two attributions, 16-byte aligned in one buffer of 1024 + 3 bytes.
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(1027 : i64) : i64
// CHECK: %[[PTR:.*]] = call @moec_host_lds(%[[BYTES]]) : (i64) -> !llvm.ptr
// CHECK: %[[RAW:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<1027xi8>
// CHECK: %[[LDS:.*]] = memref.view %[[RAW]][%c0{{.*}}][] : memref<1027xi8> to memref<256xf32>
// CHECK: memref.view %[[RAW]][%c1024{{.*}}][] : memref<1027xi8> to memref<3xi8>
// thread_id y is 0, block_dim x the lane count.
// CHECK: %[[Y:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = arith.constant 256 : index
// CHECK: arith.index_cast %[[TID]] : index to i32
// CHECK: memref.store %{{.*}}, %[[LDS]][%[[TID]]] : memref<256xf32>
// CHECK: %[[SITE0:.*]] = arith.constant 0 : i64
// CHECK: call @moec_host_barrier(%[[SITE0]]) : (i64) -> ()
// CHECK: arith.remui %{{.*}}, %[[N]] : index
// CHECK: scf.if
// Nested barriers and ids too, each barrier with its own number.
// CHECK: %[[SITE1:.*]] = arith.constant 1 : i64
// CHECK: call @moec_host_barrier(%[[SITE1]]) : (i64) -> ()
// CHECK: arith.addi %[[BX]], %[[TID]] : index
// CHECK: arith.addi %[[Y]], %{{.*}} : index
// CHECK-NOT: gpu.

// -----

module attributes {gpu.container_module} {
  gpu.module @moec_kernels {
    gpu.func @one_lane(%out: memref<?xf32, #gpu.address_space<global>>)
        workgroup(%lds : memref<64xf32, #gpu.address_space<workgroup>>)
        kernel attributes {known_block_size = array<i32: 1, 1, 1>} {
      %tid = gpu.thread_id x
      %f = arith.constant 1.0 : f32
      memref.store %f, %lds[%tid] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %x = memref.load %lds[%tid] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %x, %out[%tid] : memref<?xf32, #gpu.address_space<global>>
      gpu.return
    }
  }
}

// CHECK-LABEL: func.func @one_lane(
// CHECK: %[[STACK:.*]] = memref.alloca() : memref<64xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: memref.store %{{.*}}, %[[STACK]][%[[ZERO]]]
// CHECK-NOT: moec_host
// CHECK-NOT: gpu.barrier
// CHECK: return
// No runtime calls, so no declarations.
// CHECK-NOT: moec_host
// CHECK: // -----

// -----

// A xor shuffle of an f32: the runtime exchanges the bits, numbered with
// the barriers; the source lane always exists.
module attributes {gpu.container_module} {
  gpu.module @moec_kernels {
    gpu.func @shuffle(%out: memref<?xf32, #gpu.address_space<global>>)
        kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      %tid = gpu.thread_id x
      %c1 = arith.constant 1 : i32
      %c64 = arith.constant 64 : i32
      %f = arith.constant 2.0 : f32
      gpu.barrier
      %r, %valid = gpu.shuffle xor %f, %c1, %c64 : f32
      %z = arith.constant 0.0 : f32
      %v = arith.select %valid, %r, %z : f32
      memref.store %v, %out[%tid] : memref<?xf32, #gpu.address_space<global>>
      gpu.return
    }
  }
}

// CHECK: func.func private @moec_host_shuffle_xor(i32, i32, i32, i64) -> i32
// CHECK-LABEL: func.func @shuffle(
// CHECK: call @moec_host_barrier(%{{.*}}) : (i64) -> ()
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[SITE:.*]] = arith.constant 1 : i64
// CHECK: %[[R:.*]] = call @moec_host_shuffle_xor(%[[BITS]], %{{.*}}, %{{.*}}, %[[SITE]]) : (i32, i32, i32, i64) -> i32
// CHECK: %[[F:.*]] = arith.bitcast %[[R]] : i32 to f32
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: arith.select %[[TRUE]], %[[F]], %{{.*}} : f32
