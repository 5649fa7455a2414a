#!/usr/bin/env python3
"""Static report of AMDGPU (gfx9xx) assembly: registers, spills, LDS, scratch,
memory instruction widths, MFMA use and the size of the K loop.

Reads the text that LLVM's AMDGPU assembly printer writes (`llc -filetype=asm`,
Triton's `asm['amdgcn']`, `moec compile --emit asm`). Nothing here needs a GPU
or any package beyond the Python standard library.

    python3 benchmarks/isa_report.py kernel.s [more.s ...] [--json out.json] [--md out.md]

Library use:

    from isa_report import analyze_amdgcn, analyze_amdgcn_all, markdown_table
    info = analyze_amdgcn(open("k.s").read())          # first kernel in the file
    rows = analyze_amdgcn_all(text)                     # every kernel in the file

Where a number comes from (first source found wins):
  vgpr        `.set K.num_vgpr`, `; NumVgprs:`            (architectural VGPRs)
  agpr        `.set K.num_agpr`, `; NumAgprs:`, metadata `.agpr_count`
  vgpr_total  `; TotalNumVgprs:`, metadata `.vgpr_count`, `.amdhsa_next_free_vgpr`
  sgpr        `; TotalNumSgprs:`, metadata `.sgpr_count`, `.amdhsa_next_free_sgpr`
  spills      metadata `.vgpr_spill_count` / `.sgpr_spill_count`
  lds_bytes   `.amdhsa_group_segment_fixed_size`, `; LDSByteSize:`, metadata
  scratch     `.amdhsa_private_segment_fixed_size`, `; ScratchSize:`, metadata
A field that none of its sources gives is None.

The K loop: every branch (`s_branch`, `s_cbranch_*`) to a label that appears
earlier in the same function closes a loop running from that label to the
branch. The loop reported as `kloop` is the smallest one holding an MFMA (the
innermost matrix loop); without MFMAs, the largest loop. Its instruction count
includes the closing branch and excludes labels, comments and directives.
"""

import argparse
import json
import re
import sys
from collections import Counter

__all__ = ["analyze_amdgcn", "analyze_amdgcn_all", "markdown_table", "mem_width_bits"]

_LABEL_RE = re.compile(r"^([A-Za-z_.$][\w.$]*):")
_SET_RE = re.compile(r"^\s*\.set\s+([\w.$]+)\.(num_vgpr|num_agpr|numbered_sgpr|private_seg_size)\s*,\s*(\S+)")
_AMDHSA_KERNEL_RE = re.compile(r"^\s*\.amdhsa_kernel\s+(\S+)")
_AMDHSA_FIELD_RE = re.compile(r"^\s*\.amdhsa_(\w+)\s+(.+?)\s*$")
_FUNC_TYPE_RE = re.compile(r"^\s*\.type\s+([\w.$]+)\s*,\s*@function")
_COMMENT_KV_RE = re.compile(r"^\s*;\s*([A-Za-z][\w ]*?)\s*[:=]\s*(-?\d+)")
_META_ITEM_RE = re.compile(r"^  - \.")          # one kernel in amdhsa.kernels
_META_KV_RE = re.compile(r"^(?:  - |    )\.(\w+):\s+(\S+)")  # scalar keys of that kernel

# Loads from and stores to device memory ("global" in the report) and LDS.
_GLOBAL_LOAD_RE = re.compile(r"^(global|buffer|flat)_load_")
_GLOBAL_STORE_RE = re.compile(r"^(global|buffer|flat)_store_")
_GLOBAL_ATOMIC_RE = re.compile(r"^(global|buffer|flat)_atomic_")
_LDS_READ_RE = re.compile(r"^ds_(read|load)")
_LDS_WRITE_RE = re.compile(r"^ds_(write|store)")
_SCRATCH_RE = re.compile(r"^scratch_(load|store)_")
_MFMA_RE = re.compile(r"^v_(mfma|smfmac)_")
_WMMA_RE = re.compile(r"^v_(wmma|swmmac)_")


def _int(text):
    """An integer from an assembler operand, or None when it is an expression."""
    if text is None:
        return None
    text = text.strip().rstrip(",")
    try:
        return int(text, 0)
    except ValueError:
        return None


