# SPDX-License-Identifier: MIT
"""Shrinking (conformance/shrink.py): the Hypothesis machine reports what delta debugging of
the ops leaves, payloads cut to what still shows the bug."""

import os

import pytest

from conformance import ops as o
from conformance.machine import run_lockstep
from conformance.shrink import _at, _replaced, payloads

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
    assert len(small.expected_trace) == len(small.steps)
    assert small.index == len(small.steps) - 1 and "out" in small.fields
