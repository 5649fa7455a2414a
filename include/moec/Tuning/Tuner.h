//===- Tuner.h - the tuning loop, independent of how kernels are made -*- C++ -*-===//
//
// The tuner knows nothing of MLIR or devices: three hooks compile, time and
// verify a candidate. For each shape it
//   1. compiles every candidate not yet in the journal on all host cores (a
//      compile error is the verifier's or the backend's rejection); the
//      compile hook may also load the code onto the device there, so that a
//      driver's own JIT (PTX -> SASS) runs in parallel too;
//   2. drops, untimed, candidates whose code object spills or uses scratch,
//      or holds fewer waves per SIMD than its waves_per_eu asks for (the
//      seeds excepted: they are the reference, timed as they are);
//   3. first pass, pipelined with 1.: each candidate, in the order given, is
//      timed as soon as it (and those before it) compiled, with a short
//      measurement (`quickWarmup` + `quickRepeat` launches); one slower than
//      `cutFactor` x the best first-pass time so far is cut and never timed
//      again. Give the best-known configs first (the `seeds`): the cut is
//      then tight from the start;
//   4. successive halving: the survivors (those still within `cutFactor` of
//      the best after the pass) are re-timed with twice the launches of the
//      round before, keeping the fastest `keepFraction` each round, until
//      `retimeTop` are left; the best seed is kept in every round;
//   5. final round: the finalists timed with `warmup` + `repeat` launches in
//      `finalPasses` interleaved passes (median of the passes' medians); the
//      winner is the fastest of this round that passes the float64 check
//      (fastest first; a wrong result is never chosen);
//   6. stops starting candidates at the time budget (then 4.-5. on what was
//      timed).
// Every first-pass outcome is appended to a journal (one JSON line per
// candidate, one per finished shape) before the next candidate starts, so
// `--resume` after a kill at any point redoes at most the candidate in
// flight (and the short re-timing rounds).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_TUNER_H
#define MOEC_TUNING_TUNER_H

#include "moec/Tuning/FileUtil.h"
#include "moec/Tuning/SearchSpace.h"
#include "moec/Tuning/ShapeLog.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moec::tuning {

/// What the code object of a candidate uses, when the target has one.
struct Resources {
  bool known = false;
  int64_t vgprSpills = 0, sgprSpills = 0, scratchBytes = 0;
  int64_t ldsBytes = 0, vgprs = 0, wavesPerSimd = 0;
};

struct CompiledCandidate {
  /// Whatever the hooks need to launch it (a loaded kernel, an image...).
  std::shared_ptr<void> payload;
  Resources resources;
  double compileMs = 0;
  /// Of compileMs: loading it onto the device (a driver's JIT), when the
  /// compile hook does that.
  double loadMs = 0;
  /// Read from the kernel cache (an earlier run compiled it), not compiled.
  bool cacheHit = false;
};

struct TunerHooks {
  /// Called on worker threads, concurrently: must be thread-safe. An error
  /// means the candidate is rejected (verifier, code generation).
  std::function<llvm::Expected<CompiledCandidate>(const ShapeRecord &,
                                                  const Candidate &)>
      compile;
  /// Called on the tuner's thread: the median time in microseconds of
  /// `repeat` launches after `warmup` launches.
  std::function<llvm::Expected<double>(const ShapeRecord &, const Candidate &,
                                       CompiledCandidate &, int warmup,
                                       int repeat)>
      time;
  /// Called on the tuner's thread: an error means a wrong result.
  std::function<llvm::Error(const ShapeRecord &, const Candidate &,
                            CompiledCandidate &)>
      verify;
};

