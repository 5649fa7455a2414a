//===- TuningTest.cpp - lib/Tuning: DB files, shape log, spaces, tuner ----===//

#include "moec/Tuning/ModelConfig.h"
#include "moec/Tuning/SearchSpace.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/Tuner.h"
#include "moec/Tuning/TuningDB.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace moec::tuning;

namespace {

/// A fresh directory under the system temp dir, removed at the end.
struct TempDir {
  llvm::SmallString<128> path;
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("moec-tuning", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
};

std::string slurp(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  return buf ? (*buf)->getBuffer().str() : std::string();
}

ConfigFile parseOk(llvm::StringRef text) {
  auto f = parseConfigFile(text, "test.json");
  EXPECT_TRUE(static_cast<bool>(f)) << (f ? "" : llvm::toString(f.takeError()));
  return f ? std::move(*f) : ConfigFile{};
}

//===----------------------------------------------------------------------===//
// Config files
//===----------------------------------------------------------------------===//

TEST(TuningDB, WritesWhatVllmWrites) {
  ConfigFile f;
  f.meta.emplace_back("triton_version", "3.1.0");
  Candidate c;
  c.blockM = 16, c.blockN = 64, c.blockK = 128, c.groupM = 1;
  // Inserted out of order: written ascending, as vLLM's batch sizes are.
  f.put(64, toEntry(c, TargetFamily::NVIDIA, EntryFlavor::VllmMoe));
  f.put(1, toEntry(c, TargetFamily::NVIDIA, EntryFlavor::VllmMoe));
  EXPECT_EQ(printConfigFile(f), R"({
    "triton_version": "3.1.0",
    "1": {
        "BLOCK_SIZE_M": 16,
        "BLOCK_SIZE_N": 64,
        "BLOCK_SIZE_K": 128,
        "GROUP_SIZE_M": 1,
        "num_warps": 4,
        "num_stages": 2
    },
    "64": {
        "BLOCK_SIZE_M": 16,
        "BLOCK_SIZE_N": 64,
        "BLOCK_SIZE_K": 128,
        "GROUP_SIZE_M": 1,
        "num_warps": 4,
        "num_stages": 2
    }
}
)");
  // AMD entries carry the ROCm extras, in vLLM's sort_config order.
  TuningEntry amd = toEntry(c, TargetFamily::AMD, EntryFlavor::VllmMoe);
  std::vector<std::string> keys;
  for (auto &f2 : amd.fields)
    keys.push_back(f2.first);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "BLOCK_SIZE_M", "BLOCK_SIZE_N", "BLOCK_SIZE_K",
                      "GROUP_SIZE_M", "num_warps", "num_stages",
                      "waves_per_eu", "matrix_instr_nonkdim", "kpack"}));
}

TEST(TuningDB, RoundTripKeepsUnknownKeysAndOrder) {
  const char *text = R"({
    "triton_version": "3.2.0",
    "8": {
        "BLOCK_SIZE_M": 16,
        "BLOCK_SIZE_N": 32,
        "BLOCK_SIZE_K": 64,
        "GROUP_SIZE_M": 1,
        "num_warps": 4,
        "num_stages": 2,
        "SPLIT_K": 1,
        "waves_per_eu": 0,
        "matrix_instr_nonkdim": 16,
        "kpack": 2,
        "USE_TMA": true,
        "note": "x\"y"
    },
    "2": {
        "BLOCK_SIZE_M": 32,
        "BLOCK_SIZE_N": 32,
        "BLOCK_SIZE_K": 64,
        "GROUP_SIZE_M": 1,
        "num_warps": 4,
        "num_stages": 2,
        "ratio": 0.5
    }
}
)";
  ConfigFile f = parseOk(text);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].first, 8); // file order kept
  EXPECT_EQ(printConfigFile(f), text);
  auto c = fromEntry(f.entries[0].second);
  ASSERT_TRUE(static_cast<bool>(c));
  EXPECT_EQ(c->kpack, 2);
  EXPECT_EQ(c->blockK, 64);
}

TEST(TuningDB, NearestMAsVllm) {
  ConfigFile f = parseOk(R"({"1": {"BLOCK_SIZE_M": 1}, "4": {"BLOCK_SIZE_M": 4},
      "16": {"BLOCK_SIZE_M": 16}, "64": {"BLOCK_SIZE_M": 64}})");
  int64_t k = -1;
  auto pick = [&](int64_t m) {
    f.nearest(m, &k);
    return k;
  };
  EXPECT_EQ(pick(1), 1);
  EXPECT_EQ(pick(3), 4);
  EXPECT_EQ(pick(10), 4);   // |10-4| == |16-10|: the first in file order
  EXPECT_EQ(pick(11), 16);
  EXPECT_EQ(pick(40), 16);  // tie again
  EXPECT_EQ(pick(1 << 20), 64);
  EXPECT_EQ(pick(0), 1);
  // File order decides ties, not numeric order (Python's min over the dict).
  ConfigFile g = parseOk(R"({"16": {"BLOCK_SIZE_M": 16}, "4": {"BLOCK_SIZE_M": 4}})");
  g.nearest(10, &k);
  EXPECT_EQ(k, 16);
  EXPECT_EQ(ConfigFile{}.nearest(5), nullptr);
}

