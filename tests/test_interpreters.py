# SPDX-License-Identifier: MIT
"""Every interpreter found on this machine runs the worker and agrees on a plain op sequence;
missing ones are `unavailable` with a reason, unknown names are usage errors."""

import json
import mmap
import os
import re
import subprocess
import sys

import pytest

from conformance.engine import ops as o
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
            assert about["full_version"].startswith(name[len("cpython"):])
        if name.startswith("pypy3."):
            assert about["version"] == name[len("pypy"):]
        if name == "pyodide":
            assert (about["runtime"], about["platform"]) == ("pyodide", "emscripten")
        assert adapter.profile == adapters.profile_for(about["full_version"])
        got = [adapter.apply(op.json()) for op in SEQUENCE]
    finally:
        adapter.close()
    for op, want, have in zip(SEQUENCE, expected, got):
        versions, out = OLDER.get(op.args[0] if op.name == "call" else op.name, ((), None))
        if about["version"] in versions and want["out"][0] == "ok":
            want = dict(want, out=out)
        assert have == want, f"{name} differs at {op.py()}"


def test_python_path_runs_the_given_interpreter():
    adapter = interpreters.resolve("python:" + sys.executable)
    try:
        assert adapter.start()["full_version"] == "{}.{}.{}".format(*sys.version_info[:3])
    finally:
        adapter.close()


@pytest.mark.parametrize("spec", ["python:/nonexistent/python", "python:/bin/false"])
def test_missing_or_broken_interpreter_is_unavailable(spec):
    adapter = interpreters.resolve(spec)
    with pytest.raises(adapters.Unavailable) as info:
        adapter.start()
    adapter.close()
    assert str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name, env, fix", [
    ("cpython2.7", {"PYENV_ROOT": "/nonexistent", "PATH": "/nonexistent"}, "pyenv install 2.7"),
    ("cpython3.99", {}, "pyenv install 3.99"),
    ("pypy3", {"PATH": "/nonexistent"}, "apt-get install pypy3"),
    ("cpython3.15", {"PYENV_ROOT": "/nonexistent", "PATH": "/nonexistent"},
     "run `python -m conformance provision`"),
    ("pypy3.11", {"PATH": "/nonexistent"}, "run `python -m conformance provision`"),
    ("cpython3.13.99", {}, "pyenv install 3.13.99"),
    ("pyodide", {"PATH": "/nonexistent"}, "python -m conformance provision --pyodide"),
    ("pyodide", {"MMAPCONF_PYODIDE_DIR": "/nonexistent"},
     "python -m conformance provision --pyodide` (or `npm ci` in a checkout of the project)"),
])
def test_named_implementation_missing_is_unavailable(name, env, fix, monkeypatch):
    monkeypatch.setenv("MMAPCONF_INTERPRETERS", "/nonexistent")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    adapter = interpreters.resolve(name)
    with pytest.raises(adapters.Unavailable) as info:
        adapter.start()
    assert fix in str(info.value) and "\n" not in str(info.value)
    row = dict((n, (how, why)) for n, how, why in interpreters.discover()).get(name)
    if row is not None:
        assert row == ("missing", str(info.value))


