//===- FileIOTest.cpp - atomic writes and bounded reads (lib/Support) -----===//
#include "moec/Support/FileIO.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace moec::support;

namespace {

/// A fresh directory, removed (with what is in it) at the end.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/moec-fileio-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    if (DIR *d = ::opendir(path.c_str())) {
      while (dirent *e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
          names.push_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }
  std::string path;
};

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

TEST(AtomicWrite, CreatesAndReplaces) {
  TempDir dir;
  std::string out = dir.file("out.bin");
  EXPECT_EQ(writeFileAtomically(out, "first"), "");
  EXPECT_EQ(slurp(out), "first");
  EXPECT_EQ(writeFileAtomically(out, std::string(1 << 20, 'x')), "");
  EXPECT_EQ(slurp(out).size(), size_t(1) << 20);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"})
      << "no temporary file is left";
}

TEST(AtomicWrite, KeepsAnExistingFilesMode) {
  TempDir dir;
  std::string out = dir.file("tool.sh");
  spit(out, "old");
  ::chmod(out.c_str(), 0750);
  ASSERT_EQ(writeFileAtomically(out, "new"), "");
  struct stat st;
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
}

TEST(AtomicWrite, ThroughASymlinkTheLinkStays) {
  TempDir dir;
  spit(dir.file("real"), "old");
  ASSERT_EQ(::symlink("real", dir.file("link").c_str()), 0);
  ASSERT_EQ(writeFileAtomically(dir.file("link"), "new"), "");
  struct stat st;
  ASSERT_EQ(::lstat(dir.file("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(slurp(dir.file("real")), "new");
}

TEST(AtomicWrite, ErrorsNameTheFile) {
  TempDir dir;
  std::string missing = dir.file("no/such/dir/out");
  std::string err = writeFileAtomically(missing, "x");
  EXPECT_TRUE(contains(err, "writing " + missing)) << err;
  EXPECT_TRUE(contains(err, "No such file or directory")) << err;
  err = writeFileAtomically("/dev/full", "x");
  EXPECT_EQ(err, "writing /dev/full: No space left on device");
  err = writeFileAtomically(dir.path, "x");
  EXPECT_TRUE(contains(err, "it is a directory")) << err;
  EXPECT_EQ(writeFileAtomically("/dev/null", "x"), "");
}

// Disk full part way through: the old contents stay, no temporary file.
// A file-size limit makes write() fail with EFBIG once past it (the signal it
// would raise is ignored, as moec does).
TEST(AtomicWrite, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  std::string out = dir.file("out");
  spit(out, "old contents");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    std::string err = writeFileAtomically(out, std::string(1 << 20, 'y'));
    ::_exit(contains(err, "writing " + out + ": File too large") ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the error did not name the file/cause";
  EXPECT_EQ(slurp(out), "old contents");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out"});
}

// Killed in the middle of writing: the target never holds a partial file.
TEST(AtomicWrite, KilledMidWriteLeavesTheOldFile) {
  TempDir dir;
  std::string out = dir.file("out");
  spit(out, "old contents");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicWriteOptions options;
    // Stop inside the write: once the temporary file exists, tell the
    // parent and wait to be killed.
    options.onTempCreated = [&](const std::string &) {
      (void)::write(ready[1], "x", 1);
      ::pause();
    };
    writeFileAtomically(out, std::string(1 << 20, 'y'), options);
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(slurp(out), "old contents");
}

TEST(SameFile, ByDeviceAndInode) {
  TempDir dir;
  spit(dir.file("a"), "x");
  spit(dir.file("b"), "x");
  ASSERT_EQ(::symlink("a", dir.file("sym").c_str()), 0);
  ASSERT_EQ(::link(dir.file("a").c_str(), dir.file("hard").c_str()), 0);
  EXPECT_TRUE(sameFile(dir.file("a"), dir.file("a")));
  EXPECT_TRUE(sameFile(dir.file("a"), dir.file("sym")));
  EXPECT_TRUE(sameFile(dir.file("hard"), dir.file("sym")));
  EXPECT_TRUE(sameFile(dir.file("a"), dir.path + "/./a"));
  EXPECT_FALSE(sameFile(dir.file("a"), dir.file("b")));
  EXPECT_FALSE(sameFile(dir.file("a"), dir.file("missing")));
  EXPECT_FALSE(sameFile("-", "-"));
}

TEST(ReadInput, BoundedAndNoDevices) {
  TempDir dir;
  std::string text;
  spit(dir.file("small"), "hello");
  EXPECT_EQ(readInputFile(dir.file("small"), text), "");
  EXPECT_EQ(text, "hello");
  std::string err = readInputFile("/dev/zero", text);
  EXPECT_EQ(err, "/dev/zero: is a character device, not a file to read");
  EXPECT_TRUE(text.empty());
  err = readInputFile(dir.path, text);
  EXPECT_TRUE(contains(err, "is a directory")) << err;
  err = readInputFile(dir.file("small"), text, 4);
  EXPECT_TRUE(contains(err, "is 5 bytes, more than the 4 bytes")) << err;
  err = readInputFile(dir.file("missing"), text);
  EXPECT_EQ(err, "cannot open input file '" + dir.file("missing") +
                     "': No such file or directory");
  EXPECT_EQ(checkReadableInput("/dev/urandom"),
            "/dev/urandom: is a character device, not a file to read");
}

} // namespace