TEST(TuningDB, BadFilesNameTheProblem) {
  auto e = parseConfigFile("[1, 2]", "a.json");
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError()).find("a.json: expected a JSON object"),
            std::string::npos);
  e = parseConfigFile(R"({"4": 7})", "b.json");
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError()).find("\"4\" is not an object"),
            std::string::npos);
  e = parseConfigFile("{", "c.json");
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError()).find("c.json: not JSON"),
            std::string::npos);
}

TEST(TuningDB, FileNames) {
  ConfigFileKey k;
  k.dims = {{"E", 256}, {"N", 256}};
  k.deviceName = fileDeviceName("AMD Instinct MI300X");
  k.dtype = "fp8_w8a8";
  k.blockShape = {128, 128};
  EXPECT_EQ(configFileName(k),
            "E=256,N=256,device_name=AMD_Instinct_MI300X,dtype=fp8_w8a8,"
            "block_shape=[128,128].json");
  EXPECT_EQ(configFileName(k, FileStyle::Sglang),
            "E=256,N=256,device_name=AMD_Instinct_MI300X,dtype=fp8_w8a8,"
            "block_shape=[128, 128].json");
  for (FileStyle s : {FileStyle::Vllm, FileStyle::Sglang}) {
    auto back = parseConfigFileName(configFileName(k, s));
    ASSERT_TRUE(back.has_value());
    EXPECT_TRUE(*back == k);
  }
  // A zero in the block shape means none (vLLM: `not all(block_shape)`).
  k.blockShape = {0, 128};
  EXPECT_EQ(configFileName(k),
            "E=256,N=256,device_name=AMD_Instinct_MI300X,dtype=fp8_w8a8.json");
  ConfigFileKey plain;
  plain.dims = {{"E", 8}, {"N", 14336}};
  plain.deviceName = fileDeviceName("NVIDIA H100 80GB HBM3");
  EXPECT_EQ(configFileName(plain),
            "E=8,N=14336,device_name=NVIDIA_H100_80GB_HBM3.json");
  EXPECT_EQ(vllmDeviceName("NVIDIA H200 NVL"), "NVIDIA_H200");
  EXPECT_EQ(vllmDeviceName("NVIDIA H200"), "NVIDIA_H200");
  EXPECT_EQ(vllmDeviceName("NVIDIA H100 80GB HBM3"), "NVIDIA_H100_80GB_HBM3");
  auto sg = parseConfigFileName(
      "E=64,N=640,device_name=NVIDIA_GeForce_RTX_4090,dtype=fp8_w8a8,"
      "per_channel_quant=True_down.json");
  ASSERT_TRUE(sg.has_value());
  EXPECT_TRUE(sg->perChannelQuant);
  EXPECT_TRUE(sg->down);
  EXPECT_EQ(sg->dtype, "fp8_w8a8");
  EXPECT_FALSE(parseConfigFileName("notes.json").has_value());
  EXPECT_FALSE(parseConfigFileName("E=8,N=x,device_name=A.json").has_value());
  ConfigFileKey gemm;
  gemm.op = "gemm";
  gemm.dims = {{"N", 4096}, {"K", 4096}};
  gemm.deviceName = "NVIDIA_H100_80GB_HBM3";
  gemm.dtype = "bf16";
  gemm.layout = "nt";
  EXPECT_EQ(configFileName(gemm), "op=gemm,N=4096,K=4096,device_name=NVIDIA_"
                                  "H100_80GB_HBM3,dtype=bf16,layout=nt.json");
  EXPECT_TRUE(*parseConfigFileName(configFileName(gemm)) == gemm);
}