def mem_width_bits(mnemonic):
    """Bits one lane moves with one memory instruction, from its mnemonic.

    global_load_dwordx4 -> 128, buffer_load_ushort -> 16, ds_read_b128 -> 128,
    ds_read2_b64 -> 128 (two 64-bit reads), global_load_lds_dwordx4 -> 128.
    None when the mnemonic says no width.
    """
    m = mnemonic.lower()
    bits = None
    hit = re.search(r"dwordx(\d+)", m)
    if hit:
        bits = 32 * int(hit.group(1))
    elif re.search(r"dword", m):
        bits = 32
    else:
        hit = re.search(r"_b(\d+)(?:_|$)", m)
        if hit:
            bits = int(hit.group(1))
        elif re.search(r"(ubyte|sbyte|_byte|_[ui]8)(?:_|$)", m):
            bits = 8
        elif re.search(r"(ushort|sshort|_short|_[ui]16|_d16)(?:_|$)", m):
            bits = 16
    if bits is not None and re.match(r"^ds_(read|write|load|store)2", m):
        bits *= 2
    return bits


def _strip_comment(line):
    # Comments start with ';' (AMDGPU) or '//' ; '#' is not a comment in
    # operands we care about.
    for marker in (";", "//"):
        pos = line.find(marker)
        if pos >= 0:
            line = line[:pos]
    return line.strip()


def _split_functions(lines):
    """[(name, first_line, last_line_exclusive)] for each function body."""
    starts = []
    declared = set()
    for i, line in enumerate(lines):
        hit = _FUNC_TYPE_RE.match(line)
        if hit:
            declared.add(hit.group(1))
    for i, line in enumerate(lines):
        hit = _LABEL_RE.match(line)
        if hit and hit.group(1) in declared:
            starts.append((hit.group(1), i))
    funcs = []
    for idx, (name, start) in enumerate(starts):
        limit = starts[idx + 1][1] if idx + 1 < len(starts) else len(lines)
        end = limit
        for j in range(start + 1, limit):
            s = lines[j].strip()
            if s.startswith(".Lfunc_end") or s.startswith(".section") or s.startswith(".size"):
                end = j
                break
        # The region up to the next function holds this one's "; Kernel info" block.
        funcs.append((name, start, end, limit))
    return funcs


def _parse_metadata(text):
    """{kernel name: {key: value}} from the YAML between .amdgpu_metadata markers."""
    out = {}
    begin = text.find(".amdgpu_metadata")
    end = text.find(".end_amdgpu_metadata")
    if begin < 0 or end < 0:
        return out
    block = text[begin:end].splitlines()
    current = None
    in_kernels = False
    for line in block:
        if line.startswith("amdhsa.kernels:"):
            in_kernels = True
            continue
        if in_kernels and line and not line.startswith(" "):
            in_kernels = False  # another top-level key
        if not in_kernels:
            continue
        if _META_ITEM_RE.match(line):
            current = {}
            hit = _META_KV_RE.match(line)
            if hit:
                current[hit.group(1)] = hit.group(2)
            out.setdefault("__list__", []).append(current)
            continue
        hit = _META_KV_RE.match(line)
        if hit and current is not None:
            current[hit.group(1)] = hit.group(2)
    named = {}
    for item in out.get("__list__", []):
        if "name" in item:
            named[item["name"]] = item
    return named


def _parse_amdhsa_blocks(lines):
    """{kernel name: {field: raw value}} from .amdhsa_kernel ... .end_amdhsa_kernel."""
    out = {}
    current = None
    for line in lines:
        hit = _AMDHSA_KERNEL_RE.match(line)
        if hit:
            current = out.setdefault(hit.group(1), {})
            continue
        if line.strip().startswith(".end_amdhsa_kernel"):
            current = None
            continue
        if current is not None:
            hit = _AMDHSA_FIELD_RE.match(line)
            if hit:
                current[hit.group(1)] = hit.group(2)
    return out


def _parse_sets(lines):
    out = {}
    for line in lines:
        hit = _SET_RE.match(line)
        if hit:
            out.setdefault(hit.group(1), {})[hit.group(2)] = hit.group(3)
    return out


def _first(*values):
    for v in values:
        if v is not None:
            return v
    return None


def _instructions(lines, start, end):
    """(labels {name: position}, [(position, mnemonic, operands)]) of a body."""
    labels = {}
    insts = []
    for i in range(start + 1, end):
        raw = lines[i]
        s = raw.strip()
        if not s or s.startswith(";") or s.startswith("//"):
            continue
        hit = _LABEL_RE.match(s)
        if hit:
            labels[hit.group(1)] = len(insts)
            s = s[hit.end():].strip()
            if not s:
                continue
        s = _strip_comment(s)
        if not s or s.startswith("."):
            continue
        parts = s.split(None, 1)
        insts.append((len(insts), parts[0].lower(), parts[1] if len(parts) > 1 else ""))
    return labels, insts


