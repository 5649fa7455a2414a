//===- Tuner.h - the tuning loop, independent of how kernels are made -*- C++ -*-===//
//
// The tuner knows nothing of MLIR or devices: three hooks compile, time and
// verify a candidate. For each shape it
//   1. compiles every candidate not yet in the journal, in parallel on all
//      host cores (a compile error is the verifier's or the backend's
//      rejection);
//   2. drops, untimed, candidates whose code object spills or uses scratch,
//      or holds fewer waves per SIMD than its waves_per_eu asks for;
//   3. times the rest on the calling thread as they become ready: a short
//      measurement first, and only a candidate within `cutFactor` of the best
//      so far gets the full warm-up + median of `repeat`;
//   4. re-times the `retimeTop` fastest and verifies them, fastest first,
//      against the float64 reference: the first that passes is the winner
//      (a wrong result is never chosen);
//   5. stops early at the time budget.
// Every outcome is appended to a journal (one JSON line per candidate, one
// per finished shape) before the next candidate starts, so `--resume` after a
// kill at any point redoes at most the candidate in flight.
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
  int warmup = 5, repeat = 20;
  int quickRepeat = 3;     ///< launches of the first, cheap measurement
  double cutFactor = 1.3;  ///< cut a candidate slower than this x the best
  int retimeTop = 3;       ///< re-timed and verified at the end
  double budgetSeconds = 0; ///< for all shapes together; 0 = none
  std::string journalPath; ///< "" = no journal
  bool resume = false;     ///< reuse what the journal holds
  llvm::raw_ostream *progress = nullptr; ///< a progress line here
  /// Testing: SIGKILL this process after this many journal records.
  int killAfterRecords = -1;
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
  int rejected = 0, spilled = 0, cut = 0, timed = 0, wrong = 0;
  bool complete = false;  ///< every candidate was seen (no budget stop)
};

class Tuner {
public:
  Tuner(TunerHooks hooks, TunerOptions options);
  ~Tuner();
  /// Reads the journal when resuming, opens it for appending.
  llvm::Error open();
  llvm::Expected<ShapeResult> tuneShape(const ShapeRecord &shape,
                                        const std::vector<Candidate> &cands);
  /// Seconds since open().
  double elapsed() const;
  bool budgetExceeded() const;

private:
  struct Outcome {
    std::string status; ///< ok, cut, rejected, spill, wrong, error
    double us = 0;
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
  std::map<std::string, std::pair<std::string, double>> done_;
};

/// The i-th of n slices of `shapes` (0-based): those at positions p with
/// p % n == i. Deterministic for a given list.
std::vector<ShapeRecord> shardSlice(const std::vector<ShapeRecord> &shapes,
                                    int i, int n);

} // namespace moec::tuning

#endif // MOEC_TUNING_TUNER_H
