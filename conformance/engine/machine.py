# SPDX-License-Identifier: MIT
"""The lockstep state machine: every op goes to the reference (assumed correct) and to the
implementation under test, and every observation must agree.

`run_lockstep(reference, subject, ...)` runs it with Hypothesis and returns the shrunk
divergences (one per bug: its identity, conformance/engine/finding.py) and the clauses the run exercised.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter

import hypothesis.strategies as st
from hypothesis import HealthCheck, note, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.control import current_build_context
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from conformance.engine import ops as o
from conformance.engine import rules
from conformance.engine.lockstep import Found, Lockstep, stop_if_asked
from conformance.engine.shrink import shrink

if sys.version_info < (3, 11):  # Hypothesis brings the backport
    from exceptiongroup import BaseExceptionGroup


_classes = {}


def divergence_class(kind, identity):
    """One Found class per bug (its kind and identity), so Hypothesis keeps each apart."""
    key = (kind, identity)
    if key not in _classes:
        name = "Divergence_" + "".join(c if c.isalnum() else "_" for c in f"{kind}_{identity}")
        _classes[key] = type(name, (Found,), {})
    return _classes[key]


def engine_data(data):
    """The engine's ConjectureData behind st.data(): drawing from it skips st.data()'s
    per-draw bookkeeping (it prints each draw in a failing example, which our ops already do)
    and the strategy per draw, most of Hypothesis's cost here."""
    return data.conjecture_data


# Steps sent to a worker per message: it runs them in about the time Hypothesis takes to draw
# one more step, so the answer is there when asked for.
CHUNK = 8


class LockstepMachine(RuleBasedStateMachine):
    """Subclassed per run with `lockstep` (the engine: the reference and the subject) set."""

    lockstep = None
    record_crashes = False  # record crashes and hangs (shortest sequence each) instead of raising
    record_all = False  # record every difference: Hypothesis never sees a failure
    known = frozenset()  # bugs recorded the same way, already understood: identities or clauses
    crashes = {}  # identity -> the shortest recorded
    crashy = set()  # the clauses the subject crashed or hung on in this run
    exercised = Counter()
    features = Counter()  # what kinds of scenario ran: access modes, anonymous, offsets, ...
    tally = None  # counts the examples run (conformance/cli/progress.py's Tally)

    def __init__(self):
        stop_if_asked()
        super().__init__()
        if self.tally is not None:
            self.tally.example()
        # A worker gets the ops a few steps at a time in one message, which it runs while
        # Hypothesis draws the next steps; a message per step cost more than the rest of it.
        self.stream = self.lockstep.stream(chunk=CHUNK, seen=self.seen, awake=True)
        self.dead = False  # the subject is out of this example: the reference goes on alone
        self.concluded = False  # the example's difference was raised or recorded
        self.midstep = False  # an exception left a step: the example ends there, no final close
        self.shadow = self.lockstep.shadow()  # the map as the reference saw it
        self.swarm = None  # drawn at the first step

    # -- the heart: one op, both sides, compare ------------------------------------------------
    def step(self, op):
        """Apply `op` to the reference and hand it to the subject's stream; returns the
        reference's observation (what is drawn next depends only on it). A worker's batches
        are checked as they come back and at the example's end (conclude): raising a difference
        mid-example would end its draws at a point that depends on how its steps were batched.
        An in-process subject answers at once."""
        self.midstep = True
        expected = self._step(op)
        self.midstep = False
        return expected

    def _step(self, op):
        expected = self.lockstep.expect(op)
        if self.dead:
            return self.shadow.follow(op, expected)
        clause = op.clause(expected)
        if self.cut(clause):
            self.dead = True
            return self.shadow.follow(op, expected)
        if current_build_context().is_final:  # printing every op costs; only the last run shows
            note(op.py())
        # Where it crashed or hung before, a step goes alone in its message: a crash again is
        # this step's, with no replay to find it (and no second crash).
        self.stream.add(op, expected, clause, alone=clause in self.crashy)
        if self.stream.over:
            self.dead = True
            if not self.stream.batched:
                self.conclude()
        return self.shadow.follow(op, expected)

    def seen(self, found):
        """Whether a batch's difference is one conclude() would only record (a crash, or a known
        bug) and one as short is recorded already: no replay is needed."""
        recorded = self.crashes.get(found.identity)
        return (self.recorded(found)
                and recorded is not None and len(recorded.steps) <= len(found.steps))

    def recorded(self, found):
        """Whether a difference is recorded and the example goes on (a crash when crashes are
        recorded, a known bug: its identity, or its clause where all of a clause is known),
        rather than raised for Hypothesis."""
        return (self.record_all or (found.kind != "diverge" and self.record_crashes)
                or found.identity in self.known or found.clause in self.known)

    def cut(self, clause):
        """Whether the example ends for the subject before an op on `clause`: one it crashed
        or hung on, already recorded (crashes recorded, or a known bug) with a sequence no
        longer than this one would be. The recorded crash stays the shortest found (a shorter
        one still runs), and the subject is spared a restart that tells nothing new; the
        reference goes on alone, as after a crash."""
        length = len(self.stream.steps) + 1
        return any(recorded.kind in ("crash", "hang") and recorded.clause == clause
                   and len(recorded.steps) <= length for recorded in self.crashes.values())

    def conclude(self):
        """The example's outcome: every step counted as exercised, and its difference, if any,
        raised for Hypothesis or recorded (the shortest sequence per bug kept)."""
        self.concluded = True
        found = self.stream.finish()
        for op, clause in zip(self.stream.steps[:self.stream.compared],
                              self.stream.clauses[:self.stream.compared]):
            self.exercised[clause] += 1
            self.features["op " + (op.args[0] if op.name == "call" else op.name)] += 1
        if not isinstance(found, Found):
            return
        if found.kind != "diverge":
            self.crashy.add(found.clause)
        found = divergence_class(found.kind, found.identity)(
            found.clause, found.kind, found.steps, found.trace, found.got, found.fields,
            found.dumps, found.subject)
        if not self.recorded(found):
            raise found
        # Keep the shortest sequence per bug and go on with the reference alone: the rest of
        # this example still explores, as if the implementation had not died.
        known = self.crashes.get(found.identity)
        if known is None or len(known.steps) > len(found.steps):
            self.crashes[found.identity] = found

    def teardown(self):
        if self.concluded or self.midstep:
            return
        if self.shadow.live:  # the final close and file contents
            self.step(o.End())
        if not self.concluded:
            self.conclude()

    # -- the rules: conformance/engine/rules.py, drawn through Hypothesis ----------------------------
    @rule(data=st.data())
    def act(self, data):
        """One rule of conformance/engine/rules.py (its ops, one after the other, on both sides)."""
        source = rules.HypothesisSource(engine_data(data))
        if self.swarm is None:  # the rules and features this example may use
            self.swarm = rules.Swarm.draw(source)
        for op in rules.next_ops(self.shadow, source, self.lockstep.reference.profile,
                                  self.swarm):
            expected = self.step(op)
            if op.name == "open" and expected["out"][0] == "ok":
                self.features.update(rules.features_of(op))


