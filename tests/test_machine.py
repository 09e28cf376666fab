# SPDX-License-Identifier: MIT
"""The lockstep machine's own bookkeeping (conformance/engine/machine.py)."""

import sys

import pytest

from conformance.clauses import load as load_catalogue
from conformance.engine import lockstep, machine
from impls.adapters import ReferenceAdapter, WorkerAdapter


class CrashesOnFlush:
    """The reference, but every flush() is a crash; notes the step of the example it came at."""

    spec = name = "crashes-on-flush"
    batched = False

    def __init__(self):
        self.inner = ReferenceAdapter()
        self.profile = self.inner.profile
        self.steps = 0  # ops of the current example
        self.crashed_at = {}  # clause named by the reference -> example length of each crash

    def apply(self, op):
        self.steps += 1
        obs = self.inner.apply(op)
        if op[0] == "call" and op[1][0] == "flush":  # absent: flush's own clause
            self.crashed_at.setdefault(obs.get("clause"), []).append(self.steps)
            return {"crash": 7, "signal": "SIGBUS", "stderr": ""}
        return obs

    def dump(self):
        return {}

    def close(self):
        self.inner.close()


EVERY_CLAUSE = frozenset(load_catalogue())


def run_counting_steps(monkeypatch, subject, **settings):
    """The machine against `subject` (a CrashesOnFlush), its step count reset at each
    example; the findings."""
    reference, begin = ReferenceAdapter(), machine.LockstepMachine.__init__

    def new_example(self):
        begin(self)
        subject.steps = 0

    monkeypatch.setattr(machine.LockstepMachine, "__init__", new_example)
    try:
        found, _ = machine.run_lockstep(reference, subject, **settings)
    finally:
        subject.close()
        reference.close()
    return found


@pytest.mark.parametrize("recorded", [{"record_crashes": True}, {"known": EVERY_CLAUSE}],
                         ids=["crashes recorded", "known clauses"])
def test_a_recorded_crash_is_not_run_again_unless_shorter(monkeypatch, recorded):
    """After a crash on a clause is recorded, an example reaches the subject with an op on that
    clause only when it would make a shorter record: each crash the subject answers is shorter
    than every one before it, and the record is the shortest of them. Without the cut, each of
    the many examples that flush would crash it (a worker restart each)."""
    subject = CrashesOnFlush()
    found = run_counting_steps(monkeypatch, subject, examples=60, seed=1, **recorded)
    crashes = {d.clause: len(d.steps) for d in found if d.kind == "crash"}
    assert subject.crashed_at, "no example flushed"
    assert max(len(lengths) for lengths in subject.crashed_at.values()) > 1  # a cut was due
    for lengths in subject.crashed_at.values():
        assert all(later < earlier for earlier, later in zip(lengths, lengths[1:])), lengths
        assert min(lengths) in crashes.values()


class FlushDivergesThenCrashes(CrashesOnFlush):
    """flush() answers a wrong value at an even step of the example, crashes at an odd one:
    two findings of different kinds on the same clause."""

    spec = name = "flush-diverges-then-crashes"

    def apply(self, op):
        obs = CrashesOnFlush.apply(self, op)
        if "crash" in obs and self.steps % 2 == 0:
            return dict(self.inner.apply(op), out=["ok", 12345])
        return obs


def test_a_crash_and_a_divergence_on_one_clause_are_both_recorded(monkeypatch):
    """The recorded findings are one per bug (identity): a shorter divergence on a clause
    does not hide the crash on it (nor the other way round)."""
    found = run_counting_steps(monkeypatch, FlushDivergesThenCrashes(), examples=80, seed=4,
                               known=EVERY_CLAUSE)
    kinds = {}
    for d in found:
        kinds.setdefault(d.clause, set()).add(d.kind)
    assert len(found) == len({d.identity for d in found})  # one per bug
    assert any(k == {"crash", "diverge"} for k in kinds.values()), kinds


def worker(target):
    adapter = WorkerAdapter(target, target, sys.executable, target)
    adapter.start()
    return adapter


def test_a_worker_gets_the_steps_a_few_at_a_time_and_every_one_is_checked():
    """Against a worker, the machine sends the steps in batches of about CHUNK (the worker
    compares each observation), and counts as exercised exactly the steps the worker ran."""
    subject, reference = worker("impls.reference:mmap"), ReferenceAdapter()
    sizes, submit = [], subject.submit_many

    def counted(ops, expect, awake=False):
        sizes.append(len(ops))
        return submit(ops, expect, awake)

    subject.submit_many = counted
    try:
        found, exercised = machine.run_lockstep(reference, subject, examples=40, seed=5)
    finally:
        subject.close()
        reference.close()
    assert found == []
    assert sum(exercised.values()) == sum(sizes) > 0
    assert len(sizes) * 4 < sum(sizes)  # not a message per step
    assert max(sizes) <= machine.CHUNK + 1


def test_a_crash_in_a_batch_is_the_step_that_crashed_and_isolated_after(monkeypatch):
    """A worker that dies of SIGSEGV in find(): each recorded crash ends at its find() op.
    The first crash in a batch is found by replaying the example one op at a time; after it,
    an op on that clause goes alone, so a crash again needs no replay (nor a second crash)."""
    subject, reference = worker("tests.hostile.segfault:factory"), ReferenceAdapter()
    replays, replay = [], lockstep.Stream._replayed

    def counted(self, end):
        replays.append(end)
        return replay(self, end)

    monkeypatch.setattr(lockstep.Stream, "_replayed", counted)
    try:
        found, _ = machine.run_lockstep(reference, subject, examples=40, seed=2,
                                        record_crashes=True)
    finally:
        subject.close()
        reference.close()
    crashes = [d for d in found if d.kind == "crash"]
    assert crashes
    for d in crashes:
        assert d.steps[-1].name == "call" and d.steps[-1].args[0] == "find", d.steps[-1].py()
    assert 0 < len(replays) <= len({d.clause for d in crashes}) + 1


class Stop(BaseException):
    """Raised by a subject mid-step; a BaseException, so that Hypothesis passes it on."""


class RaisesOnSecondOp(CrashesOnFlush):
    spec = name = "raises-on-second-op"

    def apply(self, op):
        self.steps += 1
        if self.steps == 2:
            raise Stop
        return self.inner.apply(op)


def test_an_exception_that_leaves_a_step_ends_the_example_without_a_final_close():
    """Teardown runs no final close on the reference after a step raised: the example ends at
    that step (a close after, say, a failed constructor is no mmap outcome: a harness error that
    would replace the exception)."""
    reference, subject, names = ReferenceAdapter(), RaisesOnSecondOp(), []
    apply = reference.apply
    reference.apply = lambda op: names.append(op[0]) or apply(op)
    try:
        with pytest.raises(Stop):
            machine.run_lockstep(reference, subject, examples=5, seed=0)
    finally:
        subject.close()
        reference.close()
    assert len(names) == 2 and "end" not in names, names
