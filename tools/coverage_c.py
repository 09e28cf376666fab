# SPDX-License-Identifier: MIT
"""Line and branch coverage of the reference's C (native/refmmap.c) from a `--coverage` build:
runs `gcov -b` on the build's objects and prints line %, branch % and every line never run.

    python tools/coverage_c.py BUILD_DIR [--source native/refmmap.c] [--fail-under PCT]

BUILD_DIR is the REFMMAP_BUILD_DIR the extension was built in (`nox -s coverage-c` makes one);
gcov writes its .gcov files there, never in the checkout. Stdlib only."""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# "    count:  line:source"; count is "-" (no code), "#####"/"=====" (never run), or a number
# (with "*" when some block of the line was not run).
LINE = re.compile(r"^\s*([^:]+):\s*(\d+):(.*)$")
BRANCH = re.compile(r"^branch\s+\d+\s+(taken (\d+)|never executed)")


def parse_gcov(text):
    """{"lines": {lineno: count}, "branches": {lineno: [taken, ...]}, "source": {lineno: text}}
    from one .gcov file made with -b (a branch never executed counts as taken 0 times)."""
    lines, branches, source, current = {}, {}, {}, None
    for raw in text.splitlines():
        m = LINE.match(raw)
        if m:
            count, lineno, code = m.group(1).strip(), int(m.group(2)), m.group(3)
            if lineno == 0:
                continue  # the header
            current = lineno
            source[lineno] = code
            if count != "-":
                lines[lineno] = 0 if count.startswith(("#", "=")) else int(count.rstrip("*"))
            continue
        b = BRANCH.match(raw)
        if b and current is not None:
            branches.setdefault(current, []).append(int(b.group(2) or 0))
    return {"lines": lines, "branches": branches, "source": source}


def summary(parsed):
    """(lines run, lines, branches taken, branches, [uncovered lineno], [lineno with an untaken
    branch])."""
    lines, branches = parsed["lines"], parsed["branches"]
    run = sum(1 for c in lines.values() if c > 0)
    taken = sum(1 for bs in branches.values() for t in bs if t > 0)
    total_branches = sum(len(bs) for bs in branches.values())
    uncovered = sorted(n for n, c in lines.items() if c == 0)
    partial = sorted(n for n, bs in branches.items() if any(t == 0 for t in bs))
    return run, len(lines), taken, total_branches, uncovered, partial


def find_objects(build_dir, source_name):
    """The folder holding the .gcda/.gcno of `source_name` (its object sits under BUILD_DIR at
    its source's absolute path, or at native/ for an in-place build)."""
    stem = os.path.splitext(os.path.basename(source_name))[0]
    for folder, _, files in os.walk(build_dir):
        if stem + ".gcno" in files:
            return folder
    return None


def run_gcov(build_dir, source):
    """gcov -b inside build_dir; the text of source's .gcov file."""
    build_dir = os.path.abspath(build_dir)
    objects = find_objects(build_dir, source)
    if objects is None:
        raise SystemExit(f"coverage_c: no {os.path.basename(source)}'s .gcno under {build_dir}; "
                         "build with REFMMAP_CFLAGS=--coverage REFMMAP_LDFLAGS=--coverage "
                         "REFMMAP_BUILD_DIR=BUILD_DIR python native/build_refmmap.py")
    gcda = os.path.join(objects, os.path.splitext(os.path.basename(source))[0] + ".gcda")
    if not os.path.exists(gcda):
        raise SystemExit(f"coverage_c: {gcda} missing: nothing ran the coverage build's "
                         "extension (set PYTHONPATH to BUILD_DIR when running the tests)")
    subprocess.run(["gcov", "-b", "-c", "-o", objects, os.path.abspath(source)], cwd=build_dir,
                   check=True, capture_output=True, text=True)
    with open(os.path.join(build_dir, os.path.basename(source) + ".gcov"), encoding="utf-8") as f:
        return f.read()


def report(parsed, name):
    run, total, taken, branches, uncovered, partial = summary(parsed)
    line_pct = 100.0 * run / total if total else 100.0
    branch_pct = 100.0 * taken / branches if branches else 100.0
    out = [f"{name}: lines {run}/{total} ({line_pct:.1f}%), "
           f"branches taken {taken}/{branches} ({branch_pct:.1f}%)"]
    if uncovered:
        out.append("lines never run:")
        out += [f"  {name}:{n}: {parsed['source'][n].strip()}" for n in uncovered]
    else:
        out.append("every line ran")
    if partial:
        out.append("lines with a branch never taken:")
        out += [f"  {name}:{n}: {parsed['source'][n].strip()}  "
                f"(taken {parsed['branches'][n]})" for n in partial]
    return out, line_pct, branch_pct


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", metavar="BUILD_DIR")
    parser.add_argument("--source", default=os.path.join(ROOT, "native", "refmmap.c"))
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PCT",
                        help="exit 1 when line coverage is below PCT. Default: 0")
    args = parser.parse_args(argv)
    parsed = parse_gcov(run_gcov(args.build_dir, args.source))
    lines, line_pct, _ = report(parsed, os.path.relpath(args.source, ROOT))
    print("\n".join(lines))
    if line_pct < args.fail_under:
        print(f"coverage_c: line coverage {line_pct:.1f}% is under --fail-under {args.fail_under}%",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