struct TunerOptions {
  unsigned threads = 0; ///< compile threads; 0 = every host core
  int warmup = 5, repeat = 20; ///< the final round
  int finalPasses = 3;     ///< the final round's interleaved passes
  int quickWarmup = 1;     ///< the first pass
  int quickRepeat = 5;
  double cutFactor = 1.5;  ///< cut a candidate slower than this x the best
  double keepFraction = 0.5; ///< kept per re-timing round
  int retimeTop = 3;       ///< finalists (plus the best seed)
  double budgetSeconds = 0; ///< for all shapes together; 0 = none
  std::string journalPath; ///< "" = no journal
  bool resume = false;     ///< reuse what the journal holds
  llvm::raw_ostream *progress = nullptr; ///< a progress line here
  /// Testing: SIGKILL this process after this many journal records.
  int killAfterRecords = -1;
};

/// Where a shape's wall time went (seconds, except the CPU sums).
struct TunerPhases {
  double compileWall = 0;  ///< first compile started .. last one finished
  double compileCpu = 0;   ///< sum over candidates (threads overlap)
  double loadCpu = 0;      ///< of compileCpu: loading onto the device
  double wait = 0;         ///< the tuner's thread waiting for compiles
  double firstPass = 0;    ///< timing in the first pass
  double halving = 0;      ///< re-timing rounds
  double finalRound = 0;   ///< the finalists' full measurement
  double verify = 0;       ///< float64 checks
  double total = 0;
  int compiledInWall = 0;  ///< candidates finished within compileWall
};

struct ShapeResult {
  ShapeRecord shape;
  std::optional<Candidate> best;
  double bestUs = 0;
  int total = 0;          ///< candidates given
  int compiled = 0;       ///< compiled in this run (rejected ones included)
  int cacheHits = 0;      ///< read from the kernel cache instead
  int fromJournal = 0;    ///< outcomes taken from the journal
  /// spilled: dropped for their resources (spills, scratch, occupancy).
  /// cut: slower than cutFactor x the best in the first pass (at the time,
  /// or once the pass was over), never re-timed.
  int rejected = 0, spilled = 0, cut = 0, timed = 0, wrong = 0;
  int rounds = 0;         ///< re-timing rounds, the final one included
  int retimed = 0;        ///< measurements after the first pass
  int finalists = 0;
  bool complete = false;  ///< every candidate was seen (no budget stop)
  /// The best of the seeds (the fixed config list), kept to the final
  /// round: its final-round time, same harness as bestUs (0 = no seed
  /// reached it).
  std::optional<Candidate> bestSeed;
  double bestSeedUs = 0;
  TunerPhases phases;
};

class Tuner {
public:
  Tuner(TunerHooks hooks, TunerOptions options);
  ~Tuner();
  /// Reads the journal when resuming, opens it for appending.
  llvm::Error open();
  /// The first `seeds` candidates are the reference configs (e.g. the fixed
  /// list): timed first, and the best of them is timed in the final round.
  llvm::Expected<ShapeResult> tuneShape(const ShapeRecord &shape,
                                        const std::vector<Candidate> &cands,
                                        size_t seeds = 0);
  /// Seconds since open().
  double elapsed() const;
  bool budgetExceeded() const;

private:
  struct Outcome {
    std::string status; ///< ok, cut, rejected, spill, wrong, error
    double us = 0;
    /// Journal only: what compiling (and loading) the candidate took.
    double compileMs = -1, loadMs = -1;
  };
  llvm::Error record(const std::string &shapeKey, const Candidate &c,
                     const Outcome &o, const std::string &msg);
  llvm::Error recordDone(const std::string &shapeKey, const ShapeResult &r);

  TunerHooks hooks_;
  TunerOptions opts_;
  AppendFile journal_;
  int records_ = 0;
  bool tornTail_ = false;
  double start_ = 0;
  /// From the journal: shape -> candidate key -> outcome; finished shapes.
  std::map<std::string, std::map<std::string, Outcome>> past_;
  struct Done {
    std::string best, bestSeed;
    double us = 0, seedUs = 0;
  };
  std::map<std::string, Done> done_;
};

/// The i-th of n slices of `shapes` (0-based): those at positions p with
/// p % n == i. Deterministic for a given list.
std::vector<ShapeRecord> shardSlice(const std::vector<ShapeRecord> &shapes,
                                    int i, int n);

} // namespace moec::tuning

#endif // MOEC_TUNING_TUNER_H
