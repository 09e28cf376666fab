# SPDX-License-Identifier: MIT
"""Verdicts need evidence (results.verdict, results.exit_status) and comparison keeps types
(compare.differences): unit tests, no worker processes."""

import pytest

from conformance.engine.compare import differences, same
from conformance.results import (
    EXIT_CONFORMANT,
    EXIT_FAILED,
    EXIT_UNCHECKED,
    applies,
    exit_status,
    verdict,
)

CATALOGUE = {
    "a": {"id": "a", "versions": "all", "platform": "both"},
    "b": {"id": "b", "versions": ">=3.13", "platform": "unix"},
    "w": {"id": "w", "versions": "all", "platform": "windows"},
}
BOTH = ["machine", "clauses"]


def row(clause, status="pass"):
    return {"impl": "x", "clause": clause, "status": status, "detail": "d", "repro": None}


def judge(rows, profile="3.12", wanted=BOTH, ran=BOTH):
    return verdict(rows, profile=profile, parts_wanted=wanted, parts_ran=ran,
                   catalogue=CATALOGUE)


def test_every_applicable_clause_answered_by_both_parts_is_conformant():
    assert judge([row("a")]) == ("conformant", None)
    assert judge([row("a"), row("b", "na")], profile="3.13") == ("conformant", None)


@pytest.mark.parametrize("rows, profile, ran, says", [
    ([], "3.12", [], "no results from the lockstep machine and the clause tests"),
    ([row("a")], "3.12", ["clauses"], "lockstep machine"),
    ([row("a")], "3.13", BOTH, "no result for 1 clause(s) of the catalogue: b"),
    ([row("a"), row("a", "error")], "3.12", BOTH, "1 harness error(s)"),
])
def test_missing_evidence_is_incomplete_never_conformant(rows, profile, ran, says):
    status, reason = judge(rows, profile=profile, ran=ran)
    assert status == "incomplete" and says in reason, reason


def test_only_machine_needs_no_clause_results_but_the_machine():
    assert judge([], wanted=["machine"], ran=["machine"]) == ("conformant", None)
    assert judge([], wanted=["machine"], ran=[])[0] == "incomplete"


def test_evidence_against_wins_over_errors():
    assert judge([row("a", "error"), row("a", "diverge")])[0] == "divergent"
    assert judge([row("a", "diverge"), row("b", "crash")])[0] == "crashed"


def test_applies_follows_versions_and_platform():
    assert applies(CATALOGUE["b"], "3.13") and not applies(CATALOGUE["b"], "3.12")
    assert not applies(CATALOGUE["w"], "3.12")
    assert not applies({"versions": ">=3.11.4"}, "3.11") and applies({"versions": ">=3.11.4"}, "3.12")


def test_exit_status_is_3_when_anything_is_incomplete():
    ok = {"status": "conformant"}
    assert exit_status([ok], diverged=False) == EXIT_CONFORMANT
    assert exit_status([ok, {"status": "divergent"}], diverged=True) == EXIT_FAILED
    assert exit_status([{"status": "unavailable", "asked": True}], diverged=False) == EXIT_FAILED
    assert exit_status([{"status": "incomplete"}, {"status": "divergent"}],
                       diverged=True) == EXIT_UNCHECKED


def obs(out, pos=0):
    return {"out": ["ok", out], "state": "open", "len": 10, "pos": pos, "data": "", "file": None}


@pytest.mark.parametrize("expected, got, fields", [
    (obs(1), obs(True), ["out"]),
    (obs(0), obs(False), ["out"]),
    (obs(3), obs({"float": 3.0}), ["out"]),
    (obs(3), obs({"intsub": ["MyInt", 3]}), ["out"]),
    (obs({"b": "00"}), obs({"obj": "bytearray"}), ["out"]),
    (obs(None, pos=3), obs(None, pos=3.0), ["pos"]),
    (obs(None, pos=1), obs(None, pos=True), ["pos"]),
    (obs([1, 2]), obs([1, True]), ["out"]),
    (obs(7, pos=2), obs(7, pos=2), []),
    (dict(obs(7), clause="read.n"), obs(7), []),  # the clause the reference names is no field
    (dict(obs(1), clause="read.n"), obs(True), ["out"]),
])
def test_values_compare_with_their_types(expected, got, fields):
    assert differences(expected, got) == fields


def test_same_is_exact_at_any_depth():
    assert same({"a": [1, "x", None]}, {"a": [1, "x", None]})
    assert not same({"a": [1]}, {"a": [1.0]})
    assert not same(True, 1) and not same(0, False)
    # Long lists of scalars take a quicker path that must keep the same answers.
    assert same(list(range(300)), tuple(range(300)))
    assert not same([1] * 300, [1] * 299 + [True]) and not same([0] * 300, [0] * 299 + [0.0])
    assert not same([1] * 300, [1] * 299 + [2]) and same([[1], (2,)], ([1], [2]))


def test_the_executor_encodes_values_with_their_types():
    from impls.executor import Executor

    class MyInt(int):
        pass

    executor = object.__new__(Executor)
    executor.m = None
    encode = executor.encode
    assert encode(True) is True and encode(1) == 1 and type(encode(1)) is int
    assert encode(3.0) == {"float": 3.0}
    assert encode(MyInt(3)) == {"intsub": ["MyInt", 3]}
    assert encode(bytearray(b"a")) == {"obj": "bytearray"} and encode(b"a") == {"b": "61"}


def test_every_document_names_itself_and_a_results_reader_refuses_the_others():
    from conformance.results import BadResults, header, validate

    assert header("soak") == {"document": "mmap-conformance soak", "schema": 1}
    doc = {**header("results"), "implementations": [], "clauses": [], "results": []}
    assert validate(doc) is doc
    with pytest.raises(BadResults, match="'mmap-conformance soak' document"):
        validate(dict(doc, **header("soak")))