def test_fmmap_missing_names_the_pin(monkeypatch):
    monkeypatch.setattr(interpreters.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(adapters.Unavailable, match="fmmap==2.0.0"):
        interpreters.resolve("fmmap").start()


@pytest.mark.parametrize("spec", ["bogus", "cpython", "cpython3", "cpython3.13.", "python:",
                                  "pypy4", "pypy3.", "all"])
def test_unknown_names_are_usage_errors(spec):
    with pytest.raises(adapters.UsageError):
        interpreters.resolve(spec)


def test_listing_names_everything_and_all_specs_starts_with_the_basics():
    text = interpreters.listing()
    for name in interpreters.NAMES:
        assert name in text
    specs = interpreters.all_specs()
    assert specs[:2] == ["reference", "stdlib"]
    for spec in set(specs) - set(interpreters.NAMES):
        assert re.match(r"(cpython\d+\.\d+\.\d+|pypy3\.\d+)$", spec), spec


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


# Discovery and naming, on a fake machine: a pyenv root, a PATH folder and a provisioned folder
# whose "interpreters" are tiny shell scripts printing what the probe asks (or the running
# python itself, where a worker must really start).

def _script(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + text + "\n")
    path.chmod(0o755)
    return str(path)


def _prints(path, impl, version, language=None):
    """An interpreter that answers the discovery probe (`-c PROBE`) with these versions."""
    return _script(path, f"echo {impl} {version} {language or version}")


def _runs_me(path):
    """A launcher that really starts a worker: the running python."""
    return _script(path, f'exec "{sys.executable}" "$@"')


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A fake machine: pyenv has 3.13.0; PATH has python3.13 (3.13.5) and pypy3 (PyPy 7.3.11
    for 3.9); the provisioned folder has 3.13.18, 3.15.2 and PyPy 8.0.1 for 3.11 (no 3.14)."""
    pyenv, bin_, prov = tmp_path / "pyenv", tmp_path / "bin", tmp_path / "prov"
    _prints(pyenv / "versions" / "3.13.0" / "bin" / "python", "cpython", "3.13.0")
    (pyenv / "versions" / "3.13-dev" / "bin").mkdir(parents=True)  # not a release: ignored
    _prints(bin_ / "python3.13", "cpython", "3.13.5")
    _prints(bin_ / "pypy3", "pypy", "7.3.11", "3.9.16")
    _script(bin_ / "python3.12", "exit 1")  # does not answer the probe: not an interpreter
    entries = [("cpython", "3.13.18", "3.13.18", "python3.13"),
               ("cpython", "3.15.2", "3.15.2", "python3.15"),
               ("pypy", "8.0.1", "3.11.17", "pypy3.11")]
    manifest = {"interpreters": [
        {"name": name, "implementation": impl, "version": version, "language": language,
         "launcher": _runs_me(prov / "bin" / name)} for impl, version, language, name in entries]}
    (prov / "interpreters.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    monkeypatch.setenv("PATH", str(bin_))
    monkeypatch.setenv("MMAPCONF_INTERPRETERS", str(prov))
    return tmp_path


def _rows():
    return {name: (how, where) for name, how, where in interpreters.discover()}


def test_newest_release_takes_the_short_name_and_the_others_their_own(machine):
    rows = _rows()
    assert rows["cpython3.13"] == ("provisioned 3.13.18", str(machine / "prov/bin/python3.13"))
    assert rows["cpython3.13.5"] == ("PATH 3.13.5", str(machine / "bin/python3.13"))
    assert rows["cpython3.13.0"] == ("pyenv 3.13.0",
                                     str(machine / "pyenv/versions/3.13.0/bin/python"))
    assert rows["cpython3.15"][0] == "provisioned 3.15.2"
    assert "cpython3.13.18" not in rows and "cpython3.12" in rows
    how, why = rows["cpython3.14"]
    assert how == "missing" and "python -m conformance provision" in why and "\n" not in why
    assert rows["pypy3"] == rows["pypy3.11"]
    assert rows["pypy3.11"] == ("provisioned PyPy 8.0.1, Python 3.11.17",
                                str(machine / "prov/bin/pypy3.11"))
    assert rows["pypy3.9"] == ("PATH PyPy 7.3.11, Python 3.9.16", str(machine / "bin/pypy3"))


def test_all_runs_each_distinct_interpreter_once(machine):
    specs = interpreters.all_specs()
    found = [s for s in specs if s.startswith(("cpython", "pypy"))]
    assert found == ["cpython3.13", "cpython3.13.5", "cpython3.13.0", "cpython3.15", "pypy3.11",
                     "pypy3.9"]


@pytest.mark.parametrize("spec, path", [
    ("cpython3.13", "prov/bin/python3.13"),
    ("cpython3.13.18", "prov/bin/python3.13"),  # the newest, by its exact name too
    ("cpython3.13.0", "pyenv/versions/3.13.0/bin/python"),
    ("cpython3.13.5", "bin/python3.13"),
    ("pypy3", "prov/bin/pypy3.11"),
    ("pypy3.11", "prov/bin/pypy3.11"),
    ("pypy3.9", "bin/pypy3"),
])
def test_names_resolve_to_their_interpreter(machine, spec, path):
    adapter = interpreters.resolve(spec)
    try:
        assert adapter.worker.argv[0] == str(machine / path)
    finally:
        adapter.close()


@pytest.mark.parametrize("spec, says", [
    ("cpython3.13.7", "CPython 3.13.7 not found"),
    ("cpython3.14", "run `python -m conformance provision`, or `pyenv install 3.14`"),
    ("pypy3.10", "(found pypy3.11, pypy3.9)"),
])
def test_names_not_found_say_what_was(machine, spec, says):
    adapter = interpreters.resolve(spec)
    with pytest.raises(adapters.Unavailable) as info:
        adapter.start()
    assert says in str(info.value) and "\n" not in str(info.value)
    if spec == "cpython3.13.7":
        assert "(found 3.13.18, 3.13.5, 3.13.0)" in str(info.value)


def test_a_release_found_twice_is_one_interpreter(machine):
    _prints(machine / "bin" / "python3.13", "cpython", "3.13.0")  # the same release as pyenv's
    rows = _rows()
    assert rows["cpython3.13.0"][0] == "pyenv 3.13.0"
    assert [n for n in rows if n.startswith("cpython3.13")] == ["cpython3.13", "cpython3.13.0"]


def test_a_provisioned_launcher_starts_a_worker_and_the_running_one_is_left_out(machine):
    """The fake cpython3.15 is the running python behind a script: it starts and answers; a
    symlink to the running python is the running interpreter, which `all` leaves to stdlib."""
    adapter = interpreters.resolve("cpython3.15")
    try:
        assert adapter.start()["full_version"] == "{}.{}.{}".format(*sys.version_info[:3])
    finally:
        adapter.close()
    os.symlink(sys.executable, machine / "bin" / "python3.11")
    assert "cpython3.11" in _rows()
    assert "cpython3.11" not in interpreters.all_specs()


def test_a_stale_manifest_or_none_is_no_interpreter(machine):
    os.remove(machine / "prov" / "bin" / "python3.15")
    assert _rows()["cpython3.15"][0] == "missing"
    (machine / "prov" / "interpreters.json").write_text("{not json")
    assert _rows()["cpython3.13"][0] == "PATH 3.13.5"
    assert _rows()["pypy3"][0].startswith("PATH PyPy 7.3.11")


# The real provisioned folder, where this machine has one (python -m conformance provision).

def _real_manifest():
    path = os.path.join(interpreters.provisioned_dir(), "interpreters.json")
    if not os.path.isfile(path):
        pytest.skip(f"no provisioned interpreters in {os.path.dirname(path)}: run "
                    "`python -m conformance provision`")
    with open(path) as f:
        return json.load(f)["interpreters"]


def test_provisioned_launchers_start_and_report_their_version():
    entries = _real_manifest()
    assert entries
    for entry in entries:
        out = subprocess.run([entry["launcher"], "-c", interpreters.PROBE], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [entry["implementation"], entry["version"], entry["language"]]


# `python -m conformance provision` fails in one line, leaving nothing behind.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIM = os.path.join(ROOT, "tools", "provision_interpreters.py")


def _provision(*args, env=None, command=("-m", "conformance", "provision")):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           **(env or {})}
    return subprocess.run([sys.executable, *command, *args], capture_output=True, text=True,
                          timeout=300, env=env)


def _one_line(done, code, says):
    assert done.returncode == code, done.stderr
    assert says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_provisioning_from_an_unreachable_mirror_fails_in_one_line(tmp_path):
    if not interpreters.shutil.which("apt-get"):
        pytest.skip("apt-get is not installed here")
    dest = tmp_path / "new" / "interpreters"
    # Port 9 (discard) on this host: refused at once, no network involved.
    done = _provision("--dest", str(dest), "--mirror", "http://127.0.0.1:9/debian", "-q")
    _one_line(done, 1, "fetched no package index")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("dest", ["file", "file/below"])
def test_provisioning_into_a_bad_dest_fails_in_one_line(tmp_path, dest):
    (tmp_path / "file").write_text("")
    done = _provision("--dest", str(tmp_path / dest), "--mirror", "http://127.0.0.1:9/debian")
    _one_line(done, 1, "exists and is not a folder")
    assert os.listdir(tmp_path) == ["file"]


def test_provisioning_without_dpkg_fails_in_one_line(tmp_path):
    done = _provision("--dest", str(tmp_path / "d"), env={"PATH": str(tmp_path)})
    _one_line(done, 1, "not found")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args, says", [
    (["--no-such-option"], "python -m conformance provision: unrecognized arguments: "
                           "--no-such-option (--help for usage)"),
    (["--dest"], "argument --dest: expected one argument"),
    (["--pyodide", "--mirror", "http://127.0.0.1:9/debian"], "--mirror is for the Debian"),
])
def test_provisioning_usage_error_is_status_2(args, says):
    _one_line(_provision(*args), 2, says)


def test_the_checkout_shim_is_the_same_command():
    """.ci/run and `nox -s interpreters` run it before pytest is installed: stdlib only."""
    done = _provision("--no-such-option", command=("-S", SHIM))
    _one_line(done, 2, "tools/provision_interpreters.py: unrecognized arguments")


def test_provisioning_again_does_nothing(tmp_path):
    (tmp_path / "root").mkdir()
    launcher = _runs_me(tmp_path / "bin" / "python3.15")
    (tmp_path / "interpreters.json").write_text(json.dumps({"interpreters": [
        {"name": "python3.15", "implementation": "cpython", "version": "3.15.2",
         "language": "3.15.2", "launcher": launcher}]}))
    done = _provision("--mirror", "http://127.0.0.1:9/debian",
                      env={"MMAPCONF_INTERPRETERS": str(tmp_path)})
    assert done.returncode == 0 and "up to date" in done.stdout, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["bin", "interpreters.json", "root"]