TEST(TuningDB, LookupFirstDirectoryWinsAndMissesAreSaidOnce) {
  TempDir a, b;
  ConfigFileKey key;
  key.dims = {{"E", 8}, {"N", 7168}};
  key.deviceName = "Dev";
  ConfigFile fa, fb;
  TuningEntry ea, eb;
  ea.set("BLOCK_SIZE_M", 16);
  eb.set("BLOCK_SIZE_M", 128);
  fa.put(1, ea);
  fb.put(1, eb);
  ASSERT_FALSE(static_cast<bool>(writeConfigFile(b.file(configFileName(key)), fb)));
  TuningDB db({std::string(a.path), std::string(b.path)});
  std::vector<std::string> log;
  db.setLogSink([&](llvm::StringRef s) { log.push_back(s.str()); });
  auto r = db.lookup(key, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->entry.getInt("BLOCK_SIZE_M"), 128); // only b has it
  // Files are cached once read: a new file in a is seen by a new DB.
  ASSERT_FALSE(static_cast<bool>(writeConfigFile(a.file(configFileName(key)), fa)));
  TuningDB db2({std::string(a.path), std::string(b.path)});
  EXPECT_EQ(db2.lookup(key, 4)->entry.getInt("BLOCK_SIZE_M"), 16);
  EXPECT_EQ(db2.lookup(key, 4)->path, a.file(configFileName(key)));

  ConfigFileKey missing = key;
  missing.dims[0].second = 16;
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(db.lookupOrReport(missing, 4, "block_m 64").has_value());
  EXPECT_FALSE(db.lookupOrReport(missing, 5, "block_m 64").has_value());
  ASSERT_EQ(log.size(), 2u); // once per shape
  EXPECT_NE(log[0].find("no tuned config for M=4 in E=16,N=7168,device_name=Dev.json"),
            std::string::npos);
  EXPECT_NE(log[0].find("using block_m 64"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Shape log
//===----------------------------------------------------------------------===//

ShapeRecord gemmRecord(int64_t m) {
  ShapeRecord r;
  r.op = "gemm";
  r.shape = {{"M", m}, {"N", 4096}, {"K", 4096}};
  r.dtypes = {"bf16", "bf16", "bf16"};
  r.attrs = {{"layout", "nt"}};
  r.target = "sm_90";
  r.device = "NVIDIA H100 80GB HBM3";
  return r;
}

TEST(ShapeLog, RoundTrip) {
  TempDir d;
  std::string path = d.file("shapes.jsonl");
  auto log = ShapeLog::open(path);
  ASSERT_TRUE(static_cast<bool>(log));
  EXPECT_TRUE(*(*log)->record(gemmRecord(1)));
  EXPECT_FALSE(*(*log)->record(gemmRecord(1)));
  EXPECT_TRUE(*(*log)->record(gemmRecord(2)));
  auto back = readShapeLog(path);
  ASSERT_TRUE(static_cast<bool>(back));
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE((*back)[0] == gemmRecord(1));
  EXPECT_EQ((*back)[1].dim("M"), 2);
  EXPECT_EQ((*back)[1].attr("layout"), "nt");
  // A second log on the same file sees what is there and adds nothing.
  auto again = ShapeLog::open(path);
  EXPECT_FALSE(*(*again)->record(gemmRecord(2)));
  EXPECT_EQ(readShapeLog(path)->size(), 2u);
}

TEST(ShapeLog, ManyThreadsWriteEachRecordOnce) {
  TempDir d;
  std::string path = d.file("shapes.jsonl");
  auto log = ShapeLog::open(path);
  ASSERT_TRUE(static_cast<bool>(log));
  ShapeLog *l = log->get();
  std::atomic<int> appended{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i)
        if (*l->record(gemmRecord((i * 7 + t) % 50)))
          ++appended;
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(appended.load(), 50);
  auto back = readShapeLog(path);
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->size(), 50u);
  // Every line is whole and distinct.
  std::string text = slurp(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 50);
}

TEST(ShapeLog, ManyProcessesWriteEachRecordOnce) {
  TempDir d;
  std::string path = d.file("shapes.jsonl");
  const int procs = 6;
  std::vector<pid_t> pids;
  for (int p = 0; p < procs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Each child: the 40 shared records, in its own order, and 5 of its own.
      auto log = ShapeLog::open(path);
      if (!log)
        _exit(2);
      for (int i = 0; i < 40; ++i)
        if (!(*log)->record(gemmRecord((i * 13 + p * 5) % 40)))
          _exit(3);
      for (int i = 0; i < 5; ++i)
        if (!(*log)->record(gemmRecord(1000 + p * 10 + i)))
          _exit(3);
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::string text = slurp(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 40 + procs * 5);
  auto back = readShapeLog(path);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->size(), size_t(40 + procs * 5));
}

TEST(ShapeLog, ReaderSkipsATornLastLineAndNamesBadOnes) {
  TempDir d;
  std::string path = d.file("shapes.jsonl");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << gemmRecord(1).toJson() << "\n" << "{\"op\": \"ge";
  }
  auto back = readShapeLog(path);
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_EQ(back->size(), 1u);
  // A writer after the torn line starts a fresh line.
  auto log = ShapeLog::open(path);
  EXPECT_TRUE(*(*log)->record(gemmRecord(2)));
  back = readShapeLog(path);
  ASSERT_FALSE(static_cast<bool>(back)); // the torn line is now mid-file
  EXPECT_NE(llvm::toString(back.takeError()).find("shapes.jsonl:2: not JSON"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Search space
//===----------------------------------------------------------------------===//

TEST(SearchSpace, DefaultsAreTheProductOfTheirAxes) {
  for (TargetFamily f :
       {TargetFamily::AMD, TargetFamily::NVIDIA, TargetFamily::Host}) {
    auto s = SearchSpace::defaults("gemm", f, "full");
    ASSERT_TRUE(static_cast<bool>(s));
    auto cands = s->enumerate();
    EXPECT_EQ(cands.size(), s->size());
    std::set<std::string> keys;
    for (const Candidate &c : cands) {
      keys.insert(c.key());
      auto back = Candidate::fromKey(c.key());
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(back->key(), c.key());
    }
    EXPECT_EQ(keys.size(), cands.size());
  }
  // The AMD space holds every value the issue names.
  auto amd = SearchSpace::defaults("gemm", TargetFamily::AMD, "full");
  std::map<std::string, std::vector<int64_t>> axes(amd->axes.begin(),
                                                   amd->axes.end());
  EXPECT_EQ(axes["waves_per_eu"], (std::vector<int64_t>{0, 1, 2, 4}));
  EXPECT_EQ(axes["matrix_instr_nonkdim"], (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(axes["kpack"], (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(axes["block_m"], (std::vector<int64_t>{16, 32, 64, 128, 256}));
  auto nv = SearchSpace::defaults("gemm", TargetFamily::NVIDIA, "full");
  std::map<std::string, std::vector<int64_t>> nvAxes(nv->axes.begin(),
                                                     nv->axes.end());
  EXPECT_EQ(nvAxes["async_copy"], (std::vector<int64_t>{0, 1}));
}

TEST(SearchSpace, FromJson) {
  auto s = SearchSpace::fromJson(
      R"({"block_m": [16, 32], "epilogue": ["direct", "lds"], "kpack": [2]})",
      "space.json");
  ASSERT_TRUE(static_cast<bool>(s));
  auto c = s->enumerate();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].kpack, 2);
  EXPECT_TRUE(c[1].ldsEpilogue || c[2].ldsEpilogue);
  auto bad = SearchSpace::fromJson(R"({"block_q": [1]})", "space.json");
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("space.json: unknown axis 'block_q'"),
            std::string::npos);
}

// A space that lists only group_m > 1 (as benchmarks/tune/*.json and the
// online tuner's small space do) must still have candidates for a decode M:
// a group wider than the rows is the group_m = 1 kernel, folded, not dropped.
TEST(SearchSpace, WideGroupFoldsToOneForSmallM) {
  std::vector<Candidate> only8;
  for (int64_t bm : {16, 32, 64}) {
    Candidate c;
    c.blockM = bm, c.blockN = 64, c.blockK = 64, c.groupM = 8;
    only8.push_back(c);
  }
  std::map<std::string, int> dropped;
  auto kept = pruneForShape(only8, {16, 4096, 4096}, TargetFamily::NVIDIA,
                            &dropped);
  ASSERT_FALSE(kept.empty());
  for (const Candidate &c : kept)
    EXPECT_EQ(c.groupM, 1);
  // M = 512 with block_m 16: 32 row tiles, group 8 fits and is kept.
  auto big = pruneForShape(only8, {512, 4096, 4096}, TargetFamily::NVIDIA);
  ASSERT_EQ(big.size(), only8.size());
  for (const Candidate &c : big)
    EXPECT_EQ(c.groupM, 8);
}

TEST(SearchSpace, PruneForShape) {
  auto s = SearchSpace::defaults("gemm", TargetFamily::AMD, "full");
  auto all = s->enumerate();
  std::map<std::string, int> dropped;
  // Decode: M = 8. Only the smallest tile in M, no 32-wide MFMA, no group_m.
  auto decode = pruneForShape(all, {8, 4096, 4096}, TargetFamily::AMD, &dropped);
  ASSERT_FALSE(decode.empty());
  for (const Candidate &c : decode) {
    EXPECT_EQ(c.blockM, 16);
    EXPECT_EQ(c.nonKDim, 16);
    EXPECT_EQ(c.groupM, 1);
  }
  EXPECT_GT(dropped["mfma wider than the problem"], 0);
  // Large: no tile under 64.
  auto large = pruneForShape(all, {4096, 4096, 4096}, TargetFamily::AMD);
  ASSERT_FALSE(large.empty());
  for (const Candidate &c : large) {
    EXPECT_GE(c.blockM, 64);
    EXPECT_GE(c.blockN, 64);
  }
  EXPECT_LT(large.size(), all.size());
  // NVIDIA ignores the MFMA rules.
  auto nv = SearchSpace::defaults("gemm", TargetFamily::NVIDIA, "full");
  auto nvDecode = pruneForShape(nv->enumerate(), {8, 4096, 4096},
                                TargetFamily::NVIDIA);
  for (const Candidate &c : nvDecode)
    EXPECT_EQ(c.blockM, 16);
  EXPECT_FALSE(nvDecode.empty());
  // NVIDIA: no tile with 256 or more f32 accumulators per thread (it
  // cannot fit 255 registers); 128 (128x128 on 4 warps) is kept. AMD
  // (512 VGPRs with the AGPRs) leaves that to the code object's check.
  std::map<std::string, int> nvDropped;
  auto nvLarge = pruneForShape(nv->enumerate(), {4096, 4096, 4096},
                               TargetFamily::NVIDIA, &nvDropped);
  bool has128x128w4 = false;
  for (const Candidate &c : nvLarge) {
    EXPECT_LT(c.blockM * c.blockN / (32 * c.numWarps), 256) << c.key();
    has128x128w4 |= c.blockM == 128 && c.blockN == 128 && c.numWarps == 4;
  }
  EXPECT_TRUE(has128x128w4);
  EXPECT_GT(nvDropped["accumulators over the register file"], 0);
  bool amdKeeps256 = false;
  for (const Candidate &c : large)
    amdKeeps256 |= c.blockM == 256 && c.blockN == 256 && c.numWarps == 4;
  EXPECT_TRUE(amdKeeps256);
}

// Seeds (a fixed config list) lead the candidates, are not repeated when the
// axes also hold them, are kept when the axes do not, and are pruned for the
// shape by the same rules.
TEST(SearchSpace, SeedsComeFirst) {
  auto s = SearchSpace::fromJson(
      R"({"block_m": [64, 128], "block_n": [64], "num_warps": [4],
          "seeds": [{"block_m": 128, "block_n": 64},
                    {"block_m": 256, "block_n": 128, "num_warps": 8,
                     "async_copy": 1},
                    {"block_m": 16, "block_n": 16}]})",
      "seeded.json");
  ASSERT_TRUE(static_cast<bool>(s)) << llvm::toString(s.takeError());
  ASSERT_EQ(s->seeds.size(), 3u);
  EXPECT_TRUE(s->seeds[1].asyncCopy);
  size_t seeds = 0;
  auto cands = candidatesForShape(*s, {4096, 4096, 4096}, TargetFamily::NVIDIA,
                                  &seeds);
  // The 16x16 seed is a small tile on a large problem: pruned.
  ASSERT_EQ(seeds, 2u);
  ASSERT_EQ(cands.size(), 3u); // 2 seeds + m64n64 (m128n64 is a seed)
  EXPECT_EQ(cands[0].key(), s->seeds[0].key());
  EXPECT_EQ(cands[1].key(), s->seeds[1].key());
  EXPECT_EQ(cands[2].blockM, 64);
  auto bad = SearchSpace::fromJson(R"({"block_m": [16], "seeds": [{"blok_m": 1}]})",
                                   "s.json");
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("s.json: seed 0: unknown parameter 'blok_m'"),
            std::string::npos);
  // The NVIDIA defaults carry the fixed list of benchmarks/run_moec_gemm.sh.
  auto nv = SearchSpace::defaults("gemm", TargetFamily::NVIDIA, "full");
  EXPECT_EQ(nv->seeds.size(), 14u);
}

//===----------------------------------------------------------------------===//
// Model front end
//===----------------------------------------------------------------------===//

TEST(ModelConfig, Layouts) {
  auto mix = deriveMoeShape(R"({"architectures": ["MixtralForCausalLM"],
      "hidden_size": 4096, "intermediate_size": 14336, "num_local_experts": 8,
      "num_experts_per_tok": 2})", "mixtral", 2, 1);
  ASSERT_TRUE(static_cast<bool>(mix));
  EXPECT_EQ(mix->experts, 8);
  EXPECT_EQ(mix->w13N(), 14336);
  EXPECT_EQ(mix->w2K(), 7168);
  EXPECT_EQ(mix->fileN(), 7168);
  auto ds = deriveMoeShape(R"({"architectures": ["DeepseekV3ForCausalLM"],
      "hidden_size": 7168, "moe_intermediate_size": 2048, "n_routed_experts": 256,
      "num_experts_per_tok": 8, "quantization_config": {"weight_block_size": [128, 128]}})",
                           "dsv3", 1, 8);
  ASSERT_TRUE(static_cast<bool>(ds));
  EXPECT_EQ(ds->experts, 32);
  EXPECT_EQ(ds->w13N(), 4096);
  EXPECT_EQ(ds->blockShape, (std::pair<int64_t, int64_t>{128, 128}));
  auto vl = deriveMoeShape(R"({"architectures": ["Qwen3VLMoeForConditionalGeneration"],
      "text_config": {"hidden_size": 2048, "moe_intermediate_size": 768,
      "num_experts": 128, "num_experts_per_tok": 8}})", "qwen3vl", 2, 1);
  ASSERT_TRUE(static_cast<bool>(vl));
  EXPECT_EQ(vl->w13N(), 768);
  auto bad = deriveMoeShape(R"({"architectures": ["MixtralForCausalLM"],
      "hidden_size": 4096, "num_local_experts": 8, "num_experts_per_tok": 2})",
                            "m.json", 1, 1);
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("m.json: no expert intermediate size (intermediate_size)"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// The tuner, with hooks that stand in for a compiler and a device
//===----------------------------------------------------------------------===//

/// A fake device: each candidate's time is a function of its block sizes;
/// some candidates spill, some give wrong results, some do not compile.
struct FakeDevice {
  std::set<std::string> spills, wrong, rejects;
  std::map<std::string, int> compiles, timings, verifies;
  /// Per candidate, the (warmup, repeat) of each measurement, in order.
  std::map<std::string, std::vector<std::pair<int, int>>> calls;
  /// Replaces timeOf: the measured time for a candidate at `repeat`.
  std::function<double(const Candidate &, int repeat)> measure;
  std::mutex mutex;

  static double timeOf(const Candidate &c) {
    return 100.0 / c.blockM + 200.0 / c.blockN + c.blockK * 0.01;
  }
  TunerHooks hooks() {
    TunerHooks h;
    h.compile = [this](const ShapeRecord &, const Candidate &c)
        -> llvm::Expected<CompiledCandidate> {
      std::lock_guard<std::mutex> lock(mutex);
      ++compiles[c.key()];
      if (rejects.count(c.key()))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "verifier: block too large");
      CompiledCandidate cc;
      cc.resources.known = true;
      cc.resources.vgprSpills = spills.count(c.key()) ? 12 : 0;
      cc.resources.wavesPerSimd = 2;
      return cc;
    };
    h.time = [this](const ShapeRecord &, const Candidate &c,
                    CompiledCandidate &, int warmup,
                    int repeat) -> llvm::Expected<double> {
      ++timings[c.key()];
      calls[c.key()].push_back({warmup, repeat});
      return measure ? measure(c, repeat) : timeOf(c);
    };
    h.verify = [this](const ShapeRecord &, const Candidate &c,
                      CompiledCandidate &) -> llvm::Error {
      ++verifies[c.key()];
      if (wrong.count(c.key()))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "wrong result");
      return llvm::Error::success();
    };
    return h;
  }
};

