# SPDX-License-Identifier: MIT
"""CPython's own `Lib/test/test_mmap.py`, run against the reference at that version's profile.

    python -m conformance cpython-suite [--python PATH ...] [--all] [--profile X.Y]
                                        [--testsuite-root DIR] [--json PATH]

For each interpreter: ask it where its `test/test_mmap.py` is (never a copy in this repo), run
that file's unittest cases in a subprocess of the running interpreter with `sys.modules["mmap"]`
replaced by `impls.reference.module(profile_for(its version))`, and again under that interpreter
with its own `mmap`, for comparison. Prints a Markdown table (run / pass / fail / n/a / skip per
interpreter and implementation), then every reference failure with its assertion message.

A reference failure is a reference bug unless the test is in NOT_APPLICABLE (a Python-level
class cannot do what the C type does there) *and* its failure says so; those are counted
apart, never hidden. Exit status: 0 no unexplained reference failure, 1 some, 2 a usage error,
3 something asked for could not be checked (no interpreter, no test file, a file that would
not load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from conformance.results import header

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(HERE, "cpython_suite_runner.py")
RUN_TIMEOUT = 900  # seconds for one run of one test file
MAX_RESTARTS = 5   # a test that kills the process is recorded, and the run resumes after it

# Tests the reference cannot pass as a Python-level class in this interpreter:
# test method name -> (one-line reason, what the failure must say for the reason to hold,
# first running Python version where the reason no longer holds, or None).
_BUFFER = r"bytes-like object|buffer interface|memoryview"
NOT_APPLICABLE = {
    "test_basic": ("re.search(pattern, m) needs the C buffer protocol; a Python class has it "
                   "only from Python 3.12 (PEP 688 __buffer__)", _BUFFER, (3, 12)),
    "test_setitem_slice_resize_reentrancy": (
        "its value is a Python class with __buffer__, a buffer only from Python 3.12 (PEP 688)",
        r"a bytes-like object is required, not 'ResizeOnBuffer'", (3, 12)),
}

# Where an extracted Debian libpythonX.Y-testsuite (or a similar tree) keeps the file.
_TREE_CANDIDATES = ("usr/lib/python{v}/test/test_mmap.py", "lib/python{v}/test/test_mmap.py",
                    "python{v}/test/test_mmap.py")

_DESCRIBE = (
    "import json, os, platform, sys, sysconfig\n"
    "try:\n"
    "    import test\n"
    "    d = list(test.__path__)[0]\n"
    "except ImportError:\n"
    "    d = None\n"
    "sys.stdout.write(json.dumps({'version': platform.python_version(),"
    " 'implementation': platform.python_implementation(),"
    " 'stdlib': sysconfig.get_path('stdlib'), 'test_dir': d}))\n"
)


class UsageError(Exception):
    pass


def describe(python):
    """What the interpreter says about itself: version, implementation, stdlib, test dir."""
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        found = shutil.which(python)
        if not found:
            raise UsageError(f"--python {python}: no such executable")
        python = found
    env = _clean_env()
    proc = subprocess.run([python, "-c", _DESCRIBE], capture_output=True, text=True,
                          timeout=60, env=env)
    if proc.returncode != 0:
        raise UsageError(f"--python {python}: it did not run ({proc.stderr.strip()[-200:]})")
    info = json.loads(proc.stdout)
    info["python"] = python
    return info


def locate(info, roots=()):
    """The interpreter's own test/test_mmap.py, else one under a --testsuite-root tree."""
    if info.get("test_dir"):
        path = os.path.join(info["test_dir"], "test_mmap.py")
        if os.path.isfile(path):
            return path
    short = ".".join(info["version"].split(".")[:2])
    for root in roots:
        for pattern in _TREE_CANDIDATES:
            path = os.path.join(root, pattern.format(v=short))
            if os.path.isfile(path):
                return path
    return None


