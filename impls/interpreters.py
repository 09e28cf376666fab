# SPDX-License-Identifier: MIT
"""Named implementations found on this machine: CPython 2.7-3.x (pyenv or PATH), PyPy, fmmap and
Pyodide under node, each run through worker.py (or pyodide_runner.js) in its own process.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import shutil
import sys

from impls.adapters import Unavailable, UsageError, WorkerAdapter

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "pyodide_runner.js")
CPYTHONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
NAMES = ("reference", "stdlib") + tuple(f"cpython{v}" for v in CPYTHONS) + (
    "pypy3", "fmmap", "pyodide", "all")
PYODIDE_ENV = "MMAPCONF_PYODIDE_DIR"
FMMAP_PIN = "fmmap==2.0.0"  # keep in step with pyproject's `impls` extra


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return root if os.path.isdir(root) else None


def _version_key(path):
    # .../versions/3.12.1/bin/python -> (3, 12, 1): the newest patch release wins
    name = path.split(os.sep)[-3]
    return tuple(int(p) for p in re.findall(r"\d+", name))


def find_cpython(version):
    """Return (how, path) for CPython X.Y, or raise Unavailable naming where we looked."""
    root = _pyenv_root()
    if root:
        found = [p for p in glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python"))
                 if re.match(re.escape(version) + r"\.\d+$", p.split(os.sep)[-3])]
        if found:
            return "pyenv", max(found, key=_version_key)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" in folder.split(os.sep):  # pyenv's shims only dispatch to the versions above
            continue
        path = os.path.join(folder, "python" + version)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return "PATH", path
    where = f"{root}/versions/{version}.*" if root else "pyenv (no PYENV_ROOT)"
    raise Unavailable(f"CPython {version} not found in {where} or as python{version} on PATH: "
                      f"install it with `pyenv install {version}`")


def find_pypy3():
    path = shutil.which("pypy3")
    if not path:
        raise Unavailable("pypy3 not found on PATH: install it with `apt-get install pypy3`")
    return "PATH", path


def find_pyodide():
    """Return (node, pyodide_dir, version) or raise Unavailable with the fix."""
    node = shutil.which("node")
    if not node:
        raise Unavailable("node not found on PATH: install Node.js >= 18, then `npm ci`")
    candidates = []
    if os.environ.get(PYODIDE_ENV):
        candidates.append(os.environ[PYODIDE_ENV])
    else:
        for start in (os.getcwd(), os.path.dirname(HERE)):
            folder = os.path.abspath(start)
            while True:
                candidates.append(os.path.join(folder, "node_modules", "pyodide"))
                parent = os.path.dirname(folder)
                if parent == folder:
                    break
                folder = parent
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "pyodide.mjs")):
            try:
                with open(os.path.join(folder, "package.json")) as f:
                    version = json.load(f).get("version", "?")
            except (OSError, ValueError):
                version = "?"
            return node, os.path.abspath(folder), version
    if os.environ.get(PYODIDE_ENV):
        raise Unavailable(f"{PYODIDE_ENV}={os.environ[PYODIDE_ENV]} has no pyodide.mjs: point it "
                          "at node_modules/pyodide, or unset it and run `npm ci` in the project")
    raise Unavailable("node_modules/pyodide not found above the current folder or the project: "
                      f"run `npm ci` in the project root (or set {PYODIDE_ENV})")


def find_fmmap():
    if importlib.util.find_spec("fmmap") is None:
        raise Unavailable(f"fmmap is not installed for {sys.executable}: "
                          f"pip install '{FMMAP_PIN}' (or the project's `impls` extra)")
    return "module", importlib.util.find_spec("fmmap").origin


class MissingAdapter:
    """A named implementation that is not on this machine: starting it says why."""

    def __init__(self, spec, reason):
        self.spec = self.name = spec
        self.reason = reason
        self.about = self.version = self.profile = None

    def start(self):
        raise Unavailable(self.reason)

    def apply(self, op):
        raise Unavailable(self.reason)

    def dump(self):
        return {}

    def close(self):
        pass


def resolve(spec, *, timeout=10.0):
    """An adapter for a named implementation or `python:PATH` (not started).

    Raise UsageError for a name we do not know; a known name that is missing here resolves to an
    adapter whose start() raises Unavailable with the one-line reason.
    """
    if spec.startswith("python:"):
        path = spec.partition(":")[2]
        if not path:
            raise UsageError(f"--impl {spec!r}: expected python:/path/to/python")
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return MissingAdapter(spec, f"{path} is not an executable file: give the full path "
                                        "of a Python interpreter")
        return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)
    match = re.match(r"cpython(\d+\.\d+)$", spec)
    try:
        if match:
            _, path = find_cpython(match.group(1))
            return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)
        if spec == "pypy3":
            _, path = find_pypy3()
            return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)
        if spec == "fmmap":
            find_fmmap()
            return WorkerAdapter(spec, spec, sys.executable, "fmmap:mmap", timeout=timeout)
        if spec == "pyodide":
            node, folder, _ = find_pyodide()
            return WorkerAdapter(spec, spec, None, "mmap:mmap", timeout=timeout,
                                 argv=[node, RUNNER, folder, "mmap:mmap"])
    except Unavailable as exc:
        return MissingAdapter(spec, str(exc))
    if spec == "all":
        raise UsageError("--impl all expands to several implementations: use all_specs()")
    raise UsageError(f"unknown --impl {spec!r}: use one of {', '.join(NAMES)}, "
                     "python:/path/to/python or package.module:factory "
                     "(`python -m conformance list` shows what is installed)")


def discover():
    """Every named implementation: [(name, how, path-or-reason)]; how is "missing" if absent."""
    rows = [("reference", "in process", "impls.reference (the C reference, every profile)"),
            ("stdlib", "worker", sys.executable)]
    finders = [(f"cpython{v}", lambda v=v: find_cpython(v)) for v in CPYTHONS]
    finders += [("pypy3", find_pypy3), ("fmmap", find_fmmap)]
    for name, finder in finders:
        try:
            how, path = finder()
            rows.append((name, how, path))
        except Unavailable as exc:
            rows.append((name, "missing", str(exc)))
    try:
        node, folder, version = find_pyodide()
        rows.append(("pyodide", f"node + pyodide {version}", folder))
    except Unavailable as exc:
        rows.append(("pyodide", "missing", str(exc)))
    return rows


def all_specs():
    """What `--impl all` runs: reference, stdlib and every implementation found.

    The cpythonX.Y that is the running interpreter is left out: `stdlib` already runs it.
    """
    me = os.path.realpath(sys.executable)
    specs = []
    for name, how, where in discover():
        if how == "missing" or (how in ("pyenv", "PATH") and name.startswith("cpython")
                                and os.path.realpath(where) == me):
            continue
        specs.append(name)
    return specs


def listing():
    """The text of `python -m conformance list`: one line per implementation."""
    rows = discover()
    width = max(len(name) for name, _, _ in rows)
    lines = []
    for name, how, where in rows:
        state = "missing" if how == "missing" else "found"
        detail = where if how == "missing" else f"{how}: {where}"
        lines.append(f"{name:<{width}}  {state:<7}  {detail}")
    lines.append("all" + " " * (width - 1) + "  runs reference, stdlib and every one found above")
    return "\n".join(lines)
