# SPDX-License-Identifier: MIT
"""Every interpreter found on this machine runs the worker and agrees on a plain op sequence;
missing ones are `unavailable` with a reason, unknown names are usage errors."""

import mmap
import os
import sys

import pytest

from conformance import ops as o
from impls import adapters, interpreters
from impls.executor import Executor

# Nothing here differs between CPython 2.7 and 3.14, PyPy or Pyodide: no seek (3.13 returns the
# position), no flush (0 before 3.8), no close (PyPy's len() of a closed map is 0), no resize
# (Pyodide cannot mremap), no m[i] or read_byte (str in 2.7, int in 3).
SEQUENCE = [
    o.Open(b"hello world\nsecond line\n", 0),
    o.Read(5),
    o.Find(b"o"),
    o.Call("readline"),
    o.Call("write", b"XY"),
    o.Call("rfind", b"l"),
    o.Call("move", 0, 6, 5),
    o.Call("readline"),
    o.Len(),
    o.Call("write", b"0123456789abcdef"),
]
# What older versions return differently (version behaviour, checked against the reference
# elsewhere): method -> (versions, the outcome there).
OLDER = {"write": (("2.7",), ["ok", None])}  # write() returns the count since 3.6

FOUND = [name for name, how, _ in interpreters.discover()
         if how != "missing" and name not in ("reference", "stdlib")]


@pytest.fixture(scope="module")
def expected():
    """The sequence under this interpreter's own mmap, in process."""
    executor = Executor(mmap.mmap, mmap)
    try:
        return [executor.apply(op.json()) for op in SEQUENCE]
    finally:
        executor.shutdown()


@pytest.mark.parametrize("name", FOUND)
def test_worker_answers_and_agrees(name, expected):
    adapter = interpreters.resolve(name, timeout=30)
    try:
        about = adapter.start()
        if name.startswith("cpython"):
            assert about["implementation"] == "cpython"
            assert adapter.profile == name[len("cpython"):]
        if name == "pyodide":
            assert (about["runtime"], about["platform"]) == ("pyodide", "emscripten")
        assert adapter.profile == adapters.profile_for(about["version"])
        got = [adapter.apply(op.json()) for op in SEQUENCE]
    finally:
        adapter.close()
    for op, want, have in zip(SEQUENCE, expected, got):
        versions, out = OLDER.get(op.args[0] if op.name == "call" else op.name, ((), None))
        if about["version"] in versions and want["out"][0] == "ok":
            want = dict(want, out=out)
        assert have == want, f"{name} differs at {op.py()}"


def test_python_path_runs_the_given_interpreter():
    adapter = adapters.resolve("python:" + sys.executable)
    try:
        assert adapter.start()["full_version"] == "{}.{}.{}".format(*sys.version_info[:3])
    finally:
        adapter.close()


@pytest.mark.parametrize("spec", ["python:/nonexistent/python", "python:/bin/false"])
def test_missing_or_broken_interpreter_is_unavailable(spec):
    adapter = adapters.resolve(spec)
    with pytest.raises(adapters.Unavailable) as info:
        adapter.start()
    adapter.close()
    assert str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name, env, fix", [
    ("cpython2.7", {"PYENV_ROOT": "/nonexistent", "PATH": "/nonexistent"}, "pyenv install 2.7"),
    ("cpython3.99", {}, "pyenv install 3.99"),
    ("pypy3", {"PATH": "/nonexistent"}, "apt-get install pypy3"),
    ("pyodide", {"PATH": "/nonexistent"}, "npm ci"),
    ("pyodide", {"MMAPCONF_PYODIDE_DIR": "/nonexistent"}, "npm ci"),
])
def test_named_implementation_missing_is_unavailable(name, env, fix, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    adapter = adapters.resolve(name)
    with pytest.raises(adapters.Unavailable) as info:
        adapter.start()
    assert fix in str(info.value) and "\n" not in str(info.value)
    row = dict((n, (how, why)) for n, how, why in interpreters.discover()).get(name)
    if row is not None:
        assert row == ("missing", str(info.value))


def test_fmmap_missing_names_the_pin(monkeypatch):
    monkeypatch.setattr(interpreters.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(adapters.Unavailable, match="fmmap==2.0.0"):
        adapters.resolve("fmmap").start()


@pytest.mark.parametrize("spec", ["bogus", "cpython", "cpython3", "python:", "pypy4", "all"])
def test_unknown_names_are_usage_errors(spec):
    with pytest.raises(adapters.UsageError):
        adapters.resolve(spec)


def test_listing_names_everything_and_all_specs_starts_with_the_basics():
    text = interpreters.listing()
    for name in interpreters.NAMES:
        assert name in text
    specs = interpreters.all_specs()
    assert specs[:2] == ["reference", "stdlib"]
    assert set(specs) <= set(interpreters.NAMES)


def test_pyodide_found_from_a_subfolder(tmp_path, monkeypatch):
    """node_modules/pyodide is looked for upward from the current folder."""
    fake = tmp_path / "node_modules" / "pyodide"
    fake.mkdir(parents=True)
    (fake / "pyodide.mjs").write_text("")
    (fake / "package.json").write_text('{"version": "1.2.3"}')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("MMAPCONF_PYODIDE_DIR", raising=False)
    if not os.path.exists("/usr/bin/node") and not interpreters.shutil.which("node"):
        pytest.skip("node is not installed")
    _, folder, version = interpreters.find_pyodide()
    assert (folder, version) == (str(fake), "1.2.3")
