# SPDX-License-Identifier: MIT
"""The CLI never loses results or leaves anything: output paths checked before the run, FIFOs
refused without blocking, SIGTERM and --time-limit end a run with its results written (marked
incomplete, exit 3) and its folder removed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.test_hostile import leftovers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def conformance(tmp_path, *args, **kwargs):
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=kwargs.get("timeout", 120))


@pytest.mark.parametrize("option, make, says", [
    ("--json", "folder", "is a folder, not a regular file"),
    ("--json", "fifo", "is a FIFO, not a regular file"),
    ("--json", "missing-parent", "does not exist"),
    ("--repro-dir", "file", "not a folder"),
    ("--expectations", "fifo", "is a FIFO, not a regular file"),
])
def test_bad_paths_are_usage_errors_before_the_run(tmp_path, option, make, says):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    path = tmp_path / "target"
    if make == "folder":
        path.mkdir()
    elif make == "fifo":
        os.mkfifo(path)
    elif make == "file":
        path.write_text("x")
    else:
        path = tmp_path / "nowhere" / "x.json"
    result = conformance(scratch, "--impl", "stdlib", option, str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert result.stdout == ""  # nothing ran
    assert leftovers(scratch) == ([], [])


def test_diff_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "old.json"
    os.mkfifo(fifo)
    result = conformance(tmp_path, "diff", str(fifo), str(fifo))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is a FIFO, not a regular file" in result.stderr


def started(scratch):
    """A worker's private folder exists: the run is under way."""
    for folder, dirs, _ in os.walk(scratch):
        if os.path.basename(folder) == "impls" and dirs:
            return True
    return False


SANDBOXES = pytest.mark.parametrize("sandbox", [[], ["--no-sandbox"]],
                                    ids=["default", "no-sandbox"])


@SANDBOXES
def test_sigterm_writes_results_marked_incomplete(tmp_path, sandbox):
    """(Without a sandbox the signal reaches the run, which stops the harness process of the
    implementation running and takes what it had.)"""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "results.json"
    out.write_text("old content")
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "--impl", "stdlib", "--examples", "100000",
         "--only", "machine", "--json", str(out), *sandbox], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not started(scratch) and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:  # a run that ignored the signal must not go on for 100,000 examples
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    assert "SIGTERM" in err and "Traceback" not in err
    doc = json.loads(out.read_text())
    assert doc["incomplete"] is True and doc["stopped_by"] == "SIGTERM"
    assert [i["status"] for i in doc["implementations"]] == ["incomplete"]
    assert leftovers(scratch) == ([], [])


@SANDBOXES
def test_time_limit_ends_the_run_with_what_it_has(tmp_path, sandbox):
    out = tmp_path / "results.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = conformance(scratch, "--impl", "reference", "--examples", "100000", "--only",
                         "machine", "--time-limit", "5", "--json", str(out), *sandbox,
                         timeout=300)
    assert result.returncode == 3, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    assert doc["incomplete"] is True and doc["stopped_by"] == "the time limit"
    (info,) = doc["implementations"]
    assert info["status"] == "incomplete" and "the time limit" in info["reason"]
    assert leftovers(scratch) == ([], [])


def test_a_stop_raised_where_python_can_only_print_it_is_not_printed(monkeypatch):
    """Ctrl-C landing in a gc callback (Hypothesis has one): its Interrupted is swallowed there,
    and must not print a traceback (the run stops at its next example anyway); any other
    exception there goes to the hook as usual."""
    import gc

    from conformance.cli.run import stopping
    from conformance.engine.lockstep import Interrupted

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: seen.append(info.exc_type))

    def stop(phase, info):
        raise Interrupted("Ctrl-C")

    def other(phase, info):
        raise ValueError("not ours")

    with stopping():
        for callback in (stop, other):
            gc.callbacks.append(callback)
            try:
                gc.collect()
            finally:
                gc.callbacks.remove(callback)
    assert set(seen) == {ValueError}
