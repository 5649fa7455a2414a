//===- HostLanes.cpp - the lanes of a host workgroup as fibers ------------===//
//
// A host kernel compiled for more than one lane (HostKernel.h) is the GPU's
// lane program: every lane runs the same function, reads its lane id from
// moec_host_thread_id(), shares the workgroup's LDS (moec_host_lds) and
// meets the others at moec_host_barrier. The runtime runs each lane as a
// fiber with its own stack, round-robin on the worker thread that owns the
// workgroup: a lane runs until it reaches a barrier (or returns), then the
// next lane runs. When every lane has arrived, all continue. A lane that
// returns while others wait at a barrier, or lanes waiting at different
// barriers, is a divergent barrier: the workgroup stops and the launch fails
// with the workgroup, the lanes and the barrier sites; it never hangs.
//
// Fibers are cooperative and never migrate between threads, so atomics and
// LDS need no locking, and a workgroup's lanes interleave only at barriers
// (what a GPU guarantees at most).
//
// The switch is a few instructions of x86-64 assembly (callee-saved
// registers and the stack pointer); other hosts use ucontext, whose
// swapcontext also saves the signal mask (a system call per switch).
//
//===----------------------------------------------------------------------===//
#include "HostLanes.h"
#include "StrCat.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

// MOEC_HOST_FIBERS_UCONTEXT forces the portable path on x86-64 too (how
// it is tested here).
#if defined(__x86_64__) && !defined(MOEC_HOST_FIBERS_UCONTEXT)
#define MOEC_FIBER_ASM 1
#else
#include <ucontext.h>
#endif

// Sanitizers must be told about stack switches (scripts/sanitize.sh builds
// the runtime's tests with ASan and TSan).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOEC_ASAN_FIBERS 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if __has_feature(thread_sanitizer)
#define MOEC_TSAN_FIBERS 1
#include <sanitizer/tsan_interface.h>
#endif
#endif