std::vector<Candidate> smallSpace() {
  SearchSpace s;
  s.axes = {{"block_m", {16, 32, 64}}, {"block_n", {16, 32, 64}},
            {"block_k", {16, 32}}};
  return s.enumerate();
}

Candidate cand(int64_t m, int64_t n, int64_t k) {
  Candidate c;
  c.blockM = m, c.blockN = n, c.blockK = k;
  return c;
}

TEST(Tuner, SpillingAndWrongCandidatesAreNeverChosen) {
  FakeDevice dev;
  // The two fastest: one spills, one is wrong. The third is the winner.
  dev.spills.insert(cand(64, 64, 16).key());
  dev.wrong.insert(cand(64, 64, 32).key());
  dev.rejects.insert(cand(16, 16, 16).key());
  TunerOptions opts;
  opts.threads = 2;
  opts.retimeTop = 3;
  Tuner tuner(dev.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), smallSpace());
  ASSERT_TRUE(static_cast<bool>(r));
  ASSERT_TRUE(r->best.has_value());
  EXPECT_EQ(r->best->key(), cand(32, 64, 16).key());
  EXPECT_EQ(r->spilled, 1);
  EXPECT_EQ(r->wrong, 1);
  EXPECT_EQ(r->rejected, 1);
  EXPECT_EQ(r->compiled, 18);
  EXPECT_TRUE(r->complete);
  // The spilling candidate was compiled but never timed.
  EXPECT_EQ(dev.compiles[cand(64, 64, 16).key()], 1);
  EXPECT_EQ(dev.timings.count(cand(64, 64, 16).key()), 0u);
  EXPECT_EQ(dev.verifies[cand(64, 64, 32).key()], 1);
  // Clearly slower candidates got only the short measurement.
  EXPECT_GT(r->cut, 0);
  EXPECT_EQ(r->timed + r->cut + r->spilled + r->rejected, 18);
}

