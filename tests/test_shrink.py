# SPDX-License-Identifier: MIT
"""Shrinking (conformance/engine/shrink.py): the Hypothesis machine reports what delta debugging of
the ops leaves, payloads cut to what still shows the bug."""

import os
import time

import pytest

from conformance.engine import ops as o
from conformance.engine.lockstep import Found, Lockstep
from conformance.engine.machine import run_lockstep
from conformance.engine.shrink import _at, _replaced, payloads, reduce, simpler_ops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A bug every write shows, whatever its payload: the report needs one byte of it.
PLANTED = '''\
from tests.mutants import Faithful


class WriteReturnsZero(Faithful):
    """write() returns 0 instead of the bytes written."""

    def write(self, data):
        super().write(data)
        return 0
'''


@pytest.fixture
def planted(tmp_path, monkeypatch):
    (tmp_path / "planted_write.py").write_text(PLANTED)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.chdir(ROOT)  # so the worker imports tests.mutants
    return "planted_write:WriteReturnsZero"


def test_payloads_are_the_bytes_of_an_op_but_a_files_contents():
    op = o.Call("write", b"abcd")
    assert list(payloads(op.args)) == [(1, 0)]
    assert _replaced(op.args, (1, 0), b"ab") == ("write", (b"ab",), {})
    assert _at(op.args, (1, 0)) == b"abcd"
    assert list(payloads(o.Open(b"0123456789", 0).args)) == []  # the file's size is its length
    assert list(payloads(o.Call("find", b"x", 0, 3).args)) == [(1, 0)]


def test_machine_reports_the_shrunk_ops(planted):
    """The machine's report for a planted bug is the open, one write of one byte, nothing
    else; and the divergence carries the reference's trace of exactly those steps."""
    from impls.adapters import ReferenceAdapter
    from impls.interpreters import resolve

    subject = resolve(planted)
    subject.start()
    reference = ReferenceAdapter(subject.profile)
    try:
        found, _ = run_lockstep(reference, subject, examples=50, seed=0, shrink_seconds=30)
    finally:
        subject.close()
        reference.close()
    writes = [d for d in found if d.clause == "write.basic"]
    assert writes, [str(d) for d in found]
    small = writes[0]
    assert [s.name for s in small.steps] == ["open", "call"], [s.py() for s in small.steps]
    assert small.steps[-1].args[0] == "write"
    assert len(small.steps[-1].py()) <= 30, small.steps[-1].py()  # e.g. m.write(b'a')
    assert len(small.trace) == len(small.steps)
    assert small.index == len(small.steps) - 1 and "out" in small.fields


def test_simpler_ops_try_a_file_of_zeros_fewer_arguments_and_smaller_integers():
    variants = [op.py() for op in simpler_ops(o.Call("find", b"x", 6, 9))]
    assert variants == ["m.find(b'x', 6)", "m.find(b'x', 0, 9)", "m.find(b'x', 3, 9)",
                        "m.find(b'x', 6, 0)", "m.find(b'x', 6, 4)"]
    files = [op.args[0]["data"] for op in simpler_ops(o.Open(b"\x01\x02\x03\x04", 0))]
    assert files[:2] == ["00000000", "0102"]


def test_reduce_leaves_a_file_of_zeros_and_the_arguments_the_bug_needs(planted):
    """A reproducer of write()'s planted bug needs no file bytes, no seek, one byte."""
    from impls.adapters import ReferenceAdapter
    from impls.interpreters import resolve

    subject = resolve(planted)
    subject.start()
    reference = ReferenceAdapter(subject.profile)
    lockstep = Lockstep(reference, subject)
    steps = [o.Open(bytes(range(200, 256)) * 4, 0), o.Seek(7, 0), o.Call("write", b"abc")]
    try:
        with pytest.raises(Found) as caught:
            lockstep.play(steps, batched=False)
        small = reduce(lockstep, caught.value, time.monotonic() + 60)
    finally:
        subject.close()
        reference.close()
    assert small.identity == caught.value.identity
    assert [op.py() for op in small.steps] == ["m = factory(fd, 0)", "m.write(b'a')"]
    assert set(small.steps[0].args[0]["data"]) == {"0"}  # a file of zeros
    assert len(small.steps[0].args[0]["data"]) < len(steps[0].args[0]["data"])


def test_a_run_reduces_each_new_finding_before_it_is_written(tmp_path):
    """End to end: the finding a run records is the reduced one. Without the reduction this run
    records `mmap(-1, 12289)` and `m.flush(8192, 4096)` (measured); the bug needs neither."""
    import json
    import subprocess
    import sys

    out = tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", "tests.mutants:flush_returns_zero",
         "--only", "machine", "--examples", "30", "--json", str(out)], cwd=ROOT,
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    records = [r["finding"] for r in json.loads(out.read_text())["results"]
               if r.get("finding") and r["clause"] == "flush.return"]
    assert records, done.stdout[-2000:]
    for record in records:
        steps = [o.from_json(step) for step in record["steps"]]
        # The simplest map of either kind, whichever the run's draws found first.
        assert [op.py() for op in steps] in (["m = factory(-1, 1)", "m.flush()"],
                                             ["m = factory(fd, 0)", "m.flush()"])
