# SPDX-License-Identifier: MIT
"""Reproducers run standalone: every kind of step (an OSError among them) prints, and the exit
status says whether a step differs from what the spec requires."""

import os
import subprocess
import sys

import pytest

from conformance.engine import ops as o
from conformance.engine.repro import script
from impls.adapters import ReferenceAdapter
from impls.executor import DIGEST

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each sequence ends in a step that raises OSError on CPython (the drawn divergences that once
# killed every reproducer with NameError).
# Sequences whose reproducer must agree with the stdlib step for step: what a helper step
# returns in the script is what the executor returned.
AGREEING = [
    [o.Open(b"0123456789"), o.SetItem(0, 65), o.Apply("drop"), o.Open(b"xyz"), o.Apply("drop")],
    [o.Open(b"0123456789"), o.Open(None, 10), o.Apply("drop")],
    # Past 256 bytes the map and the file are shown by digest: the script's is the executor's.
    [o.Open(b"x" * 5000), o.SetItem(4999, 65), o.Call("flush")],
    # Iterators and views held across steps; a second map's scenario starts with none held.
    [o.Open(b"abcdef"), o.IterMake(), o.IterMake(True), o.IterNext(0), o.SetItem(1, 66),
     o.Resize(3), o.IterNext(0, 4), o.IterNext(1), o.Export(), o.ViewSlice(0, slice(1, 3)),
     o.Release(0), o.ViewSet(0, 0, 90), o.ViewGet(0, slice(None)), o.Resize(9), o.Release(0),
     o.Close(), o.IterNext(0), o.Open(b"xyz"), o.IterMake(), o.IterNext(0, 2), o.IterDrop(0)],
]
OSERROR_SEQUENCES = [
    [o.Open(fileno=o.CLOSED_FD)],
    [o.Open(b"abc"), o.Call("resize", 1 << 62)],
]


def _expected(steps):
    ref = ReferenceAdapter()
    try:
        return [ref.apply(op.json()) for op in steps]
    finally:
        ref.close()


def _run(text, tmp_path):
    path = tmp_path / "repro.py"
    path.write_text(text)
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("steps", OSERROR_SEQUENCES + AGREEING,
                         ids=["closed-fd", "huge-resize", "drop", "drop-anon", "digests",
                              "held"])
def test_an_oserror_step_runs_and_agreeing_steps_exit_0(tmp_path, steps):
    expected = _expected(steps)
    assert steps in AGREEING or expected[-1]["out"][:2] == ["exc", "OSError"], expected[-1]
    shown = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="x",
                        fields=["out"]), tmp_path)
    assert "Traceback" not in shown.stderr, shown.stderr
    assert steps in AGREEING or "raises OSError [errno" in shown.stdout
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "0 step(s) differ" in shown.stdout
    if steps is AGREEING[2]:  # the sequence whose map and file are shown by digest
        assert all(obs["data"].startswith(DIGEST) for obs in expected)
        assert expected[-1]["file"].startswith(DIGEST)


def test_a_differing_step_exits_1(tmp_path):
    steps = [o.Open(b"abc"), o.Call("read_byte")]
    expected = _expected(steps)
    expected[-1] = dict(expected[-1], out=["ok", 98])  # the spec "requires" b"b": the stdlib differs
    shown = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="read_byte",
                        fields=["out"]), tmp_path)
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "<-- differs" in shown.stdout and "1 step(s) differ" in shown.stdout


def test_replay_runs_each_reproducer_on_its_implementation_and_on_cpython(tmp_path):
    """conformance.reporting.replay: a reproducer holds on the implementation when it exits 1, on the
    CPython of its profile when it exits 0; here both sides run the stdlib, so the second fails."""
    from conformance.reporting import replay
    from impls.profiles import profile_for

    steps = [o.Open(b"abc"), o.Call("read_byte")]
    expected = _expected(steps)
    expected[-1] = dict(expected[-1], out=["ok", 98])
    profile = profile_for(".".join(map(str, sys.version_info[:3])))
    doc = {"implementations": [{"spec": "stdlib", "profile": profile}],
           "results": [{"impl": "stdlib", "clause": "read_byte", "status": "diverge",
                        "repro": script("stdlib", profile, steps, expected, expected[-1],
                                        clause="read_byte", fields=["out"])}]}
    rows = replay.replay(doc)
    assert [r["on_impl"] for r in rows] == ["held"]
    if rows[0]["on_cpython"].startswith("not run"):
        pytest.skip("no CPython of this profile found by impls.interpreters")
    assert rows[0]["on_cpython"].startswith("did not hold (exit 1)")