def _clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_file(python, test_file, mode, profile=None):
    """Run the test file under `python` (mode "stdlib") or under this interpreter with the
    reference (mode "reference"); -> {"shims", "import_error", "tests": {id: {status, message}}}.
    A test that kills the process is a "crash" (with the signal), and the run resumes after it."""
    argv = [python, RUNNER, test_file]
    tail = [mode] + ([profile, ROOT] if mode == "reference" else [])
    state = {"shims": [], "import_error": None, "tests": {}, "crashes": 0}
    with tempfile.TemporaryDirectory(prefix="cpython-suite-") as work:
        out = os.path.join(work, "events.jsonl")
        skip = os.path.join(work, "skip.txt")
        cwd = os.path.join(work, "cwd")  # TESTFN and friends are created here
        os.mkdir(cwd)
        for _ in range(MAX_RESTARTS + 1):
            open(out, "w").close()
            with open(skip, "w") as f:
                f.write("".join(t + "\n" for t in state["tests"]))
            try:
                proc = subprocess.run(argv[:2] + [test_file, out] + tail + [skip], cwd=cwd,
                                      env=_clean_env(), capture_output=True, text=True,
                                      errors="replace", timeout=RUN_TIMEOUT)
                code, stderr = proc.returncode, proc.stderr
            except subprocess.TimeoutExpired as exc:
                code, stderr = "timeout", exc.stderr or ""
            started, done = None, False
            with open(out) as f:
                for line in f:
                    event = json.loads(line)
                    kind = event.pop("event")
                    if kind == "shims":
                        state["shims"] = event["names"]
                    elif kind == "import_error":
                        state["import_error"] = event["message"]
                        done = True
                    elif kind == "start":
                        started = event["id"]
                    elif kind == "result":
                        state["tests"][event.pop("id")] = event
                        started = None
                    elif kind == "done":
                        done = True
            if done:
                break
            if started is None:  # died outside any test: nothing to resume after
                state["import_error"] = (f"runner ended ({code}) before its first test: "
                                         + " ".join(str(stderr).split()[-30:]))
                break
            what = "timeout" if code == "timeout" else f"signal {-code}" if code < 0 else f"exit {code}"
            state["tests"][started] = {"status": "crash", "message": f"process died: {what}"}
            state["crashes"] += 1
    return state


def not_applicable(test_id, message, running=sys.version_info[:2]):
    """The reason a failing reference test is not applicable here, or None (a reference bug)."""
    entry = NOT_APPLICABLE.get(test_id.rsplit(".", 1)[-1])
    if entry is None:
        return None
    reason, evidence, until = entry
    if until is not None and running >= until:
        return None
    return reason if re.search(evidence, message or "") else None


def summarise(state, classify):
    """Counts, and the failing tests as [{id, status, message, reason?}]."""
    counts = {"run": 0, "pass": 0, "fail": 0, "na": 0, "skip": 0}
    failures, na = [], []
    for test_id, result in sorted(state["tests"].items()):
        counts["run"] += 1
        status = result["status"]
        if status in ("pass", "xfail"):
            counts["pass"] += 1
        elif status == "skip":
            counts["skip"] += 1
        else:
            reason = not_applicable(test_id, result["message"]) if classify else None
            row = {"id": test_id, "status": status, "message": result["message"]}
            if reason:
                counts["na"] += 1
                na.append(dict(row, reason=reason))
            else:
                counts["fail"] += 1
                failures.append(row)
    return counts, failures, na


def check(python, profile=None, roots=()):
    """One interpreter: its test file run against the reference and against its own mmap."""
    from impls.adapters import profile_for

    info = describe(python)
    entry = {"python": info["python"], "version": info["version"],
             "implementation": info["implementation"],
             "profile": profile or profile_for(info["version"]), "test_file": None, "runs": {}}
    test_file = locate(info, roots)
    if test_file is None:
        entry["problem"] = (f"no test/test_mmap.py for {info['implementation']} {info['version']}"
                            f" (looked in {info.get('test_dir')} and --testsuite-root)")
        return entry
    entry["test_file"] = test_file
    if info["version"].startswith("2.") and sys.version_info[0] >= 3:
        ref = {"import_error": "a Python 2 test file: its 'str' literals are bytes there and text "
                              "under Python 3, so it does not run against the reference here",
               "shims": [], "tests": {}, "crashes": 0}
    else:
        ref = run_file(sys.executable, test_file, "reference", entry["profile"])
    own = run_file(info["python"], test_file, "stdlib")
    for name, state, classify in (("reference", ref, True), ("stdlib", own, False)):
        counts, failures, na = summarise(state, classify)
        entry["runs"][name] = {"counts": counts, "failures": failures, "not_applicable": na,
                               "import_error": state["import_error"], "shims": state["shims"],
                               "crashes": state["crashes"]}
    return entry


