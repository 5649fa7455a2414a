//===- FileIO.h - safe reading and atomic writing of files ------*- C++ -*-===//
//
// What every moec file read or write goes through, so that no input is lost
// and no input makes moec grow without bound:
//
//  - writeFileAtomically: the bytes go to a temporary file beside the target,
//    which is renamed over it only once everything is written, flushed and
//    synced. A failed or interrupted write leaves the old file as it was.
//    Outputs that are not regular files (/dev/null, /dev/full, a pipe) are
//    written in place, with every error reported with the file's name.
//  - sameFile: the same file by device and inode (so through symlinks and
//    hard links too); compile refuses an output that is its input.
//  - readInputFile: regular files and pipes up to a bound; directories and
//    devices (/dev/zero) are refused. Regular files are read, not mapped, so a
//    file truncated by someone else cannot raise SIGBUS later.
//
// Plain C++17 and POSIX, no LLVM: usable from the runtime (the JIT cache) as
// well as from the compiler. Every function returns an empty string on success
// and otherwise a message that names the file.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_FILEIO_H
#define MOEC_SUPPORT_FILEIO_H

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace moec::support {

/// The largest input moec reads (an .mlir file, a code object, a response
/// file): 256 MiB, far above any real one.
inline constexpr uint64_t kMaxInputBytes = uint64_t(256) << 20;

struct AtomicWriteOptions {
  /// Permission bits of a new file (the umask applies). An existing file
  /// keeps its own.
  unsigned mode = 0666;
  /// fsync the data before the rename (and the directory after it), so a
  /// power loss cannot leave an empty file under the final name.
  bool sync = true;
  /// Called with the temporary file's path right after it is created and
  /// right after it is renamed or removed: a tool registers it for removal on
  /// SIGINT/SIGTERM (llvm::sys::RemoveFileOnSignal) and unregisters it.
  std::function<void(const std::string &)> onTempCreated, onTempGone;
};

/// Writes `bytes` to `path` ("-" = standard output) atomically. Returns "" or
/// "writing PATH: <reason>".
std::string writeFileAtomically(const std::string &path, std::string_view bytes,
                                const AtomicWriteOptions &options = {});

/// True when both paths exist and are the same file (device and inode).
bool sameFile(const std::string &a, const std::string &b);

/// Reads `path` ("-" = standard input) into `out`. Refuses directories,
/// character and block devices, sockets, and anything larger than
/// `maxBytes`. Returns "" or "PATH: <reason>".
std::string readInputFile(const std::string &path, std::string &out,
                          uint64_t maxBytes = kMaxInputBytes);

/// "" when `path` may be read as an input (a regular file or a pipe within
/// `maxBytes`), else why not; used before handing a path to a reader that
/// does not bound what it reads (response files).
std::string checkReadableInput(const std::string &path,
                               uint64_t maxBytes = kMaxInputBytes);

} // namespace moec::support

#endif // MOEC_SUPPORT_FILEIO_H