namespace moec::rt::detail {
namespace {

/// Bytes of each lane's stack (plus one guard page below it): a lane's
/// frame holds its accumulators and spills (a few KiB for the GEMM
/// skeleton's largest tiles).
constexpr size_t kLaneStackBytes = 128 * 1024;

#if defined(MOEC_FIBER_ASM)
// void moec_fiber_switch(void **saveSp, void *loadSp): pushes the
// callee-saved registers, stores the stack pointer to *saveSp, loads loadSp
// and pops the other fiber's registers; `ret` resumes it.
asm(R"(
  .text
  .p2align 4
  .type moec_fiber_switch,@function
moec_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  retq
  .size moec_fiber_switch, .-moec_fiber_switch
)");
extern "C" void moec_fiber_switch(void **saveSp, void *loadSp);
#endif

struct Fiber {
  char *stack = nullptr; ///< the usable part, above the guard page
#if defined(MOEC_FIBER_ASM)
  void *sp = nullptr;
#else
  ucontext_t ctx;
#endif
#if defined(MOEC_TSAN_FIBERS)
  void *tsan = nullptr;
#endif
#if defined(MOEC_ASAN_FIBERS)
  void *fakeStack = nullptr;
#endif
};

enum class LaneState { Ready, AtBarrier, Done };

/// Per worker thread: lane stacks, reused across workgroups and launches,
/// and the LDS arena.
struct ThreadLanes {
  std::vector<Fiber> fibers;
  std::vector<LaneState> state;
  std::vector<int64_t> site;
  /// Shuffle exchange: two buffers of a value per lane, alternating (a lane
  /// reads the one it wrote its own value to, while lanes already past the
  /// rendezvous write the other), and each lane's shuffle count.
  std::vector<int32_t> exchange[2];
  std::vector<uint64_t> shuffles;
  char *lds = nullptr;
  size_t ldsCapacity = 0;
#if defined(MOEC_FIBER_ASM)
  void *schedulerSp = nullptr;
#else
  ucontext_t scheduler;
#endif
#if defined(MOEC_TSAN_FIBERS)
  void *tsanScheduler = nullptr;
#endif
#if defined(MOEC_ASAN_FIBERS)
  void *schedulerFakeStack = nullptr;
  const void *schedulerBottom = nullptr;
  size_t schedulerSize = 0;
#endif
  ~ThreadLanes() {
    for (Fiber &f : fibers) {
#if defined(MOEC_TSAN_FIBERS)
      if (f.tsan)
        __tsan_destroy_fiber(f.tsan);
#endif
      munmap(f.stack - pageSize(), kLaneStackBytes + pageSize());
    }
    std::free(lds);
  }
  static size_t pageSize() {
    static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return p;
  }
  /// Grows the stack pool to `lanes`; false (and `error`) when memory runs
  /// out.
  bool reserve(int64_t lanes, std::string &error) {
    while (static_cast<int64_t>(fibers.size()) < lanes) {
      size_t bytes = kLaneStackBytes + pageSize();
      void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                     -1, 0);
      if (p == MAP_FAILED) {
        error = strCat("cannot map the stack of lane ", fibers.size(), " (",
                       bytes, " bytes): ", std::strerror(errno));
        return false;
      }
      mprotect(p, pageSize(), PROT_NONE); // overflow faults, never corrupts
      Fiber f;
      f.stack = static_cast<char *>(p) + pageSize();
      fibers.push_back(f);
    }
    state.resize(fibers.size());
    site.resize(fibers.size());
    exchange[0].resize(fibers.size());
    exchange[1].resize(fibers.size());
    shuffles.resize(fibers.size());
    return true;
  }
};

thread_local ThreadLanes tLanes;
/// The workgroup this thread is running, and the lane.
thread_local HostWorkgroup *tWorkgroup = nullptr;
thread_local int64_t tLane = 0;

void fiberMain();

void startFiber(Fiber &f) {
#if defined(MOEC_ASAN_FIBERS)
  // Frames of a lane abandoned at a divergent barrier never unpoisoned
  // their redzones.
  __asan_unpoison_memory_region(f.stack, kLaneStackBytes);
#endif
#if defined(MOEC_FIBER_ASM)
  // The frame moec_fiber_switch pops: six registers, then fiberMain as the
  // return address; above it a zero "return address" of fiberMain, so that
  // fiberMain starts with the stack aligned as after a call.
  auto top = reinterpret_cast<uintptr_t>(f.stack + kLaneStackBytes) & ~uintptr_t(15);
  auto *sp = reinterpret_cast<void **>(top);
  *--sp = nullptr;
  *--sp = reinterpret_cast<void *>(&fiberMain);
  for (int i = 0; i < 6; ++i)
    *--sp = nullptr;
  f.sp = sp;
#else
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = f.stack;
  f.ctx.uc_stack.ss_size = kLaneStackBytes;
  f.ctx.uc_link = nullptr;
  makecontext(&f.ctx, &fiberMain, 0);
#endif
}

/// Scheduler -> lane `lane`; returns when it yields.
void resume(int64_t lane) {
  tLane = lane;
  ThreadLanes &t = tLanes;
  Fiber &f = t.fibers[lane];
#if defined(MOEC_TSAN_FIBERS)
  if (!f.tsan)
    f.tsan = __tsan_create_fiber(0);
  t.tsanScheduler = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(f.tsan, 0);
#endif
#if defined(MOEC_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(&t.schedulerFakeStack, f.stack,
                                 kLaneStackBytes);
#endif
#if defined(MOEC_FIBER_ASM)
  moec_fiber_switch(&t.schedulerSp, f.sp);
#else
  swapcontext(&t.scheduler, &f.ctx);
#endif
#if defined(MOEC_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(t.schedulerFakeStack, nullptr, nullptr);
#endif
}

/// Lane -> scheduler; `last` when the lane never runs again.
void yieldLane(bool last = false) {
  ThreadLanes &t = tLanes;
  Fiber &f = t.fibers[tLane];
  (void)last;
#if defined(MOEC_TSAN_FIBERS)
  __tsan_switch_to_fiber(t.tsanScheduler, 0);
#endif
#if defined(MOEC_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(last ? nullptr : &f.fakeStack,
                                 t.schedulerBottom, t.schedulerSize);
