# SPDX-License-Identifier: MIT
"""Every nox session given a bad argument: the command's one clear line, and nox ends with
status 2. The session functions of the real noxfile run here with a stand-in for nox's Session
that runs each command in this interpreter (no virtualenv, no pip install)."""

import functools
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

nox_command = pytest.importorskip("nox.command", reason="nox is not installed here")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@functools.cache  # nox registers each session once per process
def load_noxfile():
    spec = importlib.util.spec_from_file_location("noxfile", os.path.join(ROOT, "noxfile.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Session:
    """What the sessions use of nox's Session; commands run for real, in this interpreter."""

    def __init__(self, posargs, tmp):
        self.posargs, self.tmp, self.stderr = list(posargs), str(tmp), ""

    def install(self, *args):
        pass  # the test environment has the project and its dependencies already

    def create_tmp(self):
        return self.tmp

    def log(self, *args):
        pass

    def error(self, message):
        raise AssertionError(f"session.error({message!r}): expected a usage error from the command")

    def run(self, *args, env=None, silent=False, external=False):
        if "native/build_refmmap.py" in args and not (env or {}).get("REFMMAP_BUILD_DIR"):
            return ""  # an in-place rebuild would race the other tests loading the extension
        program = sys.executable if args[0] == "python" else shutil.which(args[0])
        done = subprocess.run([program, *args[1:]], cwd=ROOT, env={**os.environ, **(env or {})},
                              capture_output=True, text=True, timeout=600)
        if not silent:  # nox shows a silent command's output only when it fails
            self.stderr += done.stderr
        if done.returncode != 0:
            raise nox_command.CommandFailed(f"Returned code {done.returncode}",
                                            return_code=done.returncode)
        return done.stdout


CASES = [
    ("conformance", ["--examples", "0"], "argument --examples: must be at least 1"),
    ("conformance", ["--impl", "no-such"], "unknown --impl 'no-such'"),
    ("tests", ["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ("lint", ["--no-such-option"], "--no-such-option"),
    ("sanitize", ["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ("coverage-c", ["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ("mutation", ["--budget", "0"], "--budget and --timeout must be more than 0"),
    ("soak", ["--minutes", "-1"], "argument --minutes: must be more than 0, got -1"),
    ("soak", ["--minutes", "1", "--impl", "no-such"], "unknown --impl 'no-such'"),
    ("report", [], "the following arguments are required: RESULTS.json"),
    ("report", ["/no/such/results.json"], "/no/such/results.json"),
    ("bench", ["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ("interpreters", ["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ("cpython-suite", ["--python", "/no/such/python"], "--python /no/such/python: no such executable"),
]


@pytest.mark.parametrize("name, posargs, says", CASES, ids=[f"{c[0]}:{' '.join(c[1])}" for c in CASES])
def test_bad_posargs_end_nox_with_status_2(tmp_path, name, posargs, says):
    if name == "lint" and shutil.which("ruff") is None:
        pytest.skip("ruff is not installed here (nox -s lint installs it)")
    if name in ("sanitize", "soak", "coverage-c") and shutil.which("gcc") is None:
        pytest.skip("no gcc to build the sanitized reference")
    session = Session(posargs, tmp_path)
    with pytest.raises(SystemExit) as exc:
        getattr(load_noxfile(), name.replace("-", "_"))(session)
    assert exc.value.code == 2
    assert says in session.stderr, session.stderr
    assert "Traceback" not in session.stderr, session.stderr
    if name not in ("tests", "sanitize", "coverage-c", "lint"):  # pytest, ruff: their usage too
        assert len(session.stderr.strip().splitlines()) == 1, session.stderr
