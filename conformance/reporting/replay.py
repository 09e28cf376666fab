# SPDX-License-Identifier: MIT
"""`python -m conformance replay RESULTS.json [--json OUT]`: run every reproducer of a results
file both ways, as someone checking the report would.

1. On the implementation that diverged (its interpreter, its module): a reproducer holds there
   when it exits 1 (a step differs from what the spec requires) or dies of the crash it shows.
2. With `--stdlib` on a real CPython of the profile it names: it holds when it exits 0 (no step
   differs). A failure here is a reference bug: the reference claims something of that release
   that the release does not do. A CPython that dies of a signal there is counted apart: that is
   the release's own crash (listed in expectations/), which no reproducer can get past.

A reproducer that cannot be run here (Pyodide under node, no CPython of that profile) is counted
apart with the reason, and so is one that cannot even import the implementation's module (a
`module:factory` imported from the folder the run started in: replay from that folder). Exit
status: 0 every reproducer run held both ways, 1 some did not, 2 a usage error.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile

from impls import interpreters

TIMEOUT = 60
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the project
OUTPUT = 8000  # characters of a script's output kept


_cpython_for = functools.cache(interpreters.cpython_of_profile)


def _python_of(spec):
    """The interpreter an implementation ran under, or (None, why not)."""
    if spec.startswith("python:"):
        return spec.partition(":")[2], None
    if spec.startswith("pyodide"):
        return None, "Pyodide runs under node, not as a script interpreter"
    if ":" in spec or spec in ("stdlib", "fmmap") or spec.startswith("reference"):
        return sys.executable, None  # in this interpreter, as the run did
    try:
        adapter = interpreters.resolve(spec)
    except interpreters.UsageError:
        return None, f"{spec!r} is not an implementation this checkout knows"
    argv = getattr(getattr(adapter, "worker", None), "argv", None)
    if not argv:
        return None, getattr(adapter, "reason", f"{spec} is not on this machine")
    return argv[0], None


def _run(python, script, *args, timeout=TIMEOUT):
    """(exit code or "hang", the last OUTPUT characters of stdout + stderr) of `script` run by
    `python` in a fresh temporary folder. Its end is its process's, not its output's (a child
    it leaves holding the output is no hang), and its whole process tree dies with it."""
    import secrets

    from impls import process

    with tempfile.TemporaryDirectory(prefix="mmap-replay-") as work:
        path = os.path.join(work, "repro.py")
        with open(path, "w") as f:
            f.write(script)
        # The project (for the reference) and the caller's folder (for a module:factory).
        path_entries = [ROOT, os.getcwd()]
        token = f"replay|{os.getpid()}.{secrets.token_hex(8)}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path_entries),
                   **{process.MARK_ENV: token})
        process.become_subreaper()  # what it leaves running comes here, to be killed
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.Popen([python, path, *args], cwd=work, env=env, stdout=out,
                                        stderr=err, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
            except OSError as exc:
                return "error", f"cannot start {python}: {exc.strerror or exc}"
            proc.mmapconf_token = token
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = "hang"
            finally:
                process.kill_tree(proc)
            output = []
            for f in (out, err):
                f.seek(0)
                output.append(f.read().decode("utf-8", "replace"))
    if code == "hang":
        return "hang", f"(no exit within {timeout} s: stopped)"
    return code, "".join(output)[-OUTPUT:]


def cannot_import(code, output):
    """The module a reproducer could not even import (its own "cannot import M" line, exit 2, or
    an ImportError traceback from an older script), else None: the script never ran a step."""
    if code in (0, "hang"):
        return None
    own = re.search(r"^cannot import ([\w.]+)", output, re.M)
    if own and code == 2:
        return own.group(1)
    last = output.strip().splitlines()[-1:] or [""]
    tb = re.match(r"(?:ModuleNotFoundError|ImportError): (?:No module named '([\w.]+)'"
                  r"|cannot import name '\w+' from '([\w.]+)')", last[0])
    return (tb.group(1) or tb.group(2)) if tb and "Traceback" in output else None


def _import_verdict(module):
    return f"cannot import {module} (run from the folder where it imports)"


def run_both(spec, profile, script, status, *, timeout=TIMEOUT):
    """Run one reproducer as a reader of the report would: on the implementation `spec` (its
    interpreter, its module) and with `--stdlib` on a real CPython of `profile`.

    {"on_impl", "on_cpython"}: a verdict each ("held", "did not hold (exit N)", "not run: WHY",
    "cannot import M (...)", and for CPython "CPython crashes too (signal N)"), plus, for each side
    that ran, the interpreter ("impl_python", "cpython"), its exit code ("impl_code",
    "cpython_code") and the end of its output ("impl_output", "cpython_output")."""
    out = {}
    python, why = _python_of(spec)
    if python is None:
        out["on_impl"] = f"not run: {why}"
    else:
        code, text = _run(python, script, timeout=timeout)
        module = cannot_import(code, text)
        held = code == 1 or (status == "crash" and code not in (0, 1, "error"))
        out["on_impl"] = (_import_verdict(module) if module else "held" if held
                          else f"did not hold (exit {code})")
        out.update(impl_python=python, impl_code=code, impl_output=text)
    cpython = _cpython_for(profile)
    if cpython is None:
        out["on_cpython"] = f"not run: no CPython of profile {profile} here"
    else:
        code, text = _run(cpython, script, "--stdlib", timeout=timeout)
        module = cannot_import(code, text)
        # CPython dying of a signal is its own known crash (expectations/), not a claim of
        # the reference's that the release contradicts.
        crashed = isinstance(code, int) and code < 0
        out["on_cpython"] = (_import_verdict(module) if module else "held" if code == 0
                             else f"CPython crashes too (signal {-code})" if crashed
                             else f"did not hold (exit {code})")
        out.update(cpython=cpython, cpython_code=code, cpython_output=text)
    return out


def replay(doc):
    """[{impl, clause, status, on_impl, on_cpython, ...}] for every reproducer in `doc`; the
    output of a side is kept only where it did not hold."""
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
        ran = run_both(r["impl"], profiles.get(r["impl"]), r["repro"], r["status"])
        row.update(on_impl=ran["on_impl"], on_cpython=ran["on_cpython"])
        if "cpython" in ran:
            row["cpython"] = ran["cpython"]
        for side, output in (("on_impl", "impl_output"), ("on_cpython", "cpython_output")):
            if output in ran and ran[side] != "held":
                row[output] = ran[output][-2000:]
        rows.append(row)
    return rows


def _bucket(verdict):
    for prefix in ("not run", "did not hold", "CPython crashes too", "cannot import"):
        if verdict.startswith(prefix):
            return prefix
    return verdict


def summary(rows):
    lines = []
    for side in ("on_impl", "on_cpython"):
        counts = {}
        for row in rows:
            key = _bucket(row[side])
            counts[key] = counts.get(key, 0) + 1
        lines.append(f"{side}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for row in rows:
        for side in ("on_impl", "on_cpython"):
            if _bucket(row[side]) in ("did not hold", "cannot import"):
                lines.append(f"  {row['impl']} {row['clause']}: {side} {row[side]}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance replay",
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