#endif
#if defined(MOEC_FIBER_ASM)
  moec_fiber_switch(&f.sp, t.schedulerSp);
#else
  swapcontext(&f.ctx, &t.scheduler);
#endif
#if defined(MOEC_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(f.fakeStack, &t.schedulerBottom,
                                  &t.schedulerSize);
#endif
}

void fiberMain() {
#if defined(MOEC_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(nullptr, &tLanes.schedulerBottom,
                                  &tLanes.schedulerSize);
#endif
  HostWorkgroup &wg = *tWorkgroup;
  // An exception cannot unwind past the fiber's first frame: stop the
  // workgroup here instead.
  try {
    wg.fn(wg.params);
  } catch (...) {
    wg.error = strCat("threw a C++ exception in ", wg.where(), " (lane ",
                      tLane, ")");
  }
  tLanes.state[tLane] = LaneState::Done;
  yieldLane(/*last=*/true); // never resumed
  std::abort();
}

/// "lanes 0-3, 7" for the lanes of `state` in `s`.
std::string laneList(const std::vector<LaneState> &state, int64_t lanes,
                     LaneState s, const std::vector<int64_t> *site = nullptr,
                     int64_t atSite = 0) {
  std::string out;
  int64_t count = 0;
  for (int64_t l = 0; l < lanes; ++l) {
    if (state[l] != s || (site && (*site)[l] != atSite))
      continue;
    int64_t end = l;
    while (end + 1 < lanes && state[end + 1] == s &&
           (!site || (*site)[end + 1] == atSite))
      ++end;
    if (++count > 8) {
      out += ", ...";
      break;
    }
    out += strCat(out.empty() ? "" : ", ", l);
    if (end > l)
      out += strCat("-", end);
    l = end;
  }
  return out;
}

} // namespace

std::string HostWorkgroup::where() const {
  return strCat("workgroup (", blockId[0], ", ", blockId[1], ", ", blockId[2],
                ")");
}

void runHostWorkgroup(HostWorkgroup &wg) {
  tWorkgroup = &wg;
  tLane = 0;
  wg.ldsBytes = -1;
  if (wg.lanes == 1) {
    // One lane: no fiber, barriers return at once.
    wg.fn(wg.params);
    tWorkgroup = nullptr;
    return;
  }
  ThreadLanes &t = tLanes;
  if (!t.reserve(wg.lanes, wg.error)) {
    tWorkgroup = nullptr;
    return;
  }
  for (int64_t l = 0; l < wg.lanes; ++l) {
    startFiber(t.fibers[l]);
    t.state[l] = LaneState::Ready;
    t.shuffles[l] = 0;
  }
  for (;;) {
    int64_t done = 0, waiting = 0;
    for (int64_t l = 0; l < wg.lanes && wg.error.empty(); ++l) {
      if (t.state[l] == LaneState::Done)
        continue;
      t.state[l] = LaneState::Ready;
      resume(l);
    }
    if (!wg.error.empty())
      break; // a lane stopped the workgroup (moec_host_lds)
    int64_t firstSite = -1;
    bool sameSite = true;
    for (int64_t l = 0; l < wg.lanes; ++l) {
      if (t.state[l] == LaneState::Done) {
        ++done;
        continue;
      }
      ++waiting;
      if (firstSite < 0)
        firstSite = t.site[l];
      else if (t.site[l] != firstSite)
        sameSite = false;
    }
    if (!waiting)
      break;
    if (done) {
      wg.error = strCat(
          "divergent barrier in ", wg.where(), ": lanes ",
          laneList(t.state, wg.lanes, LaneState::AtBarrier), " wait at barrier ",
          firstSite, " while lanes ", laneList(t.state, wg.lanes, LaneState::Done),
          " returned");
      break;
    }
    if (!sameSite) {
      int64_t other = firstSite;
      for (int64_t l = 0; l < wg.lanes; ++l)
        if (t.site[l] != firstSite)
          other = t.site[l];
      wg.error = strCat(
          "divergent barrier in ", wg.where(), ": lanes ",
          laneList(t.state, wg.lanes, LaneState::AtBarrier, &t.site, firstSite),
          " wait at barrier ", firstSite, ", lanes ",
          laneList(t.state, wg.lanes, LaneState::AtBarrier, &t.site, other),
          " at barrier ", other);
      break;
    }
  }
  tWorkgroup = nullptr;
}

} // namespace moec::rt::detail

