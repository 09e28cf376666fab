# SPDX-License-Identifier: MIT
"""The lockstep engine (conformance/engine/lockstep.py): one op sequence on both sides, step by step or
in batches, ends in the same Found either way."""

import os
import sys

import pytest

from conformance.engine import ops as o
from conformance.engine.lockstep import Found, Lockstep, Seen
from impls.adapters import ReferenceAdapter, WorkerAdapter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# write() stores its bytes reversed but answers as if all were well: only the map's bytes show
# it. find() answers -2 where the bytes are missing: only what it returns shows it.
PLANTED = '''\
from tests.mutants import Faithful


class Planted(Faithful):
    def write(self, data):
        return super().write(bytes(data)[::-1])

    def find(self, *args):
        found = super().find(*args)
        return -2 if found == -1 else found
'''


@pytest.fixture
def lockstep(tmp_path):
    (tmp_path / "planted_lockstep.py").write_text(PLANTED)
    subject = WorkerAdapter("planted", "planted", sys.executable, "planted_lockstep:Planted")
    subject.worker.cwd = ROOT  # the worker imports tests.mutants from here
    subject.worker.env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    subject.start()
    reference = ReferenceAdapter(subject.profile)
    yield Lockstep(reference, subject)
    subject.close()
    reference.close()


BYTES = [o.Open(b"0123456789", 0), o.Call("tell"), o.Call("write", b"ab"), o.Call("tell")]
RETURNS = [o.Open(b"0123456789", 0), o.Call("tell"), o.Call("find", b"x"), o.Call("tell")]


@pytest.mark.parametrize("batched", [False, True], ids=["step by step", "batched"])
def test_a_difference_in_the_maps_bytes_ends_at_its_step_with_both_maps_dumped(lockstep,
                                                                                batched):
    with pytest.raises(Found) as caught:
        lockstep.play(BYTES, batched=batched)
    found = caught.value
    assert found.steps == BYTES[:3] and found.kind == "diverge" and "data" in found.fields
    assert found.dumps["expected"]["data"] != found.dumps["got"]["data"]


@pytest.mark.parametrize("batched", [False, True], ids=["step by step", "batched"])
def test_a_difference_in_what_an_op_returns_is_the_same_found_either_way(lockstep, batched):
    with pytest.raises(Found) as caught:
        lockstep.play(RETURNS, batched=batched)
    found = caught.value
    assert found.steps == RETURNS[:3] and found.fields == ["out"] and not found.dumps
    assert (found.expected["out"][1], found.got["out"][1]) == (-1, -2)


def test_a_batch_difference_the_caller_has_seen_needs_no_found(lockstep):
    stream = lockstep.stream(seen=lambda candidate: candidate.clause.startswith("find"))
    for op in RETURNS:
        stream.add(op)
    outcome = stream.finish()
    assert isinstance(outcome, Seen) and outcome.length == 3


def test_a_candidate_the_shadow_forbids_leaves_the_worker_in_step(lockstep):
    """A batch in flight when a forbidden op comes is collected: the next sequence runs."""
    forbidden = [o.Open(b"abc", 0)] + [o.Call("tell")] * 150 + [o.FileTruncate(1)]
    assert lockstep.play(forbidden, batched=True) is None
    assert lockstep.play([o.Open(b"abc", 0), o.Call("tell")], batched=True) == 2
