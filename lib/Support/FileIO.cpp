//===- FileIO.cpp - safe reading and atomic writing of files --------------===//
#include "moec/Support/FileIO.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moec::support {

namespace {

std::string errnoText(int err) { return std::strerror(err); }

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR. 0 or errno.
int writeAll(int fd, std::string_view bytes) {
  const char *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return EIO;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

std::string dirName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A name beside `path` that nobody else picks: pid, a counter and the clock.
std::string tempNameFor(const std::string &path) {
  static std::atomic<uint64_t> counter{0};
  uint64_t salt =
      static_cast<uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull);
  std::string dir = dirName(path);
  std::string prefix = dir == "." && path.find('/') == std::string::npos
                           ? std::string()
                           : (dir == "/" ? dir : dir + "/");
  char suffix[48];
  std::snprintf(suffix, sizeof(suffix), ".moec-tmp.%d.%016llx",
                static_cast<int>(::getpid()),
                static_cast<unsigned long long>(salt));
  return prefix + "." + baseName(path) + suffix;
}

/// Follows a symbolic link at `path` (a chain, up to 32), so that the file
/// it names is replaced rather than the link.
std::string resolveLinks(std::string path) {
  for (int i = 0; i < 32; ++i) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
      return path;
    std::string target(static_cast<size_t>(st.st_size) + 256, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n <= 0)
      return path;
    target.resize(static_cast<size_t>(n));
    path = target.front() == '/' ? target : dirName(path) + "/" + target;
  }
  return path;
}

std::string writeInPlace(const std::string &path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0)
    return "writing " + path + ": " + errnoText(errno);
  int err = writeAll(fd, bytes);
  if (::close(fd) != 0 && !err)
    err = errno;
  if (err)
    return "writing " + path + ": " + errnoText(err);
  return {};
}

} // namespace

std::string writeFileAtomically(const std::string &path, std::string_view bytes,
                                const AtomicWriteOptions &options) {
  if (path == "-") {
    if (int err = writeAll(STDOUT_FILENO, bytes))
      return "writing to standard output: " + errnoText(err);
    return {};
  }
  if (path.empty())
    return "writing: the output path is empty";
  std::string target = resolveLinks(path);
  struct stat st;
  bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode))
    return "writing " + path + ": it is a directory";
  // A device or a pipe cannot be replaced by a rename: write it directly.
  if (exists && !S_ISREG(st.st_mode))
    return writeInPlace(target, bytes);

  unsigned mode = exists ? (st.st_mode & 07777) : options.mode;
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = tempNameFor(target);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    return "writing " + path + ": cannot create a temporary file in " +
           dirName(target) + ": " + errnoText(errno);
  if (exists)
    (void)::fchmod(fd, mode); // the umask must not narrow an existing file
  if (options.onTempCreated)
    options.onTempCreated(temp);
  auto abandon = [&](int err) {
    ::unlink(temp.c_str());
    if (options.onTempGone)
      options.onTempGone(temp);
    return "writing " + path + ": " + errnoText(err);
  };
  int err = writeAll(fd, bytes);
  if (!err && options.sync && ::fsync(fd) != 0)
    err = errno;
  if (::close(fd) != 0 && !err)
    err = errno;
  if (err)
    return abandon(err);
  if (::rename(temp.c_str(), target.c_str()) != 0)
    return abandon(errno);
  if (options.onTempGone)
    options.onTempGone(temp);
  if (options.sync) {
    int dfd = ::open(dirName(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }
  return {};
}

bool sameFile(const std::string &a, const std::string &b) {
  if (a == "-" || b == "-")
    return false;
  struct stat sa, sb;
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0)
    return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

namespace {

std::string kindOf(mode_t m) {
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISCHR(m))
    return "a character device";
  if (S_ISBLK(m))
    return "a block device";
  if (S_ISSOCK(m))
    return "a socket";
  return "not a regular file";
}

std::string sizeText(uint64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

} // namespace

std::string checkReadableInput(const std::string &path, uint64_t maxBytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "cannot open input file '" + path + "': " + errnoText(errno);
  if (S_ISFIFO(st.st_mode))
    return {};
  if (!S_ISREG(st.st_mode))
    return path + ": is " + kindOf(st.st_mode) + ", not a file to read";
  if (static_cast<uint64_t>(st.st_size) > maxBytes)
    return path + ": is " + sizeText(static_cast<uint64_t>(st.st_size)) +
           ", more than the " + sizeText(maxBytes) + " moec reads";
  return {};
}

std::string readInputFile(const std::string &path, std::string &out,
                          uint64_t maxBytes) {
  out.clear();
  int fd;
  std::string name = path == "-" ? std::string("<stdin>") : path;
  if (path == "-") {
    fd = STDIN_FILENO;
    struct stat st;
    if (::fstat(fd, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
        !::isatty(fd))
      return name + ": standard input is " + kindOf(st.st_mode) +
             ", not a file to read";
  } else {
    if (std::string why = checkReadableInput(path, maxBytes); !why.empty())
      return why;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return "cannot open input file '" + path + "': " + errnoText(errno);
  }
  // Read (never map) in chunks, one byte past the bound to detect excess: a
  // regular file may grow between stat and read, a pipe has no size.
  char chunk[1 << 16];
  int err = 0;
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err = errno;
      break;
    }
    if (n == 0)
      break;
    if (out.size() + static_cast<size_t>(n) > maxBytes) {
      if (fd != STDIN_FILENO)
        ::close(fd);
      out.clear();
      return name + ": more than the " + sizeText(maxBytes) +
             " moec reads from one input";
    }
    out.append(chunk, static_cast<size_t>(n));
  }
  if (fd != STDIN_FILENO)
    ::close(fd);
  if (err) {
    out.clear();
    return name + ": " + errnoText(err);
  }
  return {};
}

} // namespace moec::support