using namespace moec::rt::detail;

extern "C" int64_t moec_host_thread_id(void) { return tLane; }

extern "C" void moec_host_barrier(int64_t site) {
  HostWorkgroup *wg = tWorkgroup;
  if (!wg || wg->lanes == 1)
    return;
  tLanes.state[tLane] = LaneState::AtBarrier;
  tLanes.site[tLane] = site;
  yieldLane();
}

extern "C" int32_t moec_host_shuffle_xor(int32_t value, int32_t mask,
                                         int32_t width, int64_t site) {
  HostWorkgroup *wg = tWorkgroup;
  if (!wg || wg->lanes == 1)
    return value; // one lane: nobody to exchange with (kernels never ask)
  ThreadLanes &t = tLanes;
  int64_t lane = tLane;
  std::vector<int32_t> &buf = t.exchange[t.shuffles[lane]++ % 2];
  buf[lane] = value;
  // Every lane of the workgroup meets here (stricter than a GPU, where only
  // the wave must): the scheduler releases them like a barrier.
  t.state[lane] = LaneState::AtBarrier;
  t.site[lane] = site;
  yieldLane();
  int64_t src = lane ^ mask;
  if (width <= 0 || mask < 0 || src / width != lane / width ||
      src >= wg->lanes) {
    wg->error = strCat("lane ", lane, " of ", wg->where(), ": gpu.shuffle xor ",
                       mask, " (number ", site, ") reads lane ", src,
                       ", outside its ", width, "-lane segment");
    yieldLane(); // never resumed
    return value;
  }
  return buf[src];
}

extern "C" void *moec_host_lds(int64_t bytes) {
  ThreadLanes &t = tLanes;
  HostWorkgroup *wg = tWorkgroup;
  size_t need = bytes > 0 ? static_cast<size_t>(bytes) : 1;
  if (wg && wg->ldsBytes >= 0) {
    if (bytes == wg->ldsBytes)
      return t.lds;
    // Lanes disagree about the workgroup's LDS: stop the workgroup.
    wg->error = strCat("lane ", tLane, " of ", wg->where(), " asks for ",
                       bytes, " bytes of LDS, lane 0 for ", wg->ldsBytes);
    if (wg->lanes > 1)
      yieldLane(); // never resumed
    return t.lds;
  }
  if (need > t.ldsCapacity) {
    std::free(t.lds);
    t.lds = static_cast<char *>(std::aligned_alloc(64, (need + 63) / 64 * 64));
    t.ldsCapacity = t.lds ? need : 0;
    if (!t.lds) {
      // Nothing sensible to hand out: the kernel would write through null.
      std::fprintf(stderr, "moec host runtime: out of memory for %lld bytes "
                           "of LDS\n", static_cast<long long>(bytes));
      std::abort();
    }
  }
  // LDS starts as NaN bytes each workgroup, as garbage does on a GPU: a
  // lane reading what no lane wrote (a wrong ring slot, a missing store)
  // sees NaN in every float type rather than a stale tile.
  std::memset(t.lds, 0xff, need);
  if (wg)
    wg->ldsBytes = bytes;
  return t.lds;
}

const moec::rt::HostRuntimeSymbol *
moec::rt::hostRuntimeSymbols(size_t *count) {
  static const HostRuntimeSymbol symbols[] = {
      {"moec_host_thread_id", reinterpret_cast<void *>(&moec_host_thread_id)},
      {"moec_host_barrier", reinterpret_cast<void *>(&moec_host_barrier)},
      {"moec_host_lds", reinterpret_cast<void *>(&moec_host_lds)},
      {"moec_host_shuffle_xor",
       reinterpret_cast<void *>(&moec_host_shuffle_xor)},
  };
  *count = sizeof(symbols) / sizeof(symbols[0]);
  return symbols;
}