def _mix(insts):
    """Counts of the instruction classes the report shows."""
    c = {
        "instructions": len(insts),
        "mfma": 0,
        "wmma": 0,
        "global_loads": 0,
        "global_stores": 0,
        "lds_reads": 0,
        "lds_writes": 0,
        "scratch_ops": 0,
        "s_waitcnt": 0,
        "barriers": 0,
        "s_nop": 0,
    }
    for _, mn, _ops in insts:
        if _MFMA_RE.match(mn):
            c["mfma"] += 1
        elif _WMMA_RE.match(mn):
            c["wmma"] += 1
        elif _GLOBAL_LOAD_RE.match(mn):
            c["global_loads"] += 1
        elif _GLOBAL_STORE_RE.match(mn):
            c["global_stores"] += 1
        elif _LDS_READ_RE.match(mn):
            c["lds_reads"] += 1
        elif _LDS_WRITE_RE.match(mn):
            c["lds_writes"] += 1
        elif _SCRATCH_RE.match(mn):
            c["scratch_ops"] += 1
        elif mn.startswith("s_waitcnt"):
            c["s_waitcnt"] += 1
        elif mn == "s_barrier" or mn.startswith("s_barrier_"):
            c["barriers"] += 1
        elif mn == "s_nop":
            c["s_nop"] += 1
    return c


def _find_loops(labels, insts):
    loops = []
    for pos, mn, ops in insts:
        if not (mn == "s_branch" or mn.startswith("s_cbranch_")):
            continue
        target = ops.split(",")[0].strip()
        if target in labels and labels[target] <= pos:
            body = insts[labels[target]:pos + 1]
            mix = _mix(body)
            mix.update({"label": target, "branch": mn, "first": labels[target], "last": pos})
            loops.append(mix)
    return loops


def _histogram(insts, pattern):
    return dict(sorted(Counter(mn for _, mn, _ in insts if pattern.match(mn)).items()))


def _widest(hist):
    widths = [mem_width_bits(m) for m in hist]
    widths = [w for w in widths if w is not None]
    return max(widths) if widths else None


def analyze_amdgcn_all(asm_text):
    """One dict per kernel (or function, when the text has no kernel descriptor)."""
    lines = asm_text.splitlines()
    target = None
    hit = re.search(r'\.amdgcn_target\s+"([^"]+)"', asm_text)
    if hit:
        target = hit.group(1)
    metadata = _parse_metadata(asm_text)
    amdhsa = _parse_amdhsa_blocks(lines)
    sets = _parse_sets(lines)
    funcs = _split_functions(lines)
    if amdhsa:
        kernels = [f for f in funcs if f[0] in amdhsa] or funcs
    else:
        kernels = funcs
    reports = []
    for name, start, end, region_end in kernels:
        labels, insts = _instructions(lines, start, end)
        info_block = {}
        for line in lines[end:region_end]:
            hit = _COMMENT_KV_RE.match(line)
            if hit:
                info_block.setdefault(hit.group(1).strip(), int(hit.group(2)))
        md = metadata.get(name, {})
        hsa = amdhsa.get(name, {})
        st = sets.get(name, {})

        vgpr = _first(_int(st.get("num_vgpr")), info_block.get("NumVgprs"))
        agpr = _first(_int(st.get("num_agpr")), info_block.get("NumAgprs"), _int(md.get("agpr_count")))
        vgpr_total = _first(info_block.get("TotalNumVgprs"), _int(md.get("vgpr_count")),
                            _int(hsa.get("next_free_vgpr")))
        sgpr = _first(info_block.get("TotalNumSgprs"), _int(md.get("sgpr_count")),
                      _int(hsa.get("next_free_sgpr")))
        lds = _first(_int(hsa.get("group_segment_fixed_size")), info_block.get("LDSByteSize"),
                     _int(md.get("group_segment_fixed_size")))
        scratch = _first(_int(hsa.get("private_segment_fixed_size")), info_block.get("ScratchSize"),
                         _int(md.get("private_segment_fixed_size")))

        gload = _histogram(insts, _GLOBAL_LOAD_RE)
        gstore = _histogram(insts, _GLOBAL_STORE_RE)
        lread = _histogram(insts, _LDS_READ_RE)
        lwrite = _histogram(insts, _LDS_WRITE_RE)
        mfma = _histogram(insts, _MFMA_RE)
        mfma.update(_histogram(insts, _WMMA_RE))
        loops = _find_loops(labels, insts)
        with_mfma = [l for l in loops if l["mfma"] + l["wmma"] > 0]
        if with_mfma:
            kloop = min(with_mfma, key=lambda l: l["instructions"])
        elif loops:
            kloop = max(loops, key=lambda l: l["instructions"])
        else:
            kloop = None

        reports.append({
            "name": name,
            "target": target,
            "vgpr": vgpr,
            "agpr": agpr,
            "vgpr_total": vgpr_total,
            "accum_offset": _int(hsa.get("accum_offset")),
            "sgpr": sgpr,
            "vgpr_spill": _int(md.get("vgpr_spill_count")),
            "sgpr_spill": _int(md.get("sgpr_spill_count")),
            "lds_bytes": lds,
            "scratch_bytes": scratch,
            "occupancy": info_block.get("Occupancy"),
            "code_bytes": info_block.get("codeLenInByte"),
            "wavefront_size": _int(md.get("wavefront_size")),
            "max_workgroup_size": _int(md.get("max_flat_workgroup_size")),
            "instructions": len(insts),
            "global_loads": gload,
            "global_load_widest_bits": _widest(gload),
            "global_stores": gstore,
            "global_store_widest_bits": _widest(gstore),
            "global_atomics": _histogram(insts, _GLOBAL_ATOMIC_RE),
            "lds_reads": lread,
            "lds_read_widest_bits": _widest(lread),
            "lds_writes": lwrite,
            "lds_write_widest_bits": _widest(lwrite),
            "scratch_ops": sum(_histogram(insts, _SCRATCH_RE).values()),
            "mfma": mfma,
            "mfma_count": sum(mfma.values()),
            "kloop": kloop,
            "loops": loops,
        })
    return reports


