# SPDX-License-Identifier: MIT
"""Named implementations found on this machine: CPython 2.7-3.x (pyenv or PATH), PyPy, fmmap and
Pyodide under node, each run through worker.py (or pyodide_runner.js) in its own process.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

from impls import provision
from impls.adapters import ReferenceAdapter, Unavailable, UsageError, WorkerAdapter
from impls.profiles import PROFILES

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "pyodide_runner.js")
CPYTHONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
NAMES = ("reference", "stdlib") + tuple(f"cpython{v}" for v in CPYTHONS) + (
    "pypy3", "pypy3.11", "fmmap", "pyodide", "all")
PYODIDE_ENV = "MMAPCONF_PYODIDE_DIR"
FMMAP_PIN = "fmmap==2.0.0"  # keep in step with pyproject's `impls` extra
PROVISIONED_ENV = provision.ENV
PROVISIONED = provision.CPYTHONS  # the CPythons `python -m conformance provision` installs
PROVISION = "run `python -m conformance provision`"
PROVISION_PYODIDE = ("run `python -m conformance provision --pyodide` (or `npm ci` in a "
                     "checkout of the project)")
# One line for CPython 2.7 to 3.15 and PyPy: "implementation release language-release".
PROBE = ("import platform, sys; v = getattr(sys, 'pypy_version_info', sys.version_info); "
         "sys.stdout.write(' '.join([platform.python_implementation().lower(), "
         "'.'.join(map(str, v[:3])), '.'.join(map(str, sys.version_info[:3]))]))")


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return root if os.path.isdir(root) else None


def provisioned_dir():
    """Where `python -m conformance provision` puts its interpreters and Pyodide."""
    return provision.default_dest()


def _release(text):
    return tuple(int(p) for p in text.split("."))


def _dotted(release):
    return ".".join(map(str, release))


@functools.cache
def _probe(path, mtime):
    """(implementation, release, language release) of an interpreter on PATH, or None."""
    try:
        out = subprocess.run([path, "-c", PROBE], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL).stdout.split()
        return out[0], _release(out[1]), _release(out[2])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return None


def _on_path(pattern):
    """[(implementation, release, language, path)] of the interpreters on PATH whose file name
    matches `pattern`, as each one reports itself (pyenv's shims left out: they only dispatch)."""
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or "shims" in folder.split(os.sep):
            continue
        for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*"))):
            if re.match(pattern + "$", os.path.basename(path)) and os.access(path, os.X_OK):
                about = _probe(path, os.stat(path).st_mtime)
                if about:
                    found.append((*about, path))
    return found


def _provisioned():
    """[(implementation, release, language, launcher)] from the provisioned interpreters.json."""
    try:
        with open(os.path.join(provisioned_dir(), "interpreters.json")) as f:
            entries = json.load(f)["interpreters"]
        return [(e["implementation"], _release(e["version"]), _release(e["language"]),
                 e["launcher"]) for e in entries if os.access(e["launcher"], os.X_OK)]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def cpythons():
    """Every CPython found, one per release, newest first: [(release, how, path)].

    A release found twice is taken from pyenv, else from PATH, else from the provisioned folder.
    """
    found = []
    root = _pyenv_root()
    if root:
        for path in glob.glob(os.path.join(glob.escape(root), "versions", "*", "bin", "python")):
            name = path.split(os.sep)[-3]
            if re.match(r"\d+\.\d+\.\d+$", name):
                found.append((_release(name), "pyenv", path))
    found += [(release, "PATH", path)
              for impl, release, _, path in _on_path(r"python\d+\.\d+") if impl == "cpython"]
    found += [(release, "provisioned", path)
              for impl, release, _, path in _provisioned() if impl == "cpython"]
    seen, unique = set(), []
    for release, how, path in found:
        if release not in seen and os.path.realpath(path) not in seen:
            seen.update((release, os.path.realpath(path)))
            unique.append((release, how, path))
    return sorted(unique, key=lambda row: row[0], reverse=True)


def cpython_of_profile(profile):
    """A real CPython whose release has reference profile `profile`, or None: what a profile is
    held against (tests/test_reference_profiles.py, conformance.reporting.replay)."""
    from impls.profiles import profile_for

    return next((path for release, _, path in cpythons()
                 if profile_for(_dotted(release)) == profile), None)


def find_cpython(version):
    """(how, path) of CPython `version`: X.Y is the newest X.Y.Z found, X.Y.Z that release.
    Raise Unavailable naming where we looked and the fix."""
    want = _release(version)
    found = cpythons()
    for release, how, path in found:
        if release[:len(want)] == want:
            return how, path
    root = _pyenv_root()
    where = f"{root}/versions" if root else "pyenv (no PYENV_ROOT)"
    others = ", ".join(_dotted(r) for r, _, _ in found if r[:2] == want[:2])
    others = f" (found {others})" if others else ""
    fix = f"install it with `pyenv install {version}`"
    if version in PROVISIONED:
        fix = f"{PROVISION}, or `pyenv install {version}`"
    raise Unavailable(f"CPython {version} not found in {where}, as python{_dotted(want[:2])} on "
                      f"PATH or in {provisioned_dir()}{others}: {fix}")


def pypys():
    """Every PyPy found, newest first: [(language release, release, how, path)], one per
    language version X.Y (the newest PyPy for it)."""
    found = [(language, release, "PATH", path)
             for impl, release, language, path in _on_path(r"pypy3(\.\d+)?") if impl == "pypy"]
    found += [(language, release, "provisioned", path)
              for impl, release, language, path in _provisioned() if impl == "pypy"]
    newest = {}
    for row in sorted(found, key=lambda row: row[:2]):
        newest[row[0][:2]] = row
    return sorted(newest.values(), reverse=True)


def find_pypy3(language=None):
    """(how, path) of the newest PyPy, or of the one for Python `language` (X.Y)."""
    for lang, _, how, path in pypys():
        if language is None or lang[:2] == _release(language):
            return how, path
    if language == "3.11":
        raise Unavailable(f"PyPy for Python 3.11 not in {provisioned_dir()} or on PATH: "
                          f"{PROVISION}")
    found = ", ".join("pypy" + _dotted(lang[:2]) for lang, _, _, _ in pypys())
    name = f"PyPy for Python {language}" if language else "pypy3"
    raise Unavailable(f"{name} not found on PATH or in {provisioned_dir()}"
                      + (f" (found {found})" if found else "")
                      + ": install it with `apt-get install pypy3` (PyPy 3.9 on Debian 12), "
                      f"or {PROVISION} for PyPy 3.11")


def find_pyodide():
    """Return (node, pyodide_dir, version) or raise Unavailable with the fix."""
    node = shutil.which("node")
    if not node:
        raise Unavailable(f"node not found on PATH: install Node.js >= 18, then {PROVISION_PYODIDE}")
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
        candidates.append(provision.pyodide_dir(provisioned_dir()))
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
                          f"at node_modules/pyodide, or unset it and {PROVISION_PYODIDE}")
    raise Unavailable("node_modules/pyodide not found above the current folder or the project, "
                      f"nor in {provision.pyodide_dir(provisioned_dir())}: {PROVISION_PYODIDE}; or "
                      f"set {PYODIDE_ENV} to a Pyodide folder")


