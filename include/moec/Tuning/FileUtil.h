//===- FileUtil.h - atomic writes and locked appends ------------*- C++ -*-===//
//
// The two ways the tuning code writes files: whole files atomically
// (temporary file in the same directory, then rename), and lines appended
// to a shared log (one write(2) per line on an O_APPEND descriptor, under an
// flock(2) so that a reader holding the lock sees whole lines).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_FILEUTIL_H
#define MOEC_TUNING_FILEUTIL_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace moec::tuning {

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// reader sees the old file or the new one, never a part.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::StringRef contents);

/// An append-only file of lines, shared by threads and processes.
class AppendFile {
public:
  AppendFile() = default;
  ~AppendFile();
  AppendFile(const AppendFile &) = delete;
  AppendFile &operator=(const AppendFile &) = delete;

  /// Opens (creating) `path` for appending.
  llvm::Error open(llvm::StringRef path);
  bool isOpen() const { return fd_ >= 0; }
  const std::string &path() const { return path_; }
  /// Takes the exclusive lock on the file (blocks); unlock() releases it.
  llvm::Error lock();
  void unlock();
  /// Reads the file from byte `offset` to its end (under the lock, what
  /// other writers have appended since). Updates `offset`.
  llvm::Expected<std::string> readFrom(uint64_t &offset);
  /// Appends `line` (which ends with '\n') in one write(2).
  llvm::Error append(llvm::StringRef line);
  /// fsync(2).
  llvm::Error sync();

private:
  int fd_ = -1;
  std::string path_;
};

} // namespace moec::tuning

#endif // MOEC_TUNING_FILEUTIL_H