TEST(Tuner, AnOccupancyHintTheCodeObjectMissesIsNotTimed) {
  FakeDevice dev;
  std::vector<Candidate> cands;
  for (int64_t w : {0, 2, 4}) {
    Candidate c = cand(64, 64, 16);
    c.wavesPerEU = w;
    cands.push_back(c);
  }
  Tuner tuner(dev.hooks(), TunerOptions{});
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), cands);
  ASSERT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r->spilled, 1); // waves_per_eu 4, but 2 fit
  EXPECT_EQ(dev.timings.count(cands[2].key()), 0u);
  EXPECT_EQ(dev.timings.count(cands[1].key()), 1u);
}

TEST(Tuner, ResumeRedoesOnlyWhatTheJournalLacks) {
  TempDir d;
  FakeDevice first;
  TunerOptions opts;
  opts.threads = 2;
  opts.journalPath = d.file("journal.jsonl");
  {
    Tuner tuner(first.hooks(), opts);
    ASSERT_FALSE(static_cast<bool>(tuner.open()));
    ASSERT_TRUE(static_cast<bool>(tuner.tuneShape(gemmRecord(64), smallSpace())));
  }
  // Cut the journal after 7 candidate records, as a kill would.
  std::string text = slurp(opts.journalPath);
  size_t pos = 0;
  for (int i = 0; i < 7; ++i)
    pos = text.find('\n', pos) + 1;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(opts.journalPath, ec);
    os << text.substr(0, pos) << "{\"shape\": \"torn"; // and a torn line
  }
  FakeDevice second;
  opts.resume = true;
  Tuner tuner(second.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), smallSpace());
  ASSERT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r->fromJournal, 7);
  EXPECT_EQ(r->compiled, 11);
  EXPECT_EQ(r->best->key(), cand(64, 64, 16).key());
  // A finished shape is not tuned again at all.
  FakeDevice third;
  Tuner again(third.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(again.open()));
  auto r2 = again.tuneShape(gemmRecord(64), smallSpace());
  ASSERT_TRUE(static_cast<bool>(r2));
  EXPECT_EQ(r2->compiled, 0);
  EXPECT_TRUE(third.compiles.empty());
  EXPECT_EQ(r2->best->key(), cand(64, 64, 16).key());
}

