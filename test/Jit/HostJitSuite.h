//===- HostJitSuite.h - a test suite over one host Jit cache -----*- C++ -*-===//
//
// The fused_moe test suites give each test a host Jit over one kernel cache
// directory shared by the whole suite (later tests load from disk what
// earlier ones compiled), made under the temp directory and removed after
// the suite. `Suite` names the directory: Suite::kCachePrefix.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TEST_JIT_HOSTJITSUITE_H
#define MOEC_TEST_JIT_HOSTJITSUITE_H

#include "moec/Jit/Jit.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace moec::test {

template <class Suite> class HostJitSuite : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string tmpl = (std::filesystem::temp_directory_path() /
                        (std::string(Suite::kCachePrefix) + "-XXXXXX"))
                           .string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir() = tmpl;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(dir(), ec);
  }
  void SetUp() override {
    jit::JitOptions o;
    o.cache.directory = dir();
    auto j = jit::Jit::create("host", o);
    ASSERT_TRUE(j.ok()) << j.message();
    jit = std::move(*j);
  }

  /// The suite's cache directory.
  static std::string &dir() {
    static std::string d;
    return d;
  }
  std::unique_ptr<jit::Jit> jit;
};

} // namespace moec::test

#endif // MOEC_TEST_JIT_HOSTJITSUITE_H
