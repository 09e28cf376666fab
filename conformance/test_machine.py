# SPDX-License-Identifier: MIT
"""The lockstep state machine, run once per implementation under test."""

import json

import pytest

from conformance.cli.progress import Tally
from conformance.engine.machine import run_lockstep
from conformance.pytest_plugin import (
    EXAMPLES_KEY,
    MACHINE_PARTS,
    _messages,
    example_database,
    known_findings,
    part_examples,
)

PARTS = MACHINE_PARTS


@pytest.mark.parametrize("part", range(PARTS))
def test_lockstep(mmap_impl, mmap_reference, record, request, part):
    """Random op sequences agree with the reference at every step (Hypothesis shrinks failures)."""
    option = request.config.getoption
    seed = option("--mmap-seed")
    examples = part_examples(option("--examples"), part, PARTS)
    # How many examples have run, for the CLI's display (and, at the end, in the report).
    tally = Tally(option("--mmap-progress"), request.node.nodeid, mmap_impl.spec, examples)
    found, exercised = run_lockstep(
        mmap_reference, mmap_impl, examples=examples, tally=tally,
        steps=option("--steps"), seed=None if seed is None else seed * PARTS + part,
        strict_messages=option("--strict-messages"), messages=_messages(),
        known=known_findings(request.config, mmap_impl.spec),
        shrink_seconds=option("--shrink-seconds"),
        # With --mmap-db, saved failures are filed per implementation and part, on every host.
        database=example_database(request.config), key=f"{mmap_impl.spec} part {part}",
        # Seeded, every difference is recorded: the examples run are then the same whatever
        # is found (Hypothesis ends its search after a failure by the clock).
        record_all=seed is not None)
    request.node.user_properties.append((EXAMPLES_KEY, json.dumps(tally.report())))
    for d in found:
        record.found(d)
    # How often each clause was hit: a clause the machine reached only a few times is weakly
    # tested, and the report shows it.
    for clause in sorted(set(exercised) - {d.clause for d in found}):
        record(clause, "pass", f"state machine: {exercised[clause]} steps")
    if found:
        pytest.fail(f"{mmap_impl.spec}: {len(found)} divergence(s)\n" + "\n".join(
            f"{d.clause}: {d.detail()}" for d in found), pytrace=False)