TEST(Tuner, BudgetStopsEarly) {
  FakeDevice dev;
  TunerHooks h = dev.hooks();
  auto slowTime = h.time;
  h.time = [&](const ShapeRecord &s, const Candidate &c, CompiledCandidate &cc,
               int w, int r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return slowTime(s, c, cc, w, r);
  };
  TunerOptions opts;
  opts.threads = 2;
  opts.budgetSeconds = 0.1;
  Tuner tuner(h, opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), smallSpace());
  ASSERT_TRUE(static_cast<bool>(r));
  EXPECT_FALSE(r->complete);
  EXPECT_LT(r->timed + r->cut, 18);
  EXPECT_TRUE(r->best.has_value()); // the best of what was timed
}

// The first pass cuts what is clearly slower than the best so far; a cut
// candidate is measured once and never again, and so is one that is over the
// cut once the pass is over. The survivors are halved round by round with
// more launches each round; the finalists get the full warm-up and repeat.
TEST(Tuner, CutCandidatesAreNeverRetimed) {
  FakeDevice dev;
  TunerOptions opts;
  opts.threads = 2;
  opts.quickRepeat = 3;
  opts.warmup = 4;
  opts.repeat = 12;
  opts.finalPasses = 3;
  opts.cutFactor = 1.7;
  opts.retimeTop = 2;
  Tuner tuner(dev.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  // Fastest first: the cut is tight from the first candidate on.
  std::vector<Candidate> cands = smallSpace();
  std::reverse(cands.begin(), cands.end());
  auto r = tuner.tuneShape(gemmRecord(64), cands);
  ASSERT_TRUE(static_cast<bool>(r));
  double best = 1e30;
  for (const Candidate &c : cands)
    best = std::min(best, FakeDevice::timeOf(c));
  int over = 0, survivors = 0, retimed = 0;
  for (const Candidate &c : cands) {
    const auto &calls = dev.calls[c.key()];
    ASSERT_FALSE(calls.empty()) << c.key();
    EXPECT_EQ(calls.front(), (std::pair<int, int>{1, 3})) << c.key();
    if (FakeDevice::timeOf(c) > 1.7 * best) {
      ++over;
      EXPECT_EQ(calls.size(), 1u) << c.key() << " was re-timed after the cut";
    } else {
      ++survivors;
      retimed += calls.size() > 1;
    }
  }
  EXPECT_GT(over, 0);
  EXPECT_EQ(survivors, 6); // enough for two halving rounds: 6 -> 3 -> 2
  EXPECT_EQ(retimed, 3);
  // Launches grew round by round: 3 (first pass), 6, 12 (the final round
  // in 3 passes of 4).
  EXPECT_EQ(dev.calls[cand(64, 64, 32).key()][1], (std::pair<int, int>{1, 6}));
  EXPECT_EQ(r->cut, over);
  EXPECT_EQ(r->timed, survivors);
  EXPECT_EQ(r->timed + r->cut, 18);
  EXPECT_EQ(r->rounds, 3); // two halving rounds and the final one
  EXPECT_EQ(r->finalists, 2);
  // The finalists: the final round's passes, the first with the full
  // warm-up, each of repeat / passes launches; repeats grew round by round.
  ASSERT_TRUE(r->best.has_value());
  const auto &bc = dev.calls[r->best->key()];
  ASSERT_GE(bc.size(), 4u);
  EXPECT_EQ(bc[bc.size() - 3], (std::pair<int, int>{4, 4}));
  EXPECT_EQ(bc.back(), (std::pair<int, int>{1, 4}));
  EXPECT_EQ(r->best->key(), cand(64, 64, 16).key());
  EXPECT_DOUBLE_EQ(r->bestUs, FakeDevice::timeOf(cand(64, 64, 16)));
}

// A short first pass is noisy: here it ranks the true best fifth. The
// halving rounds (more launches) and the final round pick the true best, and
// the best seed (the fixed list) is timed in the final round even though
// halving would have dropped it: the result is never slower than it.
TEST(Tuner, HalvingOverNoisePicksTheTrueBestAndKeepsTheBestSeed) {
  FakeDevice dev;
  // True times 10.0 + 0.1 * index; the first pass (3 launches) adds noise
  // that makes the true best look 4.5% slower (fifth of the ten others).
  std::vector<Candidate> cands;
  for (int64_t i = 0; i < 12; ++i) {
    Candidate c = cand(64, 64, 16);
    c.groupM = i + 1; // distinct keys
    cands.push_back(c);
  }
  // Seeds first: two fixed-list configs, true 10.9 and 10.8.
  std::swap(cands[0], cands[9]);
  std::swap(cands[1], cands[8]);
  auto truth = [](const Candidate &c) { return 10.0 + 0.1 * (c.groupM - 1); };
  dev.measure = [&](const Candidate &c, int repeat) {
    double t = truth(c);
    if (repeat <= 3 && c.groupM == 1)
      t *= 1.045;
    if (repeat <= 3 && c.groupM == 9)
      t *= 0.9; // the worse seed looks best in the first pass
    return t;
  };
  TempDir d;
  TunerOptions opts;
  opts.threads = 2;
  opts.quickRepeat = 3;
  opts.repeat = 12;
  opts.retimeTop = 2;
  opts.cutFactor = 1.5;
  opts.journalPath = d.file("journal.jsonl");
  Tuner tuner(dev.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), cands, /*seeds=*/2);
  ASSERT_TRUE(static_cast<bool>(r));
  ASSERT_TRUE(r->best.has_value());
  EXPECT_EQ(r->best->groupM, 1);
  EXPECT_DOUBLE_EQ(r->bestUs, 10.0);
  ASSERT_TRUE(r->bestSeed.has_value());
  // The seed that looked best in the first pass (true 10.8) went to the
  // final round; its final time is what the result is compared with.
  EXPECT_EQ(r->bestSeed->groupM, 9);
  EXPECT_DOUBLE_EQ(r->bestSeedUs, 10.8);
  EXPECT_LE(r->bestUs, r->bestSeedUs);
  EXPECT_EQ(dev.calls[cands[0].key()].back().first, 1);
  EXPECT_EQ(r->finalists, 3); // 2 + the seed
  // A finished shape read back from the journal keeps both results.
  opts.resume = true;
  FakeDevice again;
  Tuner resumed(again.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(resumed.open()));
  auto r2 = resumed.tuneShape(gemmRecord(64), cands, 2);
  ASSERT_TRUE(static_cast<bool>(r2));
  EXPECT_TRUE(again.compiles.empty());
  ASSERT_TRUE(r2->bestSeed.has_value());
  EXPECT_EQ(r2->bestSeed->key(), r->bestSeed->key());
  EXPECT_DOUBLE_EQ(r2->bestSeedUs, 10.8);
  EXPECT_EQ(r2->best->key(), r->best->key());
}