def find_fmmap():
    if importlib.util.find_spec("fmmap") is None:
        raise Unavailable(f"fmmap is not installed for {sys.executable}: "
                          f"pip install '{FMMAP_PIN}' (or the project's `impls` extra)")
    return "module", importlib.util.find_spec("fmmap").origin


class MissingAdapter:
    """A named implementation that is not on this machine: starting it says why."""

    batched = False

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
    """Turn an --impl SPEC into an adapter (not started): the reference, the running stdlib, a
    `module:factory`, a named implementation of this machine or `python:PATH`.

    Raise UsageError for a bad spec or a name we do not know; a known name that is missing here
    resolves to an adapter whose start() raises Unavailable with the one-line reason.
    """
    if spec == "reference" or spec.startswith("reference@"):
        return _reference(spec)
    if spec == "stdlib":
        return WorkerAdapter(spec, "stdlib", sys.executable, "mmap:mmap", timeout=timeout)
    if ":" in spec and not spec.startswith("python:"):
        return _module_factory(spec, timeout)
    if spec.startswith("python:"):
        return _python_path(spec, timeout)
    try:
        adapter = _named(spec, timeout)
    except Unavailable as exc:
        return MissingAdapter(spec, str(exc))
    if adapter is not None:
        return adapter
    if spec == "all":
        raise UsageError("--impl all expands to several implementations: use all_specs()")
    raise UsageError(f"unknown --impl {spec!r}: use one of {', '.join(NAMES)}, cpythonX.Y.Z, "
                     "pypy3.X, python:/path/to/python or package.module:factory "
                     "(`python -m conformance list` shows what is installed)")


