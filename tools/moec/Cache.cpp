//===- Cache.cpp - moec cache list|stats|clear ----------------------------===//
//
// The user's view of the JIT's kernel cache directory ($MOEC_CACHE_DIR, else
// $XDG_CACHE_HOME/moec, else ~/.cache/moec; --dir overrides):
//   list   one line per entry: key, size, last use, what it holds, and the
//          problem when an entry is damaged
//   stats  directory, entries, bytes, size cap, damaged entries
//   clear  removes every entry (and leftover temporaries)
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/KernelCache.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <ctime>

using moec::jit::CacheEntryInfo;
using moec::jit::KernelCache;

int runCache(llvm::ArrayRef<std::string> args) {
  std::string action, dir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--dir" || a == "-dir") {
      if (i + 1 == args.size()) {
        llvm::errs() << "moec cache: error: --dir needs a directory\n";
        return 1;
      }
      dir = args[++i];
    } else if (a.rfind("--dir=", 0) == 0) {
      dir = a.substr(6);
    } else if (action.empty() && a.size() && a[0] != '-') {
      action = a;
    } else {
      llvm::errs() << fmt::format("moec cache: error: unexpected argument "
                                  "'{}' (usage: moec cache list|stats|clear "
                                  "[--dir DIR])\n",
                                  a);
      return 1;
    }
  }
  if (action != "list" && action != "stats" && action != "clear") {
    llvm::errs() << fmt::format(
        "moec cache: error: {} (usage: moec cache list|stats|clear [--dir "
        "DIR])\n",
        action.empty() ? std::string("expected an action")
                       : "unknown action '" + action + "'");
    return 1;
  }
  if (dir.empty())
    dir = KernelCache::defaultDirectory();
  if (dir.empty()) {
    llvm::errs() << "moec cache: error: no cache directory: MOEC_CACHE_DIR, "
                    "XDG_CACHE_HOME and HOME are unset (use --dir)\n";
    return 1;
  }
  if (action == "clear") {
    std::string error;
    int64_t n = KernelCache::clearDirectory(dir, error);
    if (n < 0) {
      llvm::errs() << "moec cache: error: " << error << "\n";
      return 1;
    }
    llvm::outs() << fmt::format("removed {} file{} from {}\n", n,
                                n == 1 ? "" : "s", dir);
    return 0;
  }
  std::vector<CacheEntryInfo> entries = KernelCache::listDirectory(dir);
  if (action == "list") {
    for (const CacheEntryInfo &e : entries) {
      char when[32] = "?";
      std::time_t t = static_cast<std::time_t>(e.mtimeSeconds);
      if (std::tm tm; gmtime_r(&t, &tm))
        std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
      llvm::outs() << fmt::format("{}  {:>9}  {}  {}\n",
                                  e.keyHex.empty() ? std::string(32, '?')
                                                   : e.keyHex,
                                  e.fileBytes, when,
                                  e.problem.empty()
                                      ? e.description
                                      : "DAMAGED: " + e.problem);
    }
    return 0;
  }
  uint64_t bytes = 0;
  size_t damaged = 0;
  for (const CacheEntryInfo &e : entries) {
    bytes += e.fileBytes;
    damaged += !e.problem.empty();
  }
  uint64_t cap = KernelCache::defaultMaxBytes();
  llvm::outs() << fmt::format(
      "directory: {}\nentries:   {}\nbytes:     {} ({:.1f} MiB)\ncap:       {} "
      "({:.0f} MiB, MOEC_CACHE_MAX_MB)\ndamaged:   {}\nformat:    {}\n",
      dir, entries.size(), bytes, bytes / 1048576.0, cap, cap / 1048576.0,
      damaged, KernelCache::kFormatVersion);
  return 0;
}
