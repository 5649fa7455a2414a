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
#include <chrono>
#include <csignal>
#include <future>

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
                               o->getNumber("us").value_or(0)};
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
  done_[shapeKey] = {r.best ? r.best->key() : "", r.bestUs};
  if (!journal_.isOpen())
    return llvm::Error::success();
  json::Object rec{{"shape", shapeKey},
                   {"done", true},
                   {"best", r.best ? r.best->key() : ""},
                   {"us", r.bestUs}};
  return journal_.append(jsonText(json::Value(std::move(rec))) + "\n");
}

llvm::Expected<ShapeResult>
Tuner::tuneShape(const ShapeRecord &shape,
                 const std::vector<Candidate> &cands) {
  const std::string shapeKey = shape.toJson();
  ShapeResult result;
  result.shape = shape;
  result.total = static_cast<int>(cands.size());

  // Finished in an earlier run: nothing to do.
  if (auto it = done_.find(shapeKey); it != done_.end()) {
    result.complete = true;
    result.fromJournal = result.total;
    if (!it->second.first.empty()) {
      result.best = Candidate::fromKey(it->second.first);
      result.bestUs = it->second.second;
    }
    return result;
  }

  std::map<std::string, Outcome> &past = past_[shapeKey];
  std::vector<Candidate> todo;
  double bestUs = 0;
  for (const Candidate &c : cands) {
    auto it = past.find(c.key());
    if (it == past.end()) {
      todo.push_back(c);
      continue;
    }
    ++result.fromJournal;
    const Outcome &o = it->second;
    if (o.status == "ok" && (bestUs == 0 || o.us < bestUs))
      bestUs = o.us;
  }

  // 1. Compile in parallel; results are consumed in order.
  unsigned threads = opts_.threads ? opts_.threads
                                   : llvm::hardware_concurrency().compute_thread_count();
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
  std::atomic<bool> stop{false};
  std::vector<std::shared_future<llvm::Expected<CompiledCandidate> *>> futures;
  futures.reserve(todo.size());
  for (const Candidate &c : todo)
    futures.push_back(pool.async([&, c]() -> llvm::Expected<CompiledCandidate> * {
      if (stop.load())
        return nullptr;
      return new llvm::Expected<CompiledCandidate>(hooks_.compile(shape, c));
    }));

  std::map<std::string, CompiledCandidate> kept; // ok candidates, for re-timing
  double loopStart = now();
  size_t seen = 0;
  auto progress = [&](bool final) {
    if (!opts_.progress)
      return;
    size_t done = result.fromJournal + seen;
    double spent = now() - loopStart;
    double eta = seen ? spent / seen * (todo.size() - seen) : 0;
    *opts_.progress << fmt::format(
        "moec tune: {} {}/{} done, best {}, ETA {:.0f} s\n", shape.op, done,
        cands.size(),
        bestUs > 0 ? fmt::format("{:.2f} us", bestUs) : std::string("-"),
        final ? 0.0 : eta);
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
    std::unique_ptr<llvm::Expected<CompiledCandidate>> compiled(
        futures[idx].get());
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
    CompiledCandidate &cc = **compiled;
    const Resources &res = cc.resources;
    if (res.known &&
        (res.vgprSpills > 0 || res.sgprSpills > 0 || res.scratchBytes > 0)) {
      ++result.spilled;
      if (rec(c, {"spill", 0},
               fmt::format("{} VGPR and {} SGPR spills, {} B scratch",
                           res.vgprSpills, res.sgprSpills, res.scratchBytes)))
        break;
      continue;
    }
    // An occupancy hint the code object cannot honour (fewer waves per SIMD
    // fit than waves_per_eu asks for) duplicates a lower hint: not timed.
    if (res.known && c.wavesPerEU > 0 && res.wavesPerSimd > 0 &&
        res.wavesPerSimd < c.wavesPerEU) {
      ++result.spilled;
      if (rec(c, {"occupancy", 0},
              fmt::format("{} waves per SIMD fit, waves_per_eu asks for {}",
                          res.wavesPerSimd, c.wavesPerEU)))
        break;
      continue;
    }
    // 3. A short measurement, then the full one unless clearly slower.
    auto quick = hooks_.time(shape, c, cc, 1, opts_.quickRepeat);
    if (!quick) {
      std::string msg = llvm::toString(quick.takeError());
      if (rec(c, {"error", 0}, msg))
        break;
      continue;
    }
    if (bestUs > 0 && *quick > opts_.cutFactor * bestUs) {
      ++result.cut;
      if (rec(c, {"cut", *quick}, ""))
        break;
      continue;
    }
    auto full = hooks_.time(shape, c, cc, opts_.warmup, opts_.repeat);
    if (!full) {
      std::string msg = llvm::toString(full.takeError());
      if (rec(c, {"error", 0}, msg))
        break;
      continue;
    }
    ++result.timed;
    if (bestUs == 0 || *full < bestUs)
      bestUs = *full;
    kept[c.key()] = std::move(cc);
    if (rec(c, {"ok", *full}, ""))
      break;
    if (now() - lastProgress > 1.0) {
      progress(false);
      lastProgress = now();
    }
  }
  stop = true;
  pool.wait();
  // Free the results nobody consumed.
  for (size_t idx = seen; idx < futures.size(); ++idx)
    delete futures[idx].get();
  if (failMsg)
    return errorf(*failMsg);
  result.complete = !stoppedEarly;

  // 4. Re-time the fastest few, then verify fastest first.
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto &[key, o] : past)
    if (o.status == "ok")
      ranked.push_back({o.us, key});
  llvm::sort(ranked);
  if (ranked.size() > size_t(std::max(opts_.retimeTop, 1)))
    ranked.resize(std::max(opts_.retimeTop, 1));
  std::vector<std::tuple<double, std::string, CompiledCandidate>> finalists;
  for (auto &[us, key] : ranked) {
    std::optional<Candidate> c = Candidate::fromKey(key);
    if (!c)
      continue;
    CompiledCandidate cc;
    if (auto it = kept.find(key); it != kept.end()) {
      cc = std::move(it->second);
    } else {
      // From the journal of an earlier run: compile it again.
      auto again = hooks_.compile(shape, *c);
      if (!again) {
        llvm::consumeError(again.takeError());
        continue;
      }
      cc = std::move(*again);
    }
    auto t = hooks_.time(shape, *c, cc, opts_.warmup, opts_.repeat);
    if (!t) {
      llvm::consumeError(t.takeError());
      continue;
    }
    finalists.emplace_back(std::min(*t, us), key, std::move(cc));
  }
  kept.clear();
  llvm::sort(finalists, [](const auto &a, const auto &b) {
    return std::get<0>(a) < std::get<0>(b) ||
           (std::get<0>(a) == std::get<0>(b) && std::get<1>(a) < std::get<1>(b));
  });
  for (auto &[us, key, cc] : finalists) {
    Candidate c = *Candidate::fromKey(key);
    if (llvm::Error e = hooks_.verify(shape, c, cc)) {
      ++result.wrong;
      std::string msg = llvm::toString(std::move(e));
      if (auto e2 = record(shapeKey, c, {"wrong", us}, msg))
        return e2;
      continue;
    }
    result.best = c;
    result.bestUs = us;
    break;
  }
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