def _reference(spec):
    """`reference`, or `reference@PROFILE`."""
    if spec == "reference":
        return ReferenceAdapter()
    profile = spec.partition("@")[2]
    if profile not in PROFILES:
        raise UsageError(f"unknown reference profile {profile!r}; "
                         f"choose one of {', '.join(PROFILES)}")
    return ReferenceAdapter(profile)


def _module_factory(spec, timeout):
    """`package.module:factory`, run by this interpreter."""
    module, _, factory = spec.partition(":")
    if not module or not factory or not all(p.isidentifier() for p in module.split(".")):
        raise UsageError(f"--impl {spec!r}: expected package.module:factory")
    return WorkerAdapter(spec, spec, sys.executable, spec, timeout=timeout)


def _python_path(spec, timeout):
    """`python:PATH`: the mmap of the interpreter at PATH."""
    path = spec.partition(":")[2]
    if not path:
        raise UsageError(f"--impl {spec!r}: expected python:/path/to/python")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return MissingAdapter(spec, f"{path} is not an executable file: give the full path "
                                    "of a Python interpreter")
    return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)


def _named(spec, timeout):
    """A named implementation found on this machine (Unavailable when it is not here), or
    None for a name that is none of them."""
    cpython = re.match(r"cpython(\d+\.\d+(\.\d+)?)$", spec)
    pypy = re.match(r"pypy3(\.\d+)?$", spec)
    if cpython:
        _, path = find_cpython(cpython.group(1))
        return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)
    if pypy:
        _, path = find_pypy3(spec[len("pypy"):] if pypy.group(1) else None)
        return WorkerAdapter(spec, spec, path, "mmap:mmap", timeout=timeout)
    if spec == "fmmap":
        find_fmmap()
        return WorkerAdapter(spec, spec, sys.executable, "fmmap:mmap", timeout=timeout)
    if spec == "pyodide":
        node, folder, _ = find_pyodide()
        return WorkerAdapter(spec, spec, None, "mmap:mmap", timeout=timeout,
                             argv=[node, RUNNER, folder, "mmap:mmap"])
    return None


def discover():
    """Every named implementation: [(name, how, path-or-reason)]; how is "missing" if absent.

    cpythonX.Y is the newest X.Y.Z found, each other release found is cpythonX.Y.Z; pypy3 is
    the newest PyPy, and each PyPy found is also pypy3.X by its Python version.
    """
    rows = [("reference", "in process", "impls.reference (the C reference, every profile)"),
            ("stdlib", "worker", sys.executable)]
    found = cpythons()
    for version in CPYTHONS:
        mine = [row for row in found if row[0][:2] == _release(version)]
        if not mine:
            rows.append((f"cpython{version}", "missing", _reason(find_cpython, version)))
        for i, (release, how, path) in enumerate(mine):
            rows.append((f"cpython{version if i == 0 else _dotted(release)}",
                         f"{how} {_dotted(release)}", path))
    pypy = pypys()
    for i, (language, release, how, path) in enumerate(pypy):
        row = (f"{how} PyPy {_dotted(release)}, Python {_dotted(language)}", path)
        rows += [("pypy3", *row)] * (i == 0) + [(f"pypy{_dotted(language[:2])}", *row)]
    if not pypy:
        rows.append(("pypy3", "missing", _reason(find_pypy3)))
    if not any(lang[:2] == (3, 11) for lang, _, _, _ in pypy):
        rows.append(("pypy3.11", "missing", _reason(find_pypy3, "3.11")))
    try:
        how, path = find_fmmap()
        rows.append(("fmmap", how, path))
    except Unavailable as exc:
        rows.append(("fmmap", "missing", str(exc)))
    try:
        node, folder, version = find_pyodide()
        rows.append(("pyodide", f"node + pyodide {version}", folder))
    except Unavailable as exc:
        rows.append(("pyodide", "missing", str(exc)))
    return rows


def _reason(finder, *args):
    try:
        finder(*args)
    except Unavailable as exc:
        return str(exc)
    return "found after all"  # appeared while we looked


def all_specs():
    """What `--impl all` runs: reference, stdlib and every distinct implementation found.

    `pypy3` is left out (an alias of the newest pypy3.X, which runs), and so is the CPython that
    is the running interpreter: `stdlib` already runs it.
    """
    me = os.path.realpath(sys.executable)
    specs = []
    for name, how, where in discover():
        if how == "missing" or name == "pypy3" or (
                name.startswith("cpython") and os.path.realpath(where) == me):
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