def run_lockstep(reference, subject, *, examples=100, steps=30, seed=None,
                 strict_messages=False, messages=frozenset(), database=None, features=None,
                 record_crashes=False, known=frozenset(), shrink_seconds=None, key=None,
                 record_all=False, tally=None):
    """Run the machine for one implementation. Returns (divergences, exercised clause counts).

    `features`, a Counter if given, is filled with the kinds of scenario that ran. With
    `record_crashes`, a crash or hang does not end the run: the shortest sequence found for
    each is returned (unshrunk) beside the divergences, and generation goes on; so is any
    divergence whose identity (or clause) is in `known` (an implementation's expected failures: no need to shrink).
    With `record_all`, every difference is recorded so: Hypothesis never sees a failure, so it
    runs exactly `examples` examples whatever is found (its search after a first failure ends by
    the clock, 10 s on), and a seeded run finds the same every time; the divergences outside
    `known` are then shrunk.
    The others are shrunk by delta debugging of their ops, all within `shrink_seconds`.

    `database` (a Hypothesis example database) saves each failure found and replays the saved
    ones first, unless a `seed` is given: Hypothesis's @seed turns the database off. Entries are
    filed under `key` (default the subject's name): Hypothesis keys a state machine by its class's
    source, which a class made here has none of, so by its name; that name is the key, the same
    in every process and on every host.

    `tally` (conformance/cli/progress.py's Tally) counts each example as it starts, and is told
    when the run shrinks what it found and when it is over.
    """
    crashes = {}
    lockstep = Lockstep(reference, subject, strict_messages=strict_messages, messages=messages)
    machine = type(f"Lockstep_{key or subject.name}", (LockstepMachine,), {
        "lockstep": lockstep, "exercised": Counter(),
        "features": features if features is not None else Counter(),
        "record_crashes": record_crashes, "record_all": record_all, "crashes": crashes,
        "crashy": set(), "tally": tally, "known": frozenset(known)})
    run_settings = settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=database,
        suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=True)
    test = get_state_machine_test(machine, settings=run_settings)
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    found = []
    try:
        # Hypothesis finds (it looks on for other bugs after the first, as when it shrinks);
        # the ops are shrunk afterwards by delta debugging, whole candidate sequences replayed
        # a batch per worker message (conformance/engine/shrink.py): Hypothesis's own shrinker
        # replays its candidates step by step and took most of the time to a report.
        with shrink_deadline(0), fixed_constants():
            test()
    except Found as exc:
        found.append(exc)
    except BaseExceptionGroup as group:  # several distinct bugs, each shrunk on its own
        _, rest = group.split(Found)
        found.extend(_flatten(group))
        if rest is not None:
            raise rest from None
    # No cap given: Hypothesis's own for shrinking, 300 s.
    deadline = time.monotonic() + (300.0 if shrink_seconds is None else shrink_seconds)
    recorded = list(crashes.values())
    if record_all:  # the divergences no expectation knows are shrunk as Hypothesis's would be
        fresh = [d for d in recorded if d.kind == "diverge" and d.identity not in known
                 and d.clause not in known]
        found += fresh
        recorded = [d for d in recorded if d not in fresh]
    if tally is not None and found:
        tally.at("shrink")
    # Two found apart may shrink to one bug (one reached through a re-entrant argument that
    # turned out not to matter): each identity is reported once.
    shrunk_all, seen = [shrunk(lockstep, divergence, deadline) for divergence in found], set()
    found = [d for d in shrunk_all if not (d.identity in seen or seen.add(d.identity))]
    if tally is not None:
        tally.at("done")
    return found + recorded, machine.exercised