def markdown(entries):
    lines = [f"CPython's own test_mmap.py; the reference runs under Python "
             f"{'.'.join(map(str, sys.version_info[:3]))}.", "",
             "| interpreter | profile | implementation | run | pass | fail | n/a | skip | note |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for e in entries:
        label = f"{e['implementation']} {e['version']}"
        if e.get("problem"):
            lines.append(f"| {label} | {e['profile']} | - | - | - | - | - | - | {e['problem']} |")
            continue
        for name, run in e["runs"].items():
            c = run["counts"]
            note = run["import_error"] or ""
            if run["shims"]:
                note = (note + "; " if note else "") + "test.support stand-ins: " + ", ".join(run["shims"])
            if run["import_error"]:
                lines.append(f"| {label} | {e['profile']} | {name} | - | - | - | - | - | "
                             f"{_cell(note)} |")
            else:
                lines.append(f"| {label} | {e['profile']} | {name} | {c['run']} | {c['pass']} | "
                             f"{c['fail']} | {c['na']} | {c['skip']} | {_cell(note)} |")
    sections = [("Reference failures (reference bugs)", "reference", "failures"),
                ("Not applicable to a Python-level class here", "reference", "not_applicable"),
                ("Failures of the interpreter's own mmap", "stdlib", "failures")]
    for title, run_name, key in sections:
        rows = [(e, r) for e in entries for r in e.get("runs", {}).get(run_name, {}).get(key, [])]
        lines += ["", f"## {title}: {len(rows)}", ""]
        for e, r in rows:
            text = r.get("reason") or f"{r['status']}: {r['message']}"
            lines.append(f"- {e['version']} (profile {e['profile']}) `{r['id']}`: {_cell(text)}")
    return "\n".join(lines) + "\n"


def all_cpythons():
    """Every CPython release impls.interpreters finds, oldest first, and this one."""
    from impls.interpreters import cpythons

    return [path for _, _, path in sorted(cpythons())] + [sys.executable]


def _unique(pythons):
    seen, out = set(), []
    for python in pythons:
        key = os.path.realpath(shutil.which(python) or python)
        if key not in seen:
            seen.add(key)
            out.append(python)
    return out


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def exit_status(entries):
    if any(e.get("problem") for e in entries):
        return 3
    if any(e["runs"]["reference"]["failures"] for e in entries):
        return 1
    if any(e["runs"]["reference"]["import_error"] and not e["version"].startswith("2.")
           for e in entries):
        return 3
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance cpython-suite",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", default=[], metavar="PATH",
                        help="a CPython interpreter (repeatable; default: this one)")
    parser.add_argument("--all", action="store_true",
                        help="every CPython this project finds (pyenv, python3.X on PATH) and this one")
    parser.add_argument("--profile", help="the reference profile to use (default: profile_for"
                                          " each interpreter's version)")
    parser.add_argument("--testsuite-root", action="append", default=[], metavar="DIR",
                        help="a tree holding usr/lib/pythonX.Y/test/test_mmap.py, for an "
                             "interpreter installed without its test suite")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.profile:
        from impls.profiles import PROFILES
        if args.profile not in PROFILES:
            parser.exit(2, f"--profile {args.profile}: unknown; one of {', '.join(PROFILES)}\n")
    entries = []
    try:
        pythons = list(args.python) + (all_cpythons() if args.all else [])
        for python in _unique(pythons or [sys.executable]):
            entries.append(check(python, args.profile, args.testsuite_root))
    except UsageError as exc:
        parser.exit(2, f"{exc}\n")
    sys.stdout.write(markdown(entries))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump({**header("cpython-suite"), "running": sys.version.split()[0],
                       "interpreters": entries}, f, indent=1)
        os.replace(tmp, args.json)
    return exit_status(entries)


if __name__ == "__main__":
    sys.exit(main())
