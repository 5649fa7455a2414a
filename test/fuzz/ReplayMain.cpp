//===- ReplayMain.cpp - run fuzz targets over corpora without libFuzzer ---===//
//
//   moec-fuzz-replay TARGET FILE_OR_DIR...
//
// Runs the target on every file (directories: every file in them), so the
// seed and regression corpora run in every build, with or without
// sanitizers. Prints how many inputs ran; a crash is the test's failure.
//
//===----------------------------------------------------------------------===//
#include "FuzzTargets.h"

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

void collect(const std::string &path, std::vector<std::string> &files) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    files.push_back(path);
    return;
  }
  if (DIR *d = ::opendir(path.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        collect(path + "/" + name, files);
    }
    ::closedir(d);
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: moec-fuzz-replay TARGET FILE_OR_DIR...\n"
                         "targets: mlir-gfx942 mlir-sm_90 mlir-host "
                         "codeobject tuning\n");
    return 2;
  }
  moec::fuzz::Target target = moec::fuzz::lookup(argv[1]);
  if (!target) {
    std::fprintf(stderr, "moec-fuzz-replay: no target '%s'\n", argv[1]);
    return 2;
  }
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i)
    collect(argv[i], files);
  if (files.empty()) {
    std::fprintf(stderr, "moec-fuzz-replay: no inputs\n");
    return 2;
  }
  for (const std::string &f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string bytes = ss.str();
    target(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  }
  std::printf("moec-fuzz-replay %s: %zu inputs, no crash\n", argv[1],
              files.size());
  return 0;
}
