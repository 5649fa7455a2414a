//===- Tuner.cpp - the tuning loop, independent of how kernels are made ---===//

#include "moec/Tuning/Tuner.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <csignal>
#include <future>
#include <mutex>
#include <set>

using namespace moec::tuning;
namespace json = llvm::json;
using llvm::StringRef;

namespace {
double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
llvm::Error errorf(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
std::string jsonText(const json::Value &v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << v;
  return s;
}
} // namespace

Tuner::Tuner(TunerHooks hooks, TunerOptions options)
    : hooks_(std::move(hooks)), opts_(std::move(options)) {}

Tuner::~Tuner() = default;

double Tuner::elapsed() const { return now() - start_; }

bool Tuner::budgetExceeded() const {
  return opts_.budgetSeconds > 0 && elapsed() > opts_.budgetSeconds;
}

llvm::Error Tuner::open() {
  start_ = now();
  if (opts_.journalPath.empty())
    return llvm::Error::success();
  if (opts_.resume && llvm::sys::fs::exists(opts_.journalPath)) {
    auto buf = llvm::MemoryBuffer::getFile(opts_.journalPath, true);
    if (!buf)
      return errorf(fmt::format("{}: cannot read: {}", opts_.journalPath,
                                buf.getError().message()));
    StringRef text = (*buf)->getBuffer();
    // A kill can leave a torn last line: end it, so that new records start
    // on a line of their own; lines that are not records are skipped.
    tornTail_ = !text.empty() && !text.ends_with("\n");
    int skipped = 0;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      StringRef line = text.take_front(nl);
      text = nl == StringRef::npos ? StringRef() : text.drop_front(nl + 1);
      if (line.trim().empty())
        continue;
      auto v = json::parse(line);
      if (!v)
        llvm::consumeError(v.takeError());
      const json::Object *o = v ? v->getAsObject() : nullptr;
      std::optional<StringRef> shape = o ? o->getString("shape") : std::nullopt;
      if (!shape) {
        ++skipped;
        continue;
      }
      if (o->getBoolean("done").value_or(false)) {
        done_[shape->str()] = {o->getString("best").value_or("").str(),
                               o->getString("best_seed").value_or("").str(),
                               o->getNumber("us").value_or(0),
                               o->getNumber("seed_us").value_or(0)};
        continue;
      }
      auto cand = o->getString("cand");
      auto status = o->getString("status");
      if (!cand || !status) {
        ++skipped;
        continue;
      }
      past_[shape->str()][cand->str()] = {status->str(),
                                          o->getNumber("us").value_or(0)};
    }
    if (skipped && opts_.progress)
      *opts_.progress << fmt::format("moec tune: {}: skipped {} torn or "
                                     "unreadable line(s)\n",
                                     opts_.journalPath, skipped);
  } else if (!opts_.resume) {
    // A fresh run starts a fresh journal.
    (void)llvm::sys::fs::remove(opts_.journalPath);
  }
  if (auto e = journal_.open(opts_.journalPath))
    return e;
  if (tornTail_)
    return journal_.append("\n");
  return llvm::Error::success();
}

llvm::Error Tuner::record(const std::string &shapeKey, const Candidate &c,
                          const Outcome &o, const std::string &msg) {
  past_[shapeKey][c.key()] = o;
  if (!journal_.isOpen())
    return llvm::Error::success();
  json::Object rec{{"shape", shapeKey}, {"cand", c.key()},
                   {"status", o.status}};
  if (o.status == "ok" || o.status == "cut" || o.status == "wrong")
    rec["us"] = o.us;
  if (o.compileMs >= 0)
    rec["compile_ms"] = int64_t(std::llround(o.compileMs));
  if (o.loadMs >= 0)
    rec["load_ms"] = int64_t(std::llround(o.loadMs));
  if (!msg.empty())
    rec["msg"] = msg;
  if (auto e = journal_.append(jsonText(json::Value(std::move(rec))) + "\n"))
    return e;
  if (opts_.killAfterRecords >= 0 && ++records_ >= opts_.killAfterRecords)
    std::raise(SIGKILL); // testing: a kill at an arbitrary point
  return llvm::Error::success();
}

