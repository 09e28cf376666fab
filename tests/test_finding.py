# SPDX-License-Identifier: MIT
"""The finding record: one identity per bug, whatever op sequence found it; steps that read back."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.mutants` is imported by path, as the workers do
    sys.path.insert(0, str(ROOT))

from conformance.engine import finding, rules  # noqa: E402
from conformance.engine import ops as o  # noqa: E402
from conformance.engine.machine import run_lockstep  # noqa: E402
from tests.mutants import measure  # noqa: E402

# Planted bugs of tests/mutants, one per area: each found under two seeds through other ops.
PLANTED = ("write_returns_none", "read_pos_not_advanced", "flush_returns_zero",
           "close_twice_raises", "rfind_end_off_by_one")


@pytest.fixture(scope="module")
def reference():
    adapter = measure.reference()
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def faithful():
    adapter = measure.subject("faithful")
    yield adapter
    adapter.close()


def found_under(reference, faithful, subject, seed):
    """{identity: the ops that found it} for one run of the machine at `seed`."""
    recorder = measure.Recorder(reference)
    found, _ = run_lockstep(recorder, measure.Masked(subject, recorder, faithful),
                            examples=200, seed=seed, shrink_seconds=10)
    return {d.identity: [op.json() for op in d.steps] for d in found}


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_bug_has_one_identity_whatever_sequence_found_it(name, reference, faithful):
    subject = measure.subject(name)
    try:
        first, second = (found_under(reference, faithful, subject, seed) for seed in (1, 2))
    finally:
        subject.close()
    assert first, f"{name} not found"
    shared = first.keys() & second.keys()
    assert shared, (first.keys(), second.keys())
    # Other op sequences, the same bug: the identity is not the path. Where both seeds found
    # the bug at one operation and clause, they name it alike; and a re-entrant argument that
    # is not the bug (its clause no reent.* one) is not in its name.
    site = {key.split(": ")[0]: key for key in second}
    assert all(site.get(key.split(": ")[0], key) == key for key in first), (first, second)
    assert not [key for key in first.keys() | second.keys() if "] @ " in key and "@ reent." not in key]
    # A bug that shows on two clauses of one op (read_pos_not_advanced: read.n and read.all) may
    # be met on one of them in a run and on both in another: beyond the shared identities, only
    # the clause may differ.
    assert ({_but_clause(key) for key in first.keys() ^ second.keys()}
            <= {_but_clause(key) for key in shared}), (first.keys(), second.keys())
    # Other op sequences, the same bug: the identity is not the path.
    assert any(first[key] != second[key] for key in shared), first


def _but_clause(identity):
    """An identity ("op @ clause: outcomes") without its clause."""
    op, _, rest = identity.partition(" @ ")
    return op, rest.partition(": ")[2]


def test_identity_names_the_op_its_reentrant_arguments_the_clause_and_the_outcomes():
    op = o.Find(b"a", o.Closer(3))
    expected = {"out": ["exc", "ValueError", None, "mmap closed or invalid"]}
    got = {"out": ["ok", 3]}
    assert finding.identity(op, "reent.close", expected, got, ["out"]) == (
        "find [closer] @ reent.close: raises ValueError, got returns int")
    same_kind = {"out": ["ok", 5]}
    assert finding.identity(o.Find(b"a"), "find.basic", same_kind, got, ["out", "pos"]) == (
        "find @ find.basic: returns int, out+pos differ")
    assert finding.identity(o.Resize(0), "resize.zero-file", expected,
                            {"crash": 7, "signal": "SIGBUS"}, ["crash"]).endswith(
        "raises ValueError, got crashes")


def test_stored_steps_read_back_as_the_same_ops():
    """Every op the rules make comes back from its JSON as the same op: what expectations store
    is what a run replays."""
    from impls.adapters import ReferenceAdapter

    reference = ReferenceAdapter("3.11")
    try:
        count = 0
        for seed in range(20):
            source, shadow = rules.RandomSource(random.Random(seed)), rules.Shadow()
            swarm = rules.Swarm.draw(source)
            for _ in range(30):
                for op in rules.next_ops(shadow, source, "3.11", swarm):
                    back = o.from_json(op.json())
                    assert (back.json(), back.py(), back.clauses) == (op.json(), op.py(),
                                                                      op.clauses)
                    shadow.follow(op, reference.apply(op.json()))
                    count += 1
        assert count > 500
    finally:
        reference.close()
    with pytest.raises(ValueError, match="not an op"):
        o.from_json(["no_such_op", []])
