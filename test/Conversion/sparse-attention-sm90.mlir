// moec.sparse_attention on sm_90: the two KV pipelines and the products.
//
// Registers (default): each lane holds its share of the next KV block in
// registers between the load and the LDS store (the AMD path too).
// --async-copy: cp.async copies the gathered rows straight into a ring of
// num_stages LDS buffers (no register staging: on the H100 the register
// version used 255 registers and spilled, the async one does not; see
// benchmarks/NOTES.md), a masked row (-1, past topk or the split's end) is
// zero-filled by cp.async's src-size operand rather than read, and each KV
// block waits for its own group.
//
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=REGS --implicit-check-not=cp.async
// RUN: moec compile %s --arch sm_90 --async-copy --emit ptx | FileCheck %s --check-prefix=ASYNC
// RUN: moec compile %s --arch sm_90 --async-copy --num-stages 3 --emit ptx | FileCheck %s --check-prefix=ASYNC3
//
// P x V reads V in place from the KV ring: ldmatrix.trans, no transposed
// copy of V through LDS.
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=PV
//
// The softmax's lanes of a row combine with shuffles.
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=SHFL

func.func @mla(%q: memref<?x16x576xbf16>, %kv: memref<?x64x576xbf16>,
               %idx: memref<?x2048xi32>, %out: memref<?x16x512xbf16>,
               %lse: memref<?x16xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>) {
    scale = 0.0721687836 : f32, config = #moec.config<>
  } : memref<?x16x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32>
      -> memref<?x16x512xbf16>
  return
}

// REGS: .entry mla_sparse_attention
// REGS: ld.global{{.*}}.v4
// REGS: st.shared.v4

// ASYNC: .entry mla_sparse_attention
// ASYNC: cp.async.cg.shared.global [%{{.*}}], [%{{.*}}], 16, %r{{[0-9]+}};
// ASYNC: cp.async.commit_group;
// ASYNC: cp.async.wait_group 0;
// ASYNC: bar.sync 0;
// ASYNC: cp.async.cg.shared.global [%{{.*}}], [%{{.*}}], 16, %r{{[0-9]+}};
// ASYNC: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32

// ASYNC3: cp.async.wait_group 1;

// PV: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16

// SHFL: shfl.sync.bfly.b32
