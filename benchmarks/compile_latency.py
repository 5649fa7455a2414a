#!/usr/bin/env python3
"""Compile latency of moec: in-process per phase, and through the CLI.

    python3 benchmarks/compile_latency.py [--build build] [--input FILE]
        [--arch gfx942] [--variants 24] [--json OUT.json] [--md OUT.md]

1. Runs build/bin/moec-compile-bench (benchmarks/compile_latency.cpp): one
   process, one thread, compiles FILE (default examples/gemm.mlir, a bf16
   GEMM with a 128x128x64 tile) to a gfx942 code object once per distinct
   tuning variant and times each phase (context, parse+verify, outline,
   lower, translate, codegen, link). The first variant is "cold" (it pays
   LLVM's one-time set-up: the AMDGPU TargetMachine, lld), the rest "warm".
2. Times `moec compile FILE --arch ARCH <the same flags> --emit hsaco` for
   each of the same variants as a separate process (wall clock, so process
   start-up and static initialisation are included).
3. Prints a markdown summary: median and p90 of each, cold and warm, per
   phase, and the machine load (`os.getloadavg`, the numbers `uptime` shows)
   before and after, because build machines are shared and a loaded machine
   inflates every number here.

Needs only the standard library and a built tree (`ninja -C build
moec moec-compile-bench`).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(xs, p):
    """Nearest-rank percentile (as moec-compile-bench computes it)."""
    xs = sorted(xs)
    rank = max(1, min(len(xs), int(-(-p * len(xs) // 1))))
    return xs[rank - 1]


def load():
    """What `uptime` says (its load averages), and the CPU count."""
    try:
        up = subprocess.run(["uptime"], capture_output=True, text=True,
                            check=True).stdout.strip()
        up = "load average" + up.split("load average", 1)[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        up = "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())
    return "{} on {} CPUs".format(up, os.cpu_count())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--input", default=os.path.join(ROOT, "examples", "gemm.mlir"))
    ap.add_argument("--arch", default="gfx942")
    ap.add_argument("--variants", type=int, default=24)
    ap.add_argument("--no-split", action="store_true",
                    help="time LLVM codegen as one phase (default: split "
                    "into llvm-opt and llvm-backend, --split-codegen)")
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--md", help="write the summary here too")
    args = ap.parse_args()

    bench = os.path.join(args.build, "bin", "moec-compile-bench")
    moec = os.path.join(args.build, "bin", "moec")
    for exe in (bench, moec):
        if not os.access(exe, os.X_OK):
            sys.exit("error: {} is not built (ninja -C {} moec "
                     "moec-compile-bench)".format(exe, args.build))

    load_before = load()
    with tempfile.TemporaryDirectory() as tmp:
        jpath = os.path.join(tmp, "bench.json")
        cmd = [bench, args.input, "--arch", args.arch, "--variants",
               str(args.variants), "--json", jpath]
        if not args.no_split and args.arch != "host":
            cmd.append("--split-codegen")
        print("$ " + " ".join(map(shlex.quote, cmd)), flush=True)
        subprocess.run(cmd, check=True)
        with open(jpath) as f:
            inproc = json.load(f)

        # The same variants through the CLI, one process each.
        cli = []
        out = os.path.join(tmp, "k.hsaco")
        for v in inproc["variants"]:
            emit = "obj" if args.arch == "host" else "hsaco"
            c = [moec, "compile", args.input, "--arch", args.arch, "--emit",
                 emit, "-o", out] + v["flags"].split()
            t = time.perf_counter()
            subprocess.run(c, check=True)
            cli.append((time.perf_counter() - t) * 1e3)
    load_after = load()

    phases = inproc["phases"]
    rows = inproc["variants"]
    totals = [r["total_ms"] for r in rows]
    lines = [
        "compile latency: {} variants of {} for {} (single thread)".format(
            len(rows), os.path.relpath(args.input, ROOT), args.arch),
        "load before: {}; after: {}".format(load_before, load_after),
        "",
        "Wall clock ms (thread CPU ms in parentheses). Cold: the first "
        "variant of the process; warm: the other {}.".format(len(rows) - 1),
        "",
        "| phase | cold | warm median | warm p90 |",
        "|---|---|---|---|",
    ]

    def row(name, wall, cpu):
        lines.append("| {} | {:.1f} ({:.1f}) | {:.1f} ({:.1f}) | {:.1f} ({:.1f}) |"
                     .format(name, wall[0], cpu[0], statistics.median(wall[1:]),
                             statistics.median(cpu[1:]), pct(wall[1:], 0.9),
                             pct(cpu[1:], 0.9)))
    for i, name in enumerate(phases):
        row(name, [r["ms"][i] for r in rows], [r["cpu_ms"][i] for r in rows])
    row("**in-process total**", totals, [r["total_cpu_ms"] for r in rows])
    lines.append("| `moec compile --emit hsaco`, own process each (wall) | "
                 "{:.1f} | {:.1f} | {:.1f} |".format(
                     cli[0], statistics.median(cli[1:]), pct(cli[1:], 0.9)))
    lines.append("")
    lines.append("all {} in-process: median {:.1f} ms, p90 {:.1f} ms; CLI: "
                 "median {:.1f} ms, p90 {:.1f} ms; linked by {}".format(
                     len(rows), statistics.median(totals), pct(totals, 0.9),
                     statistics.median(cli), pct(cli, 0.9),
                     ", ".join(sorted({r["linked_by"] for r in rows}))))
    text = "\n".join(lines)
    print("\n" + text)
    if args.md:
        with open(args.md, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"in_process": inproc, "cli_ms": cli,
                       "load_before": load_before, "load_after": load_after},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
