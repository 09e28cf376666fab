# SPDX-License-Identifier: MIT
"""`python -m conformance.replay RESULTS.json [--json OUT]`: run every reproducer of a results
file both ways, as someone checking the report would.

1. On the implementation that diverged (its interpreter, its module): a reproducer holds there
   when it exits 1 (a step differs from what the spec requires) or dies of the crash it shows.
2. With `--stdlib` on a real CPython of the profile it names: it holds when it exits 0 (no step
   differs). A failure here is a reference bug: the reference claims something of that release
   that the release does not do. A CPython that dies of a signal there is counted apart: that is
   the release's own crash (listed in expectations/), which no reproducer can get past.

A reproducer that cannot be run here (Pyodide under node, no CPython of that profile) is counted
apart with the reason. Exit status: 0 every reproducer run held both ways, 1 some did not, 2 a
usage error.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile

from impls import interpreters

TIMEOUT = 60


_cpython_for = functools.cache(interpreters.cpython_of_profile)


def _python_of(spec):
    """The interpreter an implementation ran under, or (None, why not)."""
    if spec.startswith("python:"):
        return spec.partition(":")[2], None
    if spec.startswith("pyodide"):
        return None, "Pyodide runs under node, not as a script interpreter"
    adapter = interpreters.resolve(spec) if not (":" in spec or spec in ("stdlib", "fmmap")) \
        else None
    if adapter is None:
        return sys.executable, None
    argv = getattr(getattr(adapter, "worker", None), "argv", None)
    if not argv:
        return None, getattr(adapter, "reason", f"{spec} is not on this machine")
    return argv[0], None


def _run(python, script, *args):
    with tempfile.TemporaryDirectory(prefix="mmap-replay-") as work:
        path = os.path.join(work, "repro.py")
        with open(path, "w") as f:
            f.write(script)
        # The project (for the reference) and the caller's folder (for a module:factory).
        path_entries = [os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.getcwd()]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path_entries))
        try:
            done = subprocess.run([python, path, *args], cwd=work, env=env, capture_output=True,
                                  text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "hang", ""
        return done.returncode, (done.stdout + done.stderr)[-2000:]


def replay(doc):
    """[{impl, clause, status, on_impl, on_cpython, ...}] for every reproducer in `doc`."""
    profiles = {i["spec"]: i.get("profile") for i in doc.get("implementations", [])}
    rows = []
    seen = set()
    for r in doc.get("results", []):
        if not r.get("repro") or r["status"] not in ("diverge", "crash"):
            continue
        if (r["impl"], r["repro"]) in seen:
            continue
        seen.add((r["impl"], r["repro"]))
        row = {"impl": r["impl"], "clause": r["clause"], "status": r["status"]}
        python, why = _python_of(r["impl"])
        if python is None:
            row["on_impl"] = f"not run: {why}"
        else:
            code, out = _run(python, r["repro"])
            held = code == 1 or (r["status"] == "crash" and code not in (0, 1))
            row["on_impl"] = "held" if held else f"did not hold (exit {code})"
            if not held:
                row["impl_output"] = out
        cpython = _cpython_for(profiles.get(r["impl"]))
        if cpython is None:
            row["on_cpython"] = f"not run: no CPython of profile {profiles.get(r['impl'])} here"
        else:
            code, out = _run(cpython, r["repro"], "--stdlib")
            # CPython dying of a signal is its own known crash (expectations/), not a claim of
            # the reference's that the release contradicts.
            crashed = isinstance(code, int) and code < 0
            row["on_cpython"] = ("held" if code == 0 else f"CPython crashes too (signal {-code})"
                                 if crashed else f"did not hold (exit {code})")
            row["cpython"] = cpython
            if code != 0:
                row["cpython_output"] = out
        rows.append(row)
    return rows


def summary(rows):
    lines = []
    for side in ("on_impl", "on_cpython"):
        counts = {}
        for row in rows:
            key = row[side] if not row[side].startswith("not run") else "not run"
            key = "did not hold" if key.startswith("did not hold") else key
            key = "CPython crashes too" if key.startswith("CPython crashes") else key
            counts[key] = counts.get(key, 0) + 1
        lines.append(f"{side}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for row in rows:
        for side in ("on_impl", "on_cpython"):
            if row[side].startswith("did not hold"):
                lines.append(f"  {row['impl']} {row['clause']}: {side} {row[side]}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance.replay",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("results", metavar="RESULTS.json")
    parser.add_argument("--json", metavar="OUT", help="write every row as JSON")
    args = parser.parse_args(argv)
    try:
        with open(args.results) as f:
            doc = json.load(f)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"{args.results}: cannot read a results file ({exc})\n")
    rows = replay(doc)
    print(summary(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if any(r[s].startswith("did not hold") for r in rows
                    for s in ("on_impl", "on_cpython")) else 0


if __name__ == "__main__":
    sys.exit(main())
