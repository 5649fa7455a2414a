//===- ShapeLog.h - the shapes a live application asked for -----*- C++ -*-===//
//
// With MOEC_SHAPE_LOG=shapes.jsonl the JIT runtime appends one JSON line per
// distinct (op, shape, dtypes, target, device):
//
//   {"op": "gemm", "shape": {"M": 300, "N": 4096, "K": 4096},
//    "dtypes": ["bf16", "bf16", "bf16"], "attrs": {"layout": "nt"},
//    "target": "sm_90", "device": "NVIDIA H100 80GB HBM3"}
//
// (one line in the file). `moec tune --shapes shapes.jsonl` tunes exactly
// those. Each record is written once per file, whatever the number of
// threads and processes logging: a process remembers what it has seen (a
// repeat costs one hash-set probe under a mutex), and before appending it
// takes an flock(2) on the file, reads what other processes appended since
// its last look, and writes the line with a single write(2) only if it is
// still new.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_SHAPELOG_H
#define MOEC_TUNING_SHAPELOG_H

#include "moec/Tuning/FileUtil.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace moec::tuning {

struct ShapeRecord {
  std::string op; ///< "gemm", "moe_gemm", "sparse_attention", ...
  std::vector<std::pair<std::string, int64_t>> shape; ///< in the op's order
  std::vector<std::string> dtypes;                     ///< operands in order
  /// Other things that select a kernel (e.g. "layout": "nt").
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string target; ///< moec target: gfx942, sm_90, host
  std::string device; ///< the driver's device name

  std::optional<int64_t> dim(llvm::StringRef name) const;
  std::string attr(llvm::StringRef name) const; ///< "" when absent
  /// The canonical JSON line, without the newline.
  std::string toJson() const;
  bool operator==(const ShapeRecord &o) const { return toJson() == o.toJson(); }
};

/// Parses one line; `where` ("file:line") starts the error message.
llvm::Expected<ShapeRecord> parseShapeRecord(llvm::StringRef line,
                                             llvm::StringRef where);
/// Reads a log: distinct records in file order. A last line without its
/// newline (a writer that died mid-write) is ignored; any other malformed
/// line is an error naming the file and line.
llvm::Expected<std::vector<ShapeRecord>> readShapeLog(llvm::StringRef path);

class ShapeLog {
public:
  /// The log of MOEC_SHAPE_LOG, or null when it is unset (or cannot be
  /// opened: said once on stderr).
  static ShapeLog *global();
  static llvm::Expected<std::unique_ptr<ShapeLog>> open(llvm::StringRef path);

  /// Appends `record` unless this file already holds it. Returns whether
  /// this call appended it. Thread-safe.
  llvm::Expected<bool> record(const ShapeRecord &record);
  const std::string &path() const { return file_.path(); }

private:
  ShapeLog() = default;
  /// Adds the complete lines of `text` to seen_; returns the length of the
  /// complete part.
  size_t absorb(llvm::StringRef text);

  std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  AppendFile file_;
  uint64_t readOffset_ = 0;
};

} // namespace moec::tuning

#endif // MOEC_TUNING_SHAPELOG_H
