# SPDX-License-Identifier: MIT
"""CPython's own test_mmap.py against the reference (conformance/cli/cpython_suite.py): the running
interpreter's file passes, every failure is either not applicable for a stated reason or a
reference bug, and a test that kills the runner is recorded without ending the run."""

import json
import subprocess
import sys
import textwrap

import pytest

from conformance.cli import cpython_suite


@pytest.fixture(scope="module")
def running():
    entry = cpython_suite.check(sys.executable)
    if entry.get("problem"):
        pytest.skip(entry["problem"])  # an interpreter installed without its test suite
    return entry


def test_the_reference_passes_the_running_interpreters_test_mmap(running):
    ref = running["runs"]["reference"]
    assert ref["import_error"] is None
    assert ref["failures"] == [], "reference bugs:\n" + "\n".join(
        f"{f['id']}: {f['message']}" for f in ref["failures"])
    counts = ref["counts"]
    assert counts["pass"] >= counts["run"] - counts["skip"] - len(cpython_suite.NOT_APPLICABLE)
    # Every not-applicable test names its reason, and is counted.
    assert counts["na"] == len(ref["not_applicable"])
    assert all(row["reason"] for row in ref["not_applicable"])


def test_the_interpreters_own_mmap_runs_the_same_tests(running):
    ref, own = running["runs"]["reference"], running["runs"]["stdlib"]
    assert own["import_error"] is None
    assert own["counts"]["run"] == ref["counts"]["run"]


def test_not_applicable_needs_its_evidence():
    # test_basic is excused only for the missing buffer protocol, not for any failure.
    assert cpython_suite.not_applicable(
        "test_mmap.MmapTests.test_basic",
        "TypeError: expected string or bytes-like object, got 'mmap.mmap'", running=(3, 11))
    assert cpython_suite.not_applicable(
        "test_mmap.MmapTests.test_basic", "AssertionError: b'foo' != b'bar'", running=(3, 11)) is None
    assert cpython_suite.not_applicable(
        "test_mmap.MmapTests.test_basic",
        "TypeError: expected string or bytes-like object, got 'mmap.mmap'", running=(3, 12)) is None
    assert cpython_suite.not_applicable("test_mmap.MmapTests.test_find_end", "12 != -1") is None


def test_a_test_that_kills_the_runner_is_a_crash_and_the_rest_still_run(tmp_path):
    test_file = tmp_path / "test_mmap.py"
    test_file.write_text(textwrap.dedent("""
        import os, signal, unittest

        class T(unittest.TestCase):
            def test_a(self):
                pass
            def test_b(self):
                os.kill(os.getpid(), signal.SIGSEGV)
            def test_c(self):
                self.assertEqual(1, 2, "one is not two")
    """))
    state = cpython_suite.run_file(sys.executable, str(test_file), "stdlib")
    tests = state["tests"]
    assert tests["test_mmap.T.test_a"]["status"] == "pass"
    assert tests["test_mmap.T.test_b"] == {"status": "crash", "message": "process died: signal 11"}
    assert tests["test_mmap.T.test_c"]["status"] == "fail"
    assert "one is not two" in tests["test_mmap.T.test_c"]["message"]
    assert state["crashes"] == 1


def test_a_file_that_does_not_load_is_one_line(tmp_path):
    test_file = tmp_path / "test_mmap.py"
    test_file.write_text("print 'python 2'\n")
    state = cpython_suite.run_file(sys.executable, str(test_file), "stdlib")
    assert state["tests"] == {}
    assert state["import_error"].startswith("cannot load under Python")
    assert "SyntaxError" in state["import_error"]


def test_cli_writes_markdown_and_json(tmp_path):
    out = tmp_path / "suite.json"
    done = subprocess.run([sys.executable, "-m", "conformance", "cpython-suite", "--json", str(out)],
                          cwd=cpython_suite.ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| interpreter | profile | implementation | run | pass | fail | n/a | skip | note |" in done.stdout
    assert "## Reference failures (reference bugs): 0" in done.stdout
    data = json.loads(out.read_text())
    assert data["schema"] == 1
    [entry] = data["interpreters"]
    assert set(entry["runs"]) == {"reference", "stdlib"}


def test_cli_usage_errors_are_one_line():
    done = subprocess.run([sys.executable, "-m", "conformance", "cpython-suite", "--python",
                           "/no/such/python"], cwd=cpython_suite.ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "--python /no/such/python: no such executable"


def _other_cpythons():
    from impls.adapters import Unavailable
    from impls.interpreters import CPYTHONS, find_cpython

    found = []
    for version in CPYTHONS:
        try:
            found.append(pytest.param(find_cpython(version)[1], id=f"cpython{version}"))
        except Unavailable:
            pass
    return found


@pytest.mark.slow
@pytest.mark.parametrize("python", _other_cpythons())
def test_the_reference_passes_every_found_cpythons_test_mmap(python):
    entry = cpython_suite.check(python)
    if entry.get("problem"):
        pytest.skip(entry["problem"])
    ref = entry["runs"]["reference"]
    if entry["version"].startswith("2."):
        assert "Python 2 test file" in ref["import_error"]
        return
    assert ref["import_error"] is None
    assert ref["failures"] == [], "reference bugs:\n" + "\n".join(
        f"{f['id']}: {f['message']}" for f in ref["failures"])
