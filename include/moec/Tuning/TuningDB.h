//===- TuningDB.h - tuned configs in the vLLM/SGLang file format -*- C++ -*-===//
//
// The tuning database is a list of directories of JSON files, one file per
// (op, problem dimensions, device, dtype), each mapping a batch size M to a
// config. The fused-MoE files are exactly those of vLLM and SGLang, so a file
// moves both ways:
//
//   E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json
//   E=256,N=256,device_name=AMD_Instinct_MI300X,dtype=fp8_w8a8,block_shape=[128,128].json
//
// vLLM writes the block shape without spaces ("[128,128]") and names every
// H200 variant "NVIDIA_H200"; SGLang writes Python's str() of the list
// ("[128, 128]") and may add ",per_channel_quant=True" and a "_down" suffix
// (its separate down-projection configs). Both spellings are read; lookup
// tries vLLM's, then SGLang's.
//
//   {
//       "1": {
//           "BLOCK_SIZE_M": 16,
//           "BLOCK_SIZE_N": 64,
//           ...
//           "num_stages": 2
//       },
//       ...
//   }
//
// (Python's json.dump(indent=4) followed by a newline; keys BLOCK_SIZE_M/N/K, GROUP_SIZE_M,
// num_warps, num_stages, then the ROCm extras waves_per_eu,
// matrix_instr_nonkdim, kpack; keys moec does not know are kept in place.)
// The files of moec's other ops have the same shape, named after the op:
//
//   op=gemm,N=4096,K=4096,device_name=NVIDIA_H100_80GB_HBM3,dtype=bf16,layout=nt.json
//   op=sparse_mla,h_q=128,topk=2048,d_qk=576,d_v=512,device_name=...,dtype=bf16.json
//
// keyed by M (GEMM) or tokens (attention), with the same value keys plus
// "epilogue" ("direct" | "lds"), "async_copy" (NVIDIA), "block_h" and
// "block_kv", "kv_splits" (attention), and "time_us", the measured median, which `moec db
// merge` compares. `layout` is "n" or "t" for A then B (t = transposed).
//
// This library uses LLVM Support only (JSON, files, locks), no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_TUNINGDB_H
#define MOEC_TUNING_TUNINGDB_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace moec::tuning {

/// One config: JSON scalars in the order they are written.
struct TuningEntry {
  std::vector<std::pair<std::string, llvm::json::Value>> fields;

  const llvm::json::Value *get(llvm::StringRef key) const;
  std::optional<int64_t> getInt(llvm::StringRef key) const;
  std::optional<double> getNumber(llvm::StringRef key) const;
  /// Replaces the value of `key` where it is, or appends it.
  void set(llvm::StringRef key, llvm::json::Value value);
  void erase(llvm::StringRef key);
  /// Fields in the order vLLM's sort_config writes them (BLOCK_SIZE_M/N/K,
  /// GROUP_SIZE_M, num_warps, num_stages, SPLIT_K, waves_per_eu,
  /// matrix_instr_nonkdim, kpack), then the others in their given order.
  void canonicalize();
  bool operator==(const TuningEntry &other) const;
  /// `{"BLOCK_SIZE_M": 16, ...}` on one line, for messages.
  std::string str() const;
};

/// The contents of one config file.
struct ConfigFile {
  /// Top-level keys that are not integers (vLLM writes "triton_version").
  std::vector<std::pair<std::string, llvm::json::Value>> meta;
  /// M -> config, in file order.
  std::vector<std::pair<int64_t, TuningEntry>> entries;

  /// The entry vLLM and SGLang use for batch size m: the key with the
  /// smallest |key - m|, the first in file order on a tie
  /// (`min(configs.keys(), key=lambda x: abs(x - M))`). Null when empty.
  const TuningEntry *nearest(int64_t m, int64_t *matchedKey = nullptr) const;
  TuningEntry *find(int64_t m);
  const TuningEntry *find(int64_t m) const;
  /// Replaces the entry for m, or inserts it keeping the keys ascending.
  void put(int64_t m, TuningEntry entry);
};

/// Parses a config file; `name` starts every error message.
llvm::Expected<ConfigFile> parseConfigFile(llvm::StringRef text,
                                           llvm::StringRef name);
llvm::Expected<ConfigFile> readConfigFile(llvm::StringRef path);
/// The text vLLM writes: json.dump(indent=4) then "\n", entries canonical.
std::string printConfigFile(const ConfigFile &file);
/// Writes atomically (temporary file, then rename).
llvm::Error writeConfigFile(llvm::StringRef path, const ConfigFile &file);

