//===- LdsLayoutTest.cpp - the XOR-swizzled LDS tile layout ---------------===//
//
// The swizzle must be a permutation of each row that keeps every 16-byte
// chunk whole, and it must spread the access patterns of the matrix cores
// over the banks. The bank model: 32 banks of 4 bytes; a wide access is
// served in phases of 128 bytes (16 lanes for 8-byte reads, 8 lanes for
// 16-byte ones), and a phase is conflict-free when no bank is asked for two
// different words.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/LdsLayout.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

using namespace moec;

namespace {

/// The worst number of different words one bank serves within a phase of
/// `lanesPerPhase` lanes; lane l accesses `bytes` bytes at addr[l]. `groups`,
/// when given, lists the lanes of each phase instead.
int64_t worstWays(const std::vector<int64_t> &addr, int64_t bytes,
                  int64_t lanesPerPhase,
                  const std::vector<std::vector<int>> &groups = {}) {
  std::vector<std::vector<int>> phases = groups;
  if (phases.empty())
    for (size_t l = 0; l < addr.size(); l += lanesPerPhase) {
      phases.emplace_back();
      for (int64_t i = 0; i < lanesPerPhase && l + i < addr.size(); ++i)
        phases.back().push_back(l + i);
    }
  int64_t worst = 0;
  for (const auto &phase : phases) {
    std::map<int64_t, std::set<int64_t>> words; // bank -> word addresses
    for (int l : phase)
      for (int64_t w = addr[l] / 4; w < (addr[l] + bytes) / 4; ++w)
        words[w % 32].insert(w);
    for (auto &[bank, ws] : words)
      worst = std::max<int64_t>(worst, ws.size());
  }
  return worst;
}

TEST(LdsLayout, PermutesChunksWithinEachRow) {
  for (int64_t eltBytes : {1, 2, 4})
    for (int64_t rowElems : {8, 16, 24, 32, 48, 64, 96, 128, 256}) {
      LdsSwizzle s = LdsSwizzle::get(rowElems, eltBytes);
      for (int64_t row = 0; row < 64; ++row) {
        std::set<int64_t> seen;
        for (int64_t c = 0; c < rowElems; ++c) {
          int64_t to = s.col(row, c);
          ASSERT_GE(to, 0);
          ASSERT_LT(to, rowElems) << rowElems << " x " << eltBytes;
          // Bytes within a chunk stay in order.
          EXPECT_EQ(to % s.chunkElems, c % s.chunkElems);
          if (c % s.chunkElems) {
            EXPECT_EQ(to, s.col(row, c - 1) + 1);
          }
          seen.insert(to);
        }
        EXPECT_EQ(int64_t(seen.size()), rowElems);
      }
    }
}

TEST(LdsLayout, Parameters) {
  // bf16, block_k 64: 128-byte rows, 8 phases of one row each.
  LdsSwizzle s = LdsSwizzle::get(64, 2);
  EXPECT_EQ(s.chunkElems, 8);
  EXPECT_EQ(s.perPhase, 1);
  EXPECT_EQ(s.maxPhase, 8);
  // bf16, block_k 32: two rows per 128-byte line.
  s = LdsSwizzle::get(32, 2);
  EXPECT_EQ(s.perPhase, 2);
  EXPECT_EQ(s.maxPhase, 4);
  // f32, 256-byte rows: still 8 phases.
  s = LdsSwizzle::get(64, 4);
  EXPECT_EQ(s.chunkElems, 4);
  EXPECT_EQ(s.maxPhase, 8);
  // One chunk per row, or rows that are not whole chunks: no swizzle.
  EXPECT_TRUE(LdsSwizzle::get(8, 2).isIdentity());
  EXPECT_TRUE(LdsSwizzle::get(4, 2).isIdentity());
  EXPECT_TRUE(LdsSwizzle::get(20, 2).isIdentity());
  // 6 chunks: XOR by 0 or 1 only, which keeps chunk pairs inside the row.
  EXPECT_EQ(LdsSwizzle::get(48, 2).maxPhase, 2);
}

/// Byte address of element (row, col) of a rows x rowElems tile.
int64_t byteAddr(const LdsSwizzle &s, int64_t rowElems, int64_t eltBytes,
                 int64_t row, int64_t col) {
  return (row * rowElems + s.col(row, col)) * eltBytes;
}

/// MfmaCore's operand read: lane l reads fragLen elements of row l % nk at
/// k = kOff + (l / nk) * fragLen.
std::vector<int64_t> mfmaRead(const LdsSwizzle &s, int64_t rowElems,
                              int64_t eltBytes, int64_t nk, int64_t fragLen,
                              int64_t kOff) {
  std::vector<int64_t> addr;
  for (int64_t l = 0; l < 64; ++l)
    addr.push_back(byteAddr(s, rowElems, eltBytes, l % nk,
                            kOff + (l / nk) * fragLen));
  return addr;
}

TEST(LdsLayout, MfmaReads) {
  // (element bytes, block_k, nonkdim, elements per lane and read)
  struct Case {
    int64_t e, bk, nk, frag;
  };
  for (Case c : std::vector<Case>{
           {2, 64, 16, 8}, {2, 64, 32, 8}, {2, 32, 16, 8}, {2, 128, 16, 8},
           {1, 64, 16, 16}, {1, 128, 32, 16}, // 16-byte reads (kpack 2, fp8)
           {2, 64, 16, 4}, {2, 64, 32, 4}, {2, 32, 16, 4}, {2, 16, 16, 4},
           {1, 64, 16, 8}, {1, 64, 32, 8}}) { // 8-byte reads (kpack 1)
    LdsSwizzle s = LdsSwizzle::get(c.bk, c.e);
    int64_t bytes = c.frag * c.e;
    int64_t kStep = 64 / c.nk * c.frag;
    for (int64_t kOff = 0; kOff < c.bk; kOff += kStep) {
      auto addr = mfmaRead(s, c.bk, c.e, c.nk, c.frag, kOff);
      SCOPED_TRACE(testing::Message() << "e=" << c.e << " bk=" << c.bk
                                      << " nk=" << c.nk << " frag=" << c.frag
                                      << " kOff=" << kOff);
      if (bytes == 16) {
        EXPECT_EQ(worstWays(addr, 16, 8), 1);
        // The lane groups reported for ds_read_b128 on gfx942.
        std::vector<std::vector<int>> groups;
        for (int base : {0, 32})
          for (auto [x, y] : std::vector<std::pair<int, int>>{
                   {0, 20}, {4, 16}, {8, 28}, {12, 24}}) {
            groups.emplace_back();
            for (int i = 0; i < 4; ++i) {
              groups.back().push_back(base + x + i);
              groups.back().push_back(base + y + i);
            }
          }
        EXPECT_EQ(worstWays(addr, 16, 8, groups), 1);
      } else {
        // 16 rows at one 8-byte offset within their chunk: 8 chunk slots per
        // 128 bytes hold them at best two to a bank (the padded rows did
        // no better).
        EXPECT_LE(worstWays(addr, 8, 16), 2);
      }
    }
  }
}

TEST(LdsLayout, LdmatrixRows) {
  // ldmatrix: 8 lanes give the 16-byte rows of one 8x8 b16 matrix, rows
  // r..r+7 at one chunk.
  for (int64_t bk : {16, 32, 64, 128}) {
    LdsSwizzle s = LdsSwizzle::get(bk, 2);
    for (int64_t r0 : {0, 8, 16})
      for (int64_t k = 0; k < bk; k += 8) {
        std::vector<int64_t> addr;
        for (int64_t i = 0; i < 8; ++i)
          addr.push_back(byteAddr(s, bk, 2, r0 + i, k));
        EXPECT_EQ(worstWays(addr, 16, 8), 1) << bk << " " << r0 << " " << k;
      }
  }
}

TEST(LdsLayout, VectorStores) {
  // GemmKernelBuilder's K-contiguous stores: slot i -> row i / chunksPerRow,
  // chunk i % chunksPerRow, 16 bytes each.
  for (int64_t e : {1, 2, 4})
    for (int64_t rowBytes : {32, 64, 128, 256}) {
      int64_t rowElems = rowBytes / e;
      LdsSwizzle s = LdsSwizzle::get(rowElems, e);
      int64_t perRow = rowBytes / 16;
      std::vector<int64_t> addr;
      for (int64_t i = 0; i < 256; ++i)
        addr.push_back(byteAddr(s, rowElems, e, i / perRow,
                                (i % perRow) * s.chunkElems));
      EXPECT_EQ(worstWays(addr, 16, 8), 1) << e << " " << rowBytes;
    }
}

} // namespace