def test_a_module_factory_reproducer_uses_the_modules_constants_and_its_folder(tmp_path):
    """As the worker does: the module's own constants when it has ACCESS_READ (here without
    MAP_PRIVATE, so the step raises AttributeError as it did in the run), imported from the
    folder the script runs in; elsewhere it cannot import the module and exits 2, not 1."""
    (tmp_path / "mymod.py").write_text("import mmap as _m\nACCESS_READ = 1\nfactory = _m.mmap\n")
    steps = [o.Open(None, 10, flags=o.Const("MAP_PRIVATE"))]
    text = script("mymod:factory", "3.11", steps, _expected(steps),
                  {"out": ["exc", "AttributeError", None, "no MAP_PRIVATE"]},
                  clause="ctor.anon", fields=["out"])
    (tmp_path / "repro").mkdir()
    path = tmp_path / "repro" / "r.py"
    path.write_text(text)
    here = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert here.returncode == 1 and "raises AttributeError" in here.stdout, here.stdout
    elsewhere = subprocess.run([sys.executable, str(path)], cwd=tmp_path / "repro",
                               capture_output=True, text=True, timeout=60)
    assert elsewhere.returncode == 2 and "cannot import mymod" in elsewhere.stderr
    stdlib = subprocess.run([sys.executable, str(path), "--stdlib"], cwd=tmp_path / "repro",
                            capture_output=True, text=True, timeout=60)
    assert stdlib.returncode == 0, stdlib.stdout + stdlib.stderr


def test_a_divergence_in_the_file_alone_shows_in_the_reproducer(tmp_path):
    """The suite reads the file back after flush(); so does the script, and a difference there
    alone makes it exit 1."""
    steps = [o.Open(b"0123456789"), o.SetItem(0, 65), o.Call("flush")]
    expected = _expected(steps)
    assert expected[-1]["file"] == b"A123456789".hex()
    agreeing = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="flush",
                           fields=["file"]), tmp_path)
    assert agreeing.returncode == 0, agreeing.stdout + agreeing.stderr
    expected[-1] = dict(expected[-1], file=b"0123456789".hex())  # "requires" the old bytes
    shown = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="flush",
                        fields=["file"]), tmp_path)
    assert shown.returncode == 1 and "file did:" in shown.stdout.replace("  ", " "), shown.stdout


def test_a_sparse_scenario_past_4_gib_reproduces_without_reading_it_whole(tmp_path):
    """A sparse file's script makes the same file and shows the map and file by the same
    samples as the suite: a stdlib that agrees exits 0, a changed tail byte exits 1."""
    size = (1 << 32) + 4101
    steps = [o.OpenSparse(size, {(1 << 32) - 2: b"ABCD", size - 4: b"tail"}),
             o.Find(b"ABCD", (1 << 32) - 100, (1 << 32) + 100), o.SetItem(-1, 65),
             o.Call("flush")]
    expected = _expected(steps)
    assert expected[-1]["file"].startswith(DIGEST) and expected[-1]["out"] == ["ok", None]
    shown = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="x",
                        fields=["out"]), tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    expected[-1] = dict(expected[-1], file=_expected(steps[:1] + steps[3:])[-1]["file"])
    shown = _run(script("stdlib", "3.11", steps, expected, expected[-1], clause="x",
                        fields=["file"]), tmp_path)
    assert shown.returncode == 1 and "1 step(s) differ" in shown.stdout, shown.stdout