llvm::Error Tuner::recordDone(const std::string &shapeKey,
                              const ShapeResult &r) {
  done_[shapeKey] = {r.best ? r.best->key() : "",
                     r.bestSeed ? r.bestSeed->key() : "", r.bestUs,
                     r.bestSeedUs};
  if (!journal_.isOpen())
    return llvm::Error::success();
  json::Object rec{{"shape", shapeKey},
                   {"done", true},
                   {"best", r.best ? r.best->key() : ""},
                   {"us", r.bestUs}};
  if (r.bestSeed) {
    rec["best_seed"] = r.bestSeed->key();
    rec["seed_us"] = r.bestSeedUs;
  }
  return journal_.append(jsonText(json::Value(std::move(rec))) + "\n");
}

namespace {
/// A candidate that passed the first pass, in the re-timing rounds.
struct Live {
  Candidate cand;
  std::string key;
  bool seed = false;
  double quickUs = 0; ///< the first pass
  double lastUs = 0;  ///< the latest round
  /// Null for an outcome from the journal: compiled again (a kernel cache
  /// hit) when it is re-timed.
  std::shared_ptr<CompiledCandidate> cc;
};

double medianOf(std::vector<double> v) {
  llvm::sort(v);
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool byLast(const Live &a, const Live &b) {
  return a.lastUs < b.lastUs || (a.lastUs == b.lastUs && a.key < b.key);
}
} // namespace

llvm::Expected<ShapeResult>
Tuner::tuneShape(const ShapeRecord &shape, const std::vector<Candidate> &cands,
                 size_t seeds) {
  const std::string shapeKey = shape.toJson();
  const double shapeStart = now();
  ShapeResult result;
  result.shape = shape;
  result.total = static_cast<int>(cands.size());

  // Finished in an earlier run: nothing to do.
  if (auto it = done_.find(shapeKey); it != done_.end()) {
    result.complete = true;
    result.fromJournal = result.total;
    if (!it->second.best.empty()) {
      result.best = Candidate::fromKey(it->second.best);
      result.bestUs = it->second.us;
    }
    if (!it->second.bestSeed.empty()) {
      result.bestSeed = Candidate::fromKey(it->second.bestSeed);
      result.bestSeedUs = it->second.seedUs;
    }
    return result;
  }

  std::set<std::string> seedKeys;
  for (size_t i = 0; i < std::min(seeds, cands.size()); ++i)
    seedKeys.insert(cands[i].key());
  std::map<std::string, Outcome> &past = past_[shapeKey];
  std::vector<Candidate> todo;
  std::vector<Live> live; // first-pass survivors, in candidate order
  std::set<std::string> given;
  double bestQuick = 0;
  for (const Candidate &c : cands) {
    std::string key = c.key();
    if (!given.insert(key).second)
      continue; // listed twice (a seed also in the space)
    auto it = past.find(key);
    if (it == past.end()) {
      todo.push_back(c);
      continue;
    }
    ++result.fromJournal;
    const Outcome &o = it->second;
    if (o.status == "ok") {
      live.push_back({c, key, seedKeys.count(key) > 0, o.us, o.us, nullptr});
      if (bestQuick == 0 || o.us < bestQuick)
        bestQuick = o.us;
    }
  }
  const size_t finalCount = size_t(std::max(opts_.retimeTop, 1));
  const int repeat = std::max(opts_.repeat, 1);
  const int quickRepeat = std::max(opts_.quickRepeat, 1);
  const int quickWarmup = std::max(opts_.quickWarmup, 0);
  const int passes = std::clamp(opts_.finalPasses, 1, repeat);
  TunerPhases &ph = result.phases;

  // 1. Compile in parallel (and load, if the hook does); the results are
  // consumed in candidate order.
  unsigned threads = opts_.threads ? opts_.threads
                                   : llvm::hardware_concurrency().compute_thread_count();
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
  std::atomic<bool> stop{false};
  std::mutex statsMutex;
  const double compileStart = now();
  double lastCompileEnd = compileStart;
  int compiledCount = 0;
  std::vector<std::shared_future<llvm::Expected<CompiledCandidate> *>> futures;
  futures.reserve(todo.size());
  for (const Candidate &c : todo)
    futures.push_back(pool.async([&, c]() -> llvm::Expected<CompiledCandidate> * {
      if (stop.load())
        return nullptr;
      double t0 = now();
      auto *r = new llvm::Expected<CompiledCandidate>(hooks_.compile(shape, c));
      double t1 = now();
      std::lock_guard<std::mutex> lock(statsMutex);
      ph.compileCpu += t1 - t0;
      if (*r)
        ph.loadCpu += (*r)->loadMs / 1000;
      lastCompileEnd = std::max(lastCompileEnd, t1);
      ++compiledCount;
      return r;
    }));

  // The launches the rounds after the first pass take for n survivors.
  auto plannedLaunches = [&](double n) {
    double launches = 0;
    int reps = quickRepeat;
    while (n > double(finalCount)) {
      n = std::max(double(finalCount), std::ceil(n * opts_.keepFraction));
      reps = std::min(repeat, reps * 2);
      launches += (n + 1) * (1 + reps);
    }
    return launches +
           (n + 1) * (opts_.warmup + passes + (repeat / passes) * passes);
  };
  double quickSeconds = 0;
  int quickLaunches = 0;
  const double loopStart = now();
  size_t seen = 0;
  std::string phase = "first pass";
  auto progress = [&](bool final) {
    if (!opts_.progress)
      return;
    size_t done = result.fromJournal + seen;
    double eta = 0;
    if (!final) {
      double spent = now() - loopStart;
      double left = todo.size() - seen;
      double firstPassLeft = seen ? spent / seen * left : 0;
      double perLaunch =
          quickLaunches ? quickSeconds / quickLaunches : 0;
      double survive = (seen || !live.empty())
                           ? double(live.size()) *
                                 double(todo.size() + result.fromJournal) /
                                 double(std::max<size_t>(1, done))
                           : 0;
      eta = firstPassLeft + plannedLaunches(survive) * perLaunch;
    }
    std::string budget;
    if (opts_.budgetSeconds > 0)
      budget = fmt::format(" (budget {:.0f} s left)",
                           std::max(0.0, opts_.budgetSeconds - elapsed()));
    *opts_.progress << fmt::format(
        "moec tune: {} {}/{} done ({}: {} timed, {} cut), best {}, ETA {:.0f} "
        "s{}\n",
        shape.op, done, cands.size(), phase, result.timed, result.cut,
        bestQuick > 0 ? fmt::format("{:.2f} us", bestQuick) : std::string("-"),
        eta, budget);
    opts_.progress->flush();
  };
  double lastProgress = 0;
  std::optional<std::string> failMsg;
  auto rec = [&](const Candidate &c, Outcome o, const std::string &msg) {
    if (llvm::Error e = record(shapeKey, c, o, msg)) {
      failMsg = llvm::toString(std::move(e));
      return true;
    }
    return false;
  };
  bool stoppedEarly = false;
  for (size_t idx = 0; idx < todo.size(); ++idx) {
    const Candidate &c = todo[idx];
    if (budgetExceeded()) {
      stop = true;
      stoppedEarly = true;
      break;
    }
    double w0 = now();
    std::unique_ptr<llvm::Expected<CompiledCandidate>> compiled(
        futures[idx].get());
    ph.wait += now() - w0;
    ++seen;
    if (!compiled) {
      stop = true;
      stoppedEarly = true;
      break;
    }
    if (*compiled && (*compiled)->cacheHit)
      ++result.cacheHits;
    else
      ++result.compiled;
    if (!*compiled) {
      std::string msg = llvm::toString(compiled->takeError());
      ++result.rejected;
      if (rec(c, {"rejected", 0}, msg))
        break;
      continue;
    }
    auto cc = std::make_shared<CompiledCandidate>(std::move(**compiled));
    const Resources &res = cc->resources;
    std::string key = c.key();
    // The seeds are the reference (what users run without tuning): timed
    // whatever their resources.
    const bool seed = seedKeys.count(key) > 0;
    if (!seed && res.known &&
        (res.vgprSpills > 0 || res.sgprSpills > 0 || res.scratchBytes > 0)) {
      ++result.spilled;
      if (rec(c, {"spill", 0, cc->compileMs, cc->loadMs},
               fmt::format("{} VGPR and {} SGPR spills, {} B scratch",
                           res.vgprSpills, res.sgprSpills, res.scratchBytes)))
        break;
      continue;
    }
    // An occupancy hint the code object cannot honour (fewer waves per SIMD
    // fit than waves_per_eu asks for) duplicates a lower hint: not timed.
    if (!seed && res.known && c.wavesPerEU > 0 && res.wavesPerSimd > 0 &&
        res.wavesPerSimd < c.wavesPerEU) {
      ++result.spilled;
      if (rec(c, {"occupancy", 0, cc->compileMs, cc->loadMs},
              fmt::format("{} waves per SIMD fit, waves_per_eu asks for {}",
                          res.wavesPerSimd, c.wavesPerEU)))
        break;
      continue;
    }
    // 3. The first pass: a short measurement; clearly slower is cut.
    double q0 = now();
    auto quick = hooks_.time(shape, c, *cc, quickWarmup, quickRepeat);
    quickSeconds += now() - q0;
    quickLaunches += quickWarmup + quickRepeat;
    if (!quick) {
      std::string msg = llvm::toString(quick.takeError());
      if (rec(c, {"error", 0, cc->compileMs, cc->loadMs}, msg))
        break;
      continue;
    }
    if (bestQuick > 0 && *quick > opts_.cutFactor * bestQuick) {
      ++result.cut;
      if (rec(c, {"cut", *quick, cc->compileMs, cc->loadMs}, ""))
        break;
    } else {
      ++result.timed;
      if (bestQuick == 0 || *quick < bestQuick)
        bestQuick = *quick;
      live.push_back({c, key, seed, *quick, *quick, cc});
      if (rec(c, {"ok", *quick, cc->compileMs, cc->loadMs}, ""))
        break;
    }
    if (now() - lastProgress > 1.0) {
      progress(false);
      lastProgress = now();
    }
  }
  stop = true;
  pool.wait();
  ph.firstPass = quickSeconds;
  ph.compileWall = lastCompileEnd - compileStart;
  ph.compiledInWall = compiledCount;
  // Free the results nobody consumed.
  for (size_t idx = seen; idx < futures.size(); ++idx)
    delete futures[idx].get();
  if (failMsg)
    return errorf(*failMsg);
  result.complete = !stoppedEarly;

  // 4. Successive halving over the survivors. The best seed is kept to the
  // final round whatever its time (the reference the result is compared
  // with); the others slower than cutFactor x the final best of the first
  // pass are cut now (never re-timed).
  std::optional<Live> pin;
  {
    int p = -1;
    for (size_t i = 0; i < live.size(); ++i)
      if (live[i].seed && (p < 0 || live[i].quickUs < live[p].quickUs))
        p = int(i);
    std::vector<Live> others;
    for (size_t i = 0; i < live.size(); ++i) {
      if (int(i) == p) {
        pin = std::move(live[i]);
      } else if (live[i].quickUs <= opts_.cutFactor * bestQuick) {
        others.push_back(std::move(live[i]));
      } else if (live[i].cc) { // not from the journal (counted there)
        ++result.cut;
        --result.timed;
      }
    }
    live = std::move(others);
  }
  // Survivors from the journal of an earlier run: compiled again (kernel
  // cache hits, but loading still costs) on the workers, all at once.
  {
    std::vector<Live *> missing;
    for (Live &l : live)
      if (!l.cc)
        missing.push_back(&l);
    if (pin && !pin->cc)
      missing.push_back(&*pin);
    for (Live *l : missing)
      pool.async([this, &shape, l] {
        auto r = hooks_.compile(shape, l->cand);
        if (!r) {
          llvm::consumeError(r.takeError());
          return; // ensure() tries once more, else it is dropped
        }
        l->cc = std::make_shared<CompiledCandidate>(std::move(*r));
      });
    pool.wait();
  }
  // The survivors a round drops, kept (with their latest time) in case
  // every finalist gives a wrong result.
  std::vector<Live> dropped;
  auto ensure = [&](Live &l) {
    if (l.cc)
      return true;
    auto again = hooks_.compile(shape, l.cand);
    if (!again) {
      llvm::consumeError(again.takeError());
      return false;
    }
    l.cc = std::make_shared<CompiledCandidate>(std::move(*again));
    return true;
  };
  auto timeOne = [&](Live &l, int warm, int reps) -> std::optional<double> {
    if (!ensure(l))
      return std::nullopt;
    auto t = hooks_.time(shape, l.cand, *l.cc, warm, reps);
    if (!t) {
      llvm::consumeError(t.takeError());
      return std::nullopt;
    }
    ++result.retimed;
    return *t;
  };
  double h0 = now();
  int reps = quickRepeat;
  phase = "re-timing";
  llvm::sort(live, byLast);
  while (live.size() > finalCount) {
    size_t keep = std::max(
        finalCount, size_t(std::ceil(double(live.size()) * opts_.keepFraction)));
    keep = std::min(keep, live.size() - 1);
    if (budgetExceeded())
      keep = finalCount; // straight to the final round
    for (size_t i = keep; i < live.size(); ++i)
      dropped.push_back(std::move(live[i]));
    live.resize(keep);
    if (budgetExceeded())
      break;
    reps = std::min(repeat, reps * 2);
    ++result.rounds;
    std::vector<Live> next;
    for (Live &l : live)
      if (auto t = timeOne(l, 1, reps)) {
        l.lastUs = *t;
        next.push_back(std::move(l));
      }
    if (pin)
      if (auto t = timeOne(*pin, 1, reps))
        pin->lastUs = *t;
    live = std::move(next);
    llvm::sort(live, byLast);
    progress(false);
  }
  ph.halving = now() - h0;

  // 5. The final round: interleaved passes, the median of their medians.
  double f0 = now();
  phase = "final round";
  if (pin)
    live.push_back(std::move(*pin));
  ++result.rounds;
  std::vector<std::vector<double>> samples(live.size());
  for (int p = 0; p < passes; ++p)
    for (size_t i = 0; i < live.size(); ++i)
      if (auto t = timeOne(live[i], p == 0 ? opts_.warmup : 1,
                           std::max(1, repeat / passes)))
        samples[i].push_back(*t);
  std::vector<Live> finalists;
  for (size_t i = 0; i < live.size(); ++i) {
    if (samples[i].empty())
      continue;
    live[i].lastUs = medianOf(samples[i]);
    if (live[i].seed &&
        (!result.bestSeed || live[i].lastUs < result.bestSeedUs)) {
      result.bestSeed = live[i].cand;
      result.bestSeedUs = live[i].lastUs;
    }
    finalists.push_back(std::move(live[i]));
  }
  live.clear();
  result.finalists = int(finalists.size());
  llvm::sort(finalists, byLast);
  ph.finalRound = now() - f0;

  // 6. The float64 check, fastest first: the finalists, then (should all
  // of them be wrong) those the rounds dropped, in their latest order.
  double v0 = now();
  llvm::sort(dropped, byLast);
  for (Live &l : dropped)
    finalists.push_back(std::move(l));
  dropped.clear();
  for (Live &l : finalists) {
    if (!ensure(l))
      continue;
    if (llvm::Error e = hooks_.verify(shape, l.cand, *l.cc)) {
      ++result.wrong;
      std::string msg = llvm::toString(std::move(e));
      if (auto e2 = record(shapeKey, l.cand, {"wrong", l.lastUs}, msg))
        return e2;
      continue;
    }
    result.best = l.cand;
    result.bestUs = l.lastUs;
    break;
  }
  ph.verify = now() - v0;
  ph.total = now() - shapeStart;
  phase = "done";
  progress(true);
  if (result.complete)
    if (auto e = recordDone(shapeKey, result))
      return e;
  return result;
}

std::vector<ShapeRecord>
moec::tuning::shardSlice(const std::vector<ShapeRecord> &shapes, int i,
                         int n) {
  std::vector<ShapeRecord> out;
  for (size_t p = 0; p < shapes.size(); ++p)
    if (n <= 1 || int(p % n) == i)
      out.push_back(shapes[p]);
  return out;
}