def analyze_amdgcn(asm_text, kernel=None):
    """The report of one kernel: `kernel` by name, else the first in the text."""
    reports = analyze_amdgcn_all(asm_text)
    if not reports:
        raise ValueError("no function or kernel found in the assembly text")
    if kernel is None:
        return reports[0]
    for r in reports:
        if r["name"] == kernel:
            return r
    raise ValueError("kernel %r not in the assembly (found: %s)"
                     % (kernel, ", ".join(r["name"] for r in reports)))


def _fmt_hist(hist):
    return " ".join("%s:%d" % (k, v) for k, v in hist.items()) if hist else "-"


def _v(x):
    return "-" if x is None else str(x)


MARKDOWN_COLUMNS = [
    ("variant", lambda r: r.get("variant", r["name"])),
    ("VGPR", lambda r: _v(r["vgpr"])),
    ("AGPR", lambda r: _v(r["agpr"])),
    ("VGPR total", lambda r: _v(r["vgpr_total"])),
    ("SGPR", lambda r: _v(r["sgpr"])),
    ("spills v/s", lambda r: "%s/%s" % (_v(r["vgpr_spill"]), _v(r["sgpr_spill"]))),
    ("LDS B", lambda r: _v(r["lds_bytes"])),
    ("scratch B", lambda r: _v(r["scratch_bytes"])),
    ("occ", lambda r: _v(r["occupancy"])),
    ("widest gload", lambda r: _v(r["global_load_widest_bits"])),
    ("global loads", lambda r: _fmt_hist(r["global_loads"])),
    ("LDS reads", lambda r: _fmt_hist(r["lds_reads"])),
    ("MFMA", lambda r: _fmt_hist(r["mfma"])),
    ("K-loop insts", lambda r: _v(r["kloop"]["instructions"]) if r["kloop"] else "-"),
    ("K-loop MFMA", lambda r: _v(r["kloop"]["mfma"]) if r["kloop"] else "-"),
    ("K-loop gloads", lambda r: _v(r["kloop"]["global_loads"]) if r["kloop"] else "-"),
]


def markdown_table(reports, extra_columns=()):
    """A markdown table, one row per report. extra_columns: [(title, fn(report))]."""
    cols = list(MARKDOWN_COLUMNS[:1]) + list(extra_columns) + list(MARKDOWN_COLUMNS[1:])
    out = ["| " + " | ".join(c[0] for c in cols) + " |",
           "|" + "|".join("---" for _ in cols) + "|"]
    for r in reports:
        cells = []
        for _, fn in cols:
            try:
                cells.append(str(fn(r)).replace("|", "/"))
            except Exception:  # a missing field in a foreign report
                cells.append("?")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="AMDGPU assembly files (.s)")
    ap.add_argument("--json", help="write every report to this JSON file")
    ap.add_argument("--md", help="write the markdown table to this file")
    ap.add_argument("--kernel", help="only the kernel of this name")
    args = ap.parse_args(argv)
    reports = []
    status = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                rows = analyze_amdgcn_all(fh.read())
        except OSError as e:
            print("isa_report: %s: %s" % (path, e), file=sys.stderr)
            status = 1
            continue
        if args.kernel:
            rows = [r for r in rows if r["name"] == args.kernel]
        if not rows:
            print("isa_report: %s: no kernel found" % path, file=sys.stderr)
            status = 1
        for r in rows:
            r["file"] = path
            r["variant"] = "%s:%s" % (path, r["name"]) if len(args.files) > 1 else r["name"]
        reports.extend(rows)
    table = markdown_table(reports)
    print(table)
    if args.md:
        with open(args.md, "w") as fh:
            fh.write(table + "\n")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(reports, fh, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