def shrunk(lockstep, divergence, deadline):
    """`divergence` with the fewest ops delta debugging finds by `deadline` that still
    diverge on the same clause the same way (a difference in bytes is replayed step by step,
    so its Found has both maps dumped right at it)."""
    best = shrink(lockstep, divergence, deadline)
    if best is divergence:
        return divergence
    return divergence_class(best.kind, best.identity)(
        best.clause, best.kind, best.steps, best.trace, best.got, best.fields, best.dumps,
        divergence.subject)


@contextlib.contextmanager
def shrink_deadline(seconds):
    """Cap the time Hypothesis spends shrinking in one run (its own cap is 300 s; here 0: the
    ops are shrunk by delta debugging afterwards). Hypothesis reads this module constant when
    shrinking starts; absent, nothing changes."""
    from hypothesis.internal.conjecture import engine

    if seconds is None or not hasattr(engine, "MAX_SHRINKING_SECONDS"):
        yield
        return
    from hypothesis import reporting

    outer = reporting.current_reporter()

    def quiet(message):
        # Reaching the cap is the plan here, not the slow shrink Hypothesis asks to hear of.
        if not str(message).startswith("WARNING: Hypothesis has spent more than five minutes"):
            outer(message)

    saved, engine.MAX_SHRINKING_SECONDS = engine.MAX_SHRINKING_SECONDS, seconds
    try:
        with reporting.with_reporter(quiet):
            yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved


# The modules whose constants (page sizes, bounds) Hypothesis may mix into the draws: always
# these, whatever else a run happened to load.
CONSTANT_MODULES = ("conformance.engine.rules", "conformance.engine.ops", "impls.executor", "impls.profiles",
                    "impls.reference")


@contextlib.contextmanager
def fixed_constants():
    """Hypothesis mixes into its draws constants it finds in the modules loaded so far (cached
    by each kind's first draw): which modules a run happened to import first changed what the
    same seed drew. Here it takes those of CONSTANT_MODULES only, in sorted order. Absent that
    machinery, nothing changes."""
    import importlib

    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants, constants_from_module
        from sortedcontainers import SortedSet
    except ImportError:
        yield
        return
    if not hasattr(providers, "_get_local_constants") or not hasattr(providers,
                                                                     "CONSTANTS_CACHE"):
        yield
        return
    fixed = Constants(integers=SortedSet(), floats=SortedSet(), bytes=SortedSet(),
                      strings=SortedSet())
    for name in CONSTANT_MODULES:
        fixed = fixed | constants_from_module(importlib.import_module(name))
    saved = providers._get_local_constants, providers.CONSTANTS_CACHE
    # A cache of the run's own (newer Hypothesis keeps an LRU, whose evictions would be refilled
    # from whatever is loaded then).
    providers._get_local_constants, providers.CONSTANTS_CACHE = (lambda: fixed), {}
    try:
        yield
    finally:
        providers._get_local_constants, providers.CONSTANTS_CACHE = saved


def _flatten(group):
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _flatten(exc)
        elif isinstance(exc, Found):
            yield exc