/// What a file name says.
struct ConfigFileKey {
  /// "moe" for the vLLM/SGLang fused-MoE files, else moec's op name.
  std::string op = "moe";
  /// moe: E, N; gemm: N, K; others as their file says. In name order.
  std::vector<std::pair<std::string, int64_t>> dims;
  std::string deviceName; ///< as spelled in the file: spaces are underscores
  std::string dtype;      ///< "" when the name has none
  /// moe: [block_n, block_k] of block-wise quantization; absent or with a
  /// zero is not written (as vLLM/SGLang do).
  std::optional<std::pair<int64_t, int64_t>> blockShape;
  std::string layout; ///< gemm: "nn", "nt", "tn" or "tt"
  bool perChannelQuant = false; ///< SGLang: ",per_channel_quant=True"
  bool down = false;            ///< SGLang: "_down" (down-projection file)

  std::optional<int64_t> dim(llvm::StringRef name) const;
  bool operator==(const ConfigFileKey &o) const;
};

/// The device name as vLLM/SGLang spell it in file names: the driver's name
/// with spaces replaced by underscores ("AMD Instinct MI300X" ->
/// "AMD_Instinct_MI300X", "NVIDIA H100 80GB HBM3" -> "NVIDIA_H100_80GB_HBM3").
std::string fileDeviceName(llvm::StringRef driverName);
/// vLLM's spelling: fileDeviceName, and any name with an "H200" part (split
/// on '_') becomes "NVIDIA_H200".
std::string vllmDeviceName(llvm::StringRef driverName);

enum class FileStyle { Vllm, Sglang };
std::string configFileName(const ConfigFileKey &key,
                           FileStyle style = FileStyle::Vllm);
/// The inverse of configFileName; nullopt for a name that is not one.
std::optional<ConfigFileKey> parseConfigFileName(llvm::StringRef fileName);

/// The file of a fused-MoE config (vLLM/SGLang): E experts, N = the
/// intermediate size per GPU, dtype "" (f16/bf16), "fp8_w8a8",
/// "int8_w8a16"..., block shape of block-wise quantization if any. The
/// device name is the driver's; it is spelled as vLLM spells it.
ConfigFileKey moeFileKey(int64_t experts, int64_t n, llvm::StringRef device,
                         llvm::StringRef dtype,
                         std::optional<std::pair<int64_t, int64_t>> blockShape =
                             std::nullopt);
/// The file of a moec GEMM config: dtype of A ("bf16"), layout of A and B
/// ("nt": B is N x K).
ConfigFileKey gemmFileKey(int64_t n, int64_t k, llvm::StringRef device,
                          llvm::StringRef dtype, llvm::StringRef layout);

/// Where a config came from.
struct LookupResult {
  TuningEntry entry;
  std::string path;       ///< the file
  int64_t matchedKey = 0; ///< the M of the entry nearest to the one asked
};

/// A list of directories, searched in order: the first that holds a file for
/// the key wins. Files are read once and cached; thread-safe.
class TuningDB {
public:
  explicit TuningDB(std::vector<std::string> dirs);
  /// The directories of MOEC_TUNING_DB (colon-separated), read once.
  static TuningDB &global();

  const std::vector<std::string> &dirs() const { return dirs_; }
  /// The nearest-M entry of the first directory with a file for `key`.
  /// A file that does not parse is reported (once) and skipped.
  std::optional<LookupResult> lookup(const ConfigFileKey &key, int64_t m);
  /// Forgets what was read of `path` (it was just written): the next lookup
  /// reads it again.
  void invalidate(const std::string &path);
  /// lookup(); on a miss, says once per (key, m) which shape fell back to
  /// `fallback` (through the log sink, stderr by default).
  std::optional<LookupResult> lookupOrReport(const ConfigFileKey &key,
                                             int64_t m,
                                             llvm::StringRef fallback);
  /// Where miss and error messages go (default: stderr).
  void setLogSink(std::function<void(llvm::StringRef)> sink);

private:
  std::shared_ptr<const ConfigFile> load(const std::string &path);
  void log(const std::string &msg);

  std::vector<std::string> dirs_;
  std::mutex mutex_;
  /// Path -> parsed file; null for a file that is missing or bad.
  std::map<std::string, std::shared_ptr<const ConfigFile>> files_;
  std::set<std::string> reported_;
  std::function<void(llvm::StringRef)> sink_;
};

/// Merges the config files of several directories into `out`, deterministic
/// whatever the order of the inputs' files: per file name and M, the entry
/// with the smallest "time_us" wins (ties and entries without a time: the
/// first input in argument order). Each key where inputs disagree is
/// described in `conflicts`.
struct MergeReport {
  int files = 0, entries = 0;
  std::vector<std::string> conflicts;
};
llvm::Expected<MergeReport> mergeDirectories(llvm::ArrayRef<std::string> inputs,
                                             llvm::StringRef out);

} // namespace moec::tuning

#endif // MOEC_TUNING_TUNINGDB_H