// Every finalist gives a wrong result: the next fastest that passes is
// chosen (from those a halving round dropped); no wrong one ever is.
TEST(Tuner, WrongFinalistsFallBackToTheNextBestThatPasses) {
  FakeDevice dev;
  std::vector<Candidate> cands;
  for (int64_t i = 0; i < 10; ++i) {
    Candidate c = cand(64, 64, 16);
    c.groupM = i + 1;
    cands.push_back(c);
  }
  dev.measure = [](const Candidate &c, int) { return 10.0 + 0.1 * c.groupM; };
  for (int64_t g : {1, 2, 3, 4})
    dev.wrong.insert(cands[g - 1].key());
  TunerOptions opts;
  opts.threads = 2;
  opts.retimeTop = 3;
  Tuner tuner(dev.hooks(), opts);
  ASSERT_FALSE(static_cast<bool>(tuner.open()));
  auto r = tuner.tuneShape(gemmRecord(64), cands);
  ASSERT_TRUE(static_cast<bool>(r));
  ASSERT_TRUE(r->best.has_value());
  EXPECT_EQ(r->best->groupM, 5);
  EXPECT_EQ(r->wrong, 4);
  for (int64_t g : {6, 7, 8, 9, 10})
    EXPECT_EQ(dev.verifies.count(cands[g - 1].key()), 0u);
}

TEST(Tuner, ShardsPartitionTheShapes) {
  std::vector<ShapeRecord> shapes;
  for (int i = 0; i < 7; ++i)
    shapes.push_back(gemmRecord(i + 1));
  std::set<std::string> seen;
  size_t total = 0;
  for (int i = 0; i < 3; ++i)
    for (const ShapeRecord &s : shardSlice(shapes, i, 3)) {
      seen.insert(s.toJson());
      ++total;
    }
  EXPECT_EQ(total, 7u);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(shardSlice(shapes, 1, 3).front().dim("M"), 2);
}

} // namespace
