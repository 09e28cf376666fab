# SPDX-License-Identifier: MIT
"""The reference against the running interpreter's own mmap, over many random op sequences.

The stdlib runs in a worker process: where it crashes (CPython 3.11 dies of SIGBUS on some
legal resizes) the shortest such sequence is printed as a crash, never hidden, and generation
goes on. Anything else is a failure.
"""

import sys
from collections import Counter

import pytest

from conformance.engine.machine import run_lockstep
from impls.adapters import ReferenceAdapter, WorkerAdapter

# Two halves of the 10,000 sequences, so pytest-xdist can run them on both cores.
HALVES = [(1, 5000), (2, 5000)]
MUST_COVER = ("anonymous", "file", "offset", "length shorter than the file", "ACCESS_READ",
              "ACCESS_WRITE", "ACCESS_COPY", "ACCESS_DEFAULT", "flags/prot", "op resize",
              "op close")


def agreement(seed, examples, steps):
    reference = ReferenceAdapter()
    stdlib = WorkerAdapter("stdlib", "stdlib", sys.executable, "mmap:mmap")
    stdlib.start()
    features = Counter()
    try:
        found, _ = run_lockstep(reference, stdlib, examples=examples, steps=steps, seed=seed,
                                features=features, record_crashes=True)
    finally:
        stdlib.close()
        reference.close()
    return found, features


def report(found):
    for d in found:
        print(f"stdlib {d.kind} on {d.clause}: " + "; ".join(s.py() for s in d.steps))


def test_quick_agreement_with_stdlib():
    """A short run that CI always does: any divergence but a stdlib crash fails."""
    found, features = agreement(seed=7, examples=150, steps=20)
    report(found)
    assert [d for d in found if d.kind != "crash"] == []
    assert features["file"] and features["anonymous"]


@pytest.mark.slow
@pytest.mark.parametrize("seed, examples", HALVES)
def test_reference_agrees_with_stdlib_over_10000_sequences(seed, examples):
    """Zero differences but the stdlib's own crashes, which are printed with their steps."""
    found, features = agreement(seed=seed, examples=examples, steps=20)
    report(found)
    print("features:", dict(features))
    assert [str(d) for d in found if d.kind != "crash"] == []
    missing = [f for f in MUST_COVER if not features[f]]
    assert not missing, f"the sequences never covered {missing}"
