#!/usr/bin/env python3
"""Unit tests of benchmarks/isa_report.py on real gfx942 assembly from llc.

    python3 -m unittest discover -s benchmarks -p 'test_*.py'
    python3 benchmarks/test_isa_report.py

The .s files in testdata/ were produced by LLVM 22's llc from the .ll files
next to them; when llc is installed the tests also recompile the .ll and
check that the fresh assembly gives the same numbers.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import isa_report  # noqa: E402

DATA = os.path.join(HERE, "testdata")
LLC_CANDIDATES = ["/usr/lib/llvm-22/bin/llc", shutil.which("llc-22"), shutil.which("llc")]


def _read(name):
    with open(os.path.join(DATA, name)) as fh:
        return fh.read()


def _llc():
    for c in LLC_CANDIDATES:
        if c and os.path.exists(c):
            return c
    return None


class MfmaLoop(unittest.TestCase):
    """testdata/mfma_loop_gfx942.ll: loop, 16-byte loads, LDS, one MFMA."""

    def check(self, r):
        self.assertEqual(r["name"], "mfma_loop")
        self.assertEqual(r["target"], "amdgcn-amd-amdhsa--gfx942")
        self.assertEqual(r["wavefront_size"], 64)
        self.assertEqual(r["lds_bytes"], 256 * 16)  # [256 x <4 x i32>]
        self.assertEqual(r["scratch_bytes"], 0)
        self.assertEqual(r["vgpr_spill"], 0)
        self.assertEqual(r["sgpr_spill"], 0)
        self.assertGreater(r["vgpr"], 0)
        self.assertGreater(r["agpr"], 0)  # the MFMA accumulator lives in AGPRs
        self.assertGreaterEqual(r["vgpr_total"], r["vgpr"] + r["agpr"])
        self.assertGreater(r["sgpr"], 0)
        self.assertEqual(r["global_load_widest_bits"], 128)
        self.assertIn("global_load_dwordx4", r["global_loads"])
        self.assertEqual(r["mfma"], {"v_mfma_f32_16x16x16_bf16": 1})
        self.assertEqual(r["mfma_count"], 1)
        self.assertGreaterEqual(r["lds_write_widest_bits"], 128)
        loop = r["kloop"]
        self.assertIsNotNone(loop)
        self.assertEqual(len(r["loops"]), 1)
        self.assertEqual(loop["mfma"], 1)
        self.assertEqual(loop["barriers"], 2)
        self.assertEqual(loop["global_loads"], 2)
        self.assertEqual(loop["lds_reads"], 1)
        self.assertEqual(loop["lds_writes"], 1)
        self.assertTrue(loop["branch"].startswith("s_cbranch"))
        # The loop is part of the kernel, not all of it.
        self.assertLess(loop["instructions"], r["instructions"])
        self.assertGreater(loop["instructions"], 8)

    def test_committed_assembly(self):
        r = isa_report.analyze_amdgcn(_read("mfma_loop_gfx942.s"))
        self.check(r)
        # Exact count for the committed file, by hand: 18 instructions from
        # .LBB0_2 through s_cbranch_scc1, plus the branch itself.
        self.assertEqual(r["kloop"]["instructions"], 19)
        self.assertEqual(r["vgpr"], 14)
        self.assertEqual(r["agpr"], 8)
        self.assertEqual(r["vgpr_total"], 24)
        self.assertEqual(r["sgpr"], 18)
        self.assertEqual(r["occupancy"], 8)
        self.assertEqual(r["code_bytes"], 300)

    @unittest.skipUnless(_llc(), "llc (LLVM 22) not installed")
    def test_fresh_llc_output(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "k.s")
            subprocess.run([_llc(), "-mtriple=amdgcn-amd-amdhsa", "-mcpu=gfx942", "-O3",
                            os.path.join(DATA, "mfma_loop_gfx942.ll"), "-o", out], check=True)
            with open(out) as fh:
                self.check(isa_report.analyze_amdgcn(fh.read()))


class Spills(unittest.TestCase):
    """testdata/spill_gfx942.ll: a 24-VGPR cap forces spills to scratch."""

    def test_committed_assembly(self):
        r = isa_report.analyze_amdgcn(_read("spill_gfx942.s"))
        self.assertEqual(r["name"], "spill")
        self.assertGreater(r["vgpr_spill"], 0)
        self.assertGreater(r["scratch_bytes"], 0)
        self.assertGreater(r["scratch_ops"], 0)
        self.assertLessEqual(r["vgpr"], 24)
        self.assertIsNone(r["kloop"])
        self.assertEqual(r["mfma_count"], 0)


class Pieces(unittest.TestCase):
    def test_widths(self):
        w = isa_report.mem_width_bits
        self.assertEqual(w("global_load_dwordx4"), 128)
        self.assertEqual(w("buffer_load_dwordx2"), 64)
        self.assertEqual(w("buffer_load_dword"), 32)
        self.assertEqual(w("global_load_ushort"), 16)
        self.assertEqual(w("global_load_short_d16_hi"), 16)
        self.assertEqual(w("global_load_ubyte"), 8)
        self.assertEqual(w("global_load_lds_dwordx4"), 128)
        self.assertEqual(w("global_load_b128"), 128)
        self.assertEqual(w("ds_read_b128"), 128)
        self.assertEqual(w("ds_read2_b64"), 128)
        self.assertEqual(w("ds_read2st64_b32"), 64)
        self.assertEqual(w("ds_write_b16"), 16)
        self.assertEqual(w("ds_read_u16_d16"), 16)
        self.assertIsNone(w("s_waitcnt"))

    def test_two_kernels_and_backward_s_branch(self):
        text = "\n".join([
            '\t.amdgcn_target "amdgcn-amd-amdhsa--gfx942"',
            "\t.type\tk1,@function",
            "k1:",
            "\tv_mov_b32 v0, 0",
            ".LBB0_1:",
            "\tglobal_load_dwordx4 v[0:3], v[4:5], off",
            "\tv_mfma_f32_32x32x8_bf16 a[0:15], v[0:1], v[2:3], a[0:15]",
            "\ts_cbranch_scc0 .LBB0_2",
            "\ts_branch .LBB0_1",
            ".LBB0_2:",
            "\ts_endpgm",
            ".Lfunc_end0:",
            "\t.type\tk2,@function",
            "k2:",
            "\tbuffer_load_ushort v1, v0, s[0:3], 0 offen",
            "\ts_endpgm",
            ".Lfunc_end1:",
        ])
        rows = isa_report.analyze_amdgcn_all(text)
        self.assertEqual([r["name"] for r in rows], ["k1", "k2"])
        k1 = rows[0]
        self.assertEqual(k1["kloop"]["instructions"], 4)
        self.assertEqual(k1["kloop"]["branch"], "s_branch")
        self.assertEqual(k1["mfma"], {"v_mfma_f32_32x32x8_bf16": 1})
        self.assertIsNone(k1["vgpr"])  # no resource info in this text
        k2 = isa_report.analyze_amdgcn(text, kernel="k2")
        self.assertEqual(k2["global_load_widest_bits"], 16)
        self.assertIsNone(k2["kloop"])
        with self.assertRaises(ValueError):
            isa_report.analyze_amdgcn(text, kernel="nope")

    def test_markdown_and_cli(self):
        md = isa_report.markdown_table([isa_report.analyze_amdgcn(_read("mfma_loop_gfx942.s"))])
        self.assertIn("| mfma_loop |", md)
        self.assertEqual(len(md.splitlines()), 3)
        with tempfile.TemporaryDirectory() as d:
            js = os.path.join(d, "r.json")
            rc = subprocess.run([sys.executable, os.path.join(HERE, "isa_report.py"),
                                 os.path.join(DATA, "mfma_loop_gfx942.s"),
                                 os.path.join(DATA, "spill_gfx942.s"), "--json", js],
                                stdout=subprocess.PIPE).returncode
            self.assertEqual(rc, 0)
            import json
            with open(js) as fh:
                self.assertEqual(len(json.load(fh)), 2)


if __name__ == "__main__":
    unittest.main()
