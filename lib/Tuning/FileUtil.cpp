//===- FileUtil.cpp - atomic writes and locked appends --------------------===//

#include "moec/Tuning/FileUtil.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace moec::tuning;

namespace {
llvm::Error sysError(const std::string &what, const std::string &path) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      fmt::format("{}: {}: {}", path, what, std::strerror(errno)));
}
} // namespace

llvm::Error moec::tuning::writeFileAtomically(llvm::StringRef path,
                                              llvm::StringRef contents) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return llvm::createStringError(
          ec, fmt::format("{}: cannot create the directory: {}", dir.str(),
                          ec.message()));
  // llvm::writeToOutput writes a temporary file next to `path` and renames
  // it over `path` once complete.
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << contents;
    return llvm::Error::success();
  });
}

AppendFile::~AppendFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

llvm::Error AppendFile::open(llvm::StringRef path) {
  path_ = path.str();
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    (void)llvm::sys::fs::create_directories(dir);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    return sysError("cannot open for appending", path_);
  return llvm::Error::success();
}

llvm::Error AppendFile::lock() {
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR)
      return sysError("cannot lock", path_);
  return llvm::Error::success();
}

void AppendFile::unlock() { ::flock(fd_, LOCK_UN); }

llvm::Expected<std::string> AppendFile::readFrom(uint64_t &offset) {
  int rfd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0)
    return sysError("cannot read", path_);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(rfd, buf, sizeof(buf), offset);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      ::close(rfd);
      return sysError("cannot read", path_);
    }
    if (n == 0)
      break;
    out.append(buf, n);
    offset += n;
  }
  ::close(rfd);
  return out;
}

llvm::Error AppendFile::append(llvm::StringRef line) {
  const char *p = line.data();
  size_t left = line.size();
  // One write(2) for the whole line: with O_APPEND the kernel places it at
  // the end atomically for regular files. Loop only on a short write.
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sysError("cannot append", path_);
    }
    p += n;
    left -= n;
  }
  return llvm::Error::success();
}

llvm::Error AppendFile::sync() {
  if (::fsync(fd_) != 0)
    return sysError("cannot sync", path_);
  return llvm::Error::success();
}
