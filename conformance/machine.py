# SPDX-License-Identifier: MIT
"""The lockstep state machine: every op goes to the reference (assumed correct) and to the
implementation under test, and every observation must agree.

`run_lockstep(reference, subject, ...)` runs it with Hypothesis and returns the shrunk
divergences (one per bug: its identity, conformance/finding.py) and the clauses the run exercised.
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

from conformance import finding, rules
from conformance import ops as o
from conformance.shrink import Found, HarnessError, Replayer, as_expected, kind_of, shrink

if sys.version_info < (3, 11):  # Hypothesis brings the backport
    from exceptiongroup import BaseExceptionGroup
from conformance.compare import differences


class Divergence(AssertionError):
    """The implementation under test disagreed with the reference at one step."""

    kind = "diverge"

    def __init__(self, clause, index, steps, expected, got, fields, subject, dumps=None):
        steps = list(steps)
        self.clause, self.index, self.steps = clause, index, list(steps)
        self.expected, self.got, self.fields = expected, got, fields
        self.subject, self.dumps = subject, dumps or {}
        self.expected_trace = None  # the reference's observation of every step, set by the machine
        self.identity = finding.identity(steps[index], clause, expected, got, fields)
        super().__init__(
            f"{subject} diverges from the reference on {clause} at step {index + 1} "
            f"({steps[index].py()}): {', '.join(fields)} differ")


_classes = {}


def divergence_class(kind, identity):
    """One exception class per bug (its kind and identity), so Hypothesis keeps each apart."""
    key = (kind, identity)
    if key not in _classes:
        name = "Divergence_" + "".join(c if c.isalnum() else "_" for c in f"{kind}_{identity}")
        _classes[key] = type(name, (Divergence,), {"kind": kind})
    return _classes[key]


def engine_data(data):
    """The engine's ConjectureData behind st.data(): drawing from it skips st.data()'s
    per-draw bookkeeping (it prints each draw in a failing example, which our ops already do)
    and the strategy per draw, most of Hypothesis's cost here."""
    return data.conjecture_data


def _stop_if_asked():
    """A stop the CLI was asked for (SIGTERM, Ctrl-C, --time-limit) ends the run at the next
    example, even if its one signal landed where something swallowed the interrupt."""
    cli = sys.modules.get("conformance.cli")
    stop = getattr(cli, "_stop", None) or {}
    if stop.get("why") and not stop.get("defer"):
        raise cli.Interrupted(stop["why"])


# Steps sent to a worker per message: it runs them in about the time Hypothesis takes to draw
# one more step, so the answer is there when asked for.
CHUNK = 8


class LockstepMachine(RuleBasedStateMachine):
    """Subclassed per run with `reference`, `subject`, `strict_messages` and `messages` set."""

    reference = subject = None
    strict_messages = False
    messages = frozenset()
    record_crashes = False  # record crashes and hangs (shortest sequence each) instead of raising
    record_all = False  # record every difference: Hypothesis never sees a failure
    known = frozenset()  # bugs recorded the same way, already understood: identities or clauses
    crashes = {}  # identity -> the shortest recorded
    crashy = set()  # the clauses the subject crashed or hung on in this run
    exercised = Counter()
    features = Counter()  # what kinds of scenario ran: access modes, anonymous, offsets, ...
    tally = None  # counts the examples run (conformance/progress.py's Tally)

    def __init__(self):
        _stop_if_asked()
        super().__init__()
        if self.tally is not None:
            self.tally.example()
        self.steps, self.trace = [], []  # ops, and the reference's observation of each
        self.clauses = []  # the clause each step lands on
        # A worker gets the ops a few steps at a time in one message, which it runs while
        # Hypothesis draws the next steps; a message per step cost more than the rest of it.
        self.batched = getattr(self.subject, "submit_many", None) is not None
        self.expect = []  # each step's observation as the worker compares its own with it
        self.done = 0  # the steps the worker ran and agreed on
        self.flight = None  # (start, end) of the steps sent and not yet answered
        self.broke = False  # a batch differed, crashed, hung or broke the protocol
        self.counted = 0  # the steps counted as compared with the subject (checked)
        self.over = False  # a difference was taken from a batch: nothing more is sent
        # That difference, checked at the example's end (flush): raising it mid-example would
        # end the example's draws at a point that depends on how its steps were batched.
        self.later = None
        self.failed = False
        self.dead = False  # the implementation crashed and crashes are being recorded
        self.shadow = rules.Shadow()  # the map as the reference saw it
        self.shadow.peek = self.peek
        self.swarm = None  # drawn at the first step

    # -- the heart: one op, both sides, compare ------------------------------------------------
    def step(self, op):
        """Apply `op` to both sides and return the reference's observation.

        A worker gets the ops a few steps at a time (send), as what is drawn depends only on
        the reference; what it answers is checked then and at the example's end (flush). An
        in-process subject answers at once.
        """
        payload = op.json()
        expected = self.reference.apply(payload)
        if self.dead:  # the implementation died in this example: the reference goes on alone
            return self.shadow.follow(op, expected)
        clause = op.clause(expected)
        if self.cut(clause):
            self.dead = True
            return self.shadow.follow(op, expected)
        if current_build_context().is_final:  # printing every op costs; only the last run shows
            note(op.py())
        index = len(self.steps)
        self.steps.append(op)
        self.trace.append(expected)
        self.clauses.append(clause)
        if not self.batched:
            self.checked(index + 1)
            self.check(index, clause, self.subject.apply(payload))
            return self.shadow.follow(op, expected)
        self.expect.append(as_expected(expected))
        if clause in self.crashy:
            # It crashed or hung on this clause before: alone in its message, a crash again
            # is this step's, with no replay to find it (and no second crash).
            self.send(index)
            self.send(index + 1)
        elif len(self.steps) - (self.flight[1] if self.flight else self.done) >= CHUNK:
            self.send()
        return self.shadow.follow(op, expected)

    def checked(self, count):
        """Count the steps before `count` as compared with the subject (what the run
        exercised), each once."""
        for op, clause in zip(self.steps[self.counted:count], self.clauses[self.counted:count]):
            self.exercised[clause] += 1
            self.features["op " + (op.args[0] if op.name == "call" else op.name)] += 1
        self.counted = max(self.counted, count)

    def send(self, upto=None):
        """Collect the answer to the steps in flight, then send the worker those made since
        (up to step `upto`), in one message: it runs them while Hypothesis draws on, and
        compares each observation with the reference's, stopping at the first that is not
        exactly it."""
        if self.flight is not None:
            (start, end), self.flight = self.flight, None
            answer, failure = self.subject.results(end - start)
            if failure is None:
                self.answered(start, *answer)
            elif end - start == 1:  # the crash, hang or broken protocol is this step's
                self.checked(end)
                self.over = self.dead = True  # the reference goes on alone
                self.later = (start, self.clauses[start], failure)
            else:
                self.broke = True  # which step it was: replay() finds it at the end
        end = len(self.steps) if upto is None else upto
        if not (self.broke or self.over) and self.done < end:
            self.flight = (self.done, end)
            self.subject.submit_many([op.json() for op in self.steps[self.done:end]],
                                     self.expect[self.done:end], awake=True)

    def answered(self, start, ran, odd):
        """The worker ran steps start.. start+ran-1, and `odd` holds its observations that were
        not exactly the reference's (by index in the batch)."""
        for i in sorted(odd):
            index, got = start + i, odd[i]
            fields = self.differ(self.expect[index], got)
            if not fields:
                continue  # a message worded its own way, say
            self.checked(index + 1)
            if ("data" in fields or "file" in fields) and not self.seen(index, got):
                self.broke = True  # both maps must be dumped at the step: replay() does it
                return
            self.over = self.dead = True  # the reference goes on alone
            if not self.seen(index, got):  # all check() needs is here: at the end, it raises
                self.later = (index, self.clauses[index], got, self.expect[index])  # or records
            return
        self.done = start + ran  # short of the batch's end where a step only looked different
        self.checked(self.done)

    def seen(self, index, got):
        """Whether the difference at step `index` is one check() would only record (a crash,
        or a known bug) and one as short is recorded already: no replay is needed."""
        identity = finding.identity(self.steps[index], self.clauses[index], self.trace[index],
                                    got, self.differ(self.expect[index], got))
        recorded = self.crashes.get(identity)
        return (self.recorded(kind_of(got), self.clauses[index], identity)
                and recorded is not None
                and len(recorded.steps) <= index + 1)

    def recorded(self, kind, clause, identity):
        """Whether a difference is recorded and the example goes on (a crash when crashes are
        recorded, a known bug: its identity, or its clause where all of a clause is known),
        rather than raised for Hypothesis."""
        return (self.record_all or (kind != "diverge" and self.record_crashes)
                or identity in self.known or clause in self.known)

    def flush(self):
        """At the example's end: the last steps to the worker, and a ping, which tells what it
        wrote unasked after them. Where anything differed, the ops are replayed one at a time
        on both sides (replay) and checked as step by step; else every step agreed."""
        while not (self.broke or self.over) and (
                self.flight is not None or self.done < len(self.steps)):
            self.send()
        if not (self.broke or self.over) and self.steps and self.subject.sync() is not None:
            self.broke = True
        if self.later is not None:
            self.check(*self.later)
        elif self.broke:
            self.replay()

    def differ(self, expected, got):
        return differences(expected, got, strict_messages=self.strict_messages,
                           messages=self.messages)

    def replay(self):
        """The example's ops again, one at a time on both sides, from its first (an open,
        which starts afresh): check() raises or records the first difference, as it would
        have step by step, with both maps as they were at it. Only an example with no
        difference checked yet (failed) is replayed."""
        for index, op in enumerate(self.steps):
            payload = op.json()
            self.reference.apply(payload)
            got = self.subject.apply(payload)
            self.checked(index + 1)
            self.check(index, self.clauses[index], got)
            if self.failed:  # recorded (a crash, or a known bug): the example is over for it
                return
        got = self.subject.sync()  # what the worker wrote unasked after the last op
        if got is not None:
            self.check(len(self.steps) - 1, self.clauses[-1], got)
            if self.failed:
                return
        raise HarnessError(f"{self.subject.spec} differed, crashed, hung or broke the protocol in "
                           "a batch of ops but not when they were replayed one by one: it does "
                           "not repeat itself")

    def cut(self, clause):
        """Whether the example ends for the subject before an op on `clause`: one it crashed
        or hung on, already recorded (crashes recorded, or a known bug) with a sequence no
        longer than this one would be. The recorded crash stays the shortest found (a shorter
        one still runs), and the subject is spared a restart that tells nothing new; the
        reference goes on alone, as after a crash."""
        return any(recorded.kind in ("crash", "hang") and recorded.clause == clause
                   and len(recorded.steps) <= len(self.steps) + 1
                   for recorded in self.crashes.values())

    def peek(self):
        """The reference's map bytes (for a needle from a map too big to inline)."""
        data = self.reference.dump().get("data")
        return bytes.fromhex(data) if isinstance(data, str) else None

    def check(self, index, clause, got, expected=None):
        """Compare the subject's observation of step `index` with the reference's (`expected`:
        its compact form, where `got` came back from a batch); raise the difference, or
        record it (a crash, a known bug) and go on with the reference alone."""
        expected = self.trace[index] if expected is None else expected
        fields = self.differ(expected, got)
        if not fields:
            return
        self.failed = True
        kind = kind_of(got)
        if kind != "diverge":
            self.crashy.add(clause)
        dumps = {}
        if kind == "diverge" and ("data" in fields or "file" in fields):
            dumps = {"expected": self.reference.dump(), "got": self.subject.dump()}
        identity = finding.identity(self.steps[index], clause, expected, got, fields)
        divergence = divergence_class(kind, identity)(
            clause, index, self.steps[:index + 1], expected, got, fields, self.subject.spec,
            dumps)
        divergence.expected_trace = self.trace[:index + 1]
        if self.recorded(kind, clause, identity):
            # Keep the shortest sequence per bug and go on with the reference alone: the
            # rest of this example still explores, as if the implementation had not died.
            known = self.crashes.get(identity)
            if known is None or len(known.steps) > len(divergence.steps):
                self.crashes[identity] = divergence
            self.dead = True
            return
        raise divergence

    def teardown(self):
        if self.failed:
            return
        # The final close and file contents.
        if self.shadow.live:
            self.step(o.End())
        if self.batched:
            self.flush()

    # -- the rules: conformance/rules.py, drawn through Hypothesis ----------------------------
    @rule(data=st.data())
    def act(self, data):
        """One rule of conformance/rules.py (its ops, one after the other, on both sides)."""
        source = rules.HypothesisSource(engine_data(data))
        if self.swarm is None:  # the rules and features this example may use
            self.swarm = rules.Swarm.draw(source)
        for op in rules.next_ops(self.shadow, source, self.reference.profile, self.swarm):
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

    `tally` (conformance/progress.py's Tally) counts each example as it starts, and is told
    when the run shrinks what it found and when it is over.
    """
    crashes = {}
    machine = type(f"Lockstep_{key or subject.name}", (LockstepMachine,), {
        "reference": reference, "subject": subject, "strict_messages": strict_messages,
        "messages": messages, "exercised": Counter(),
        "features": features if features is not None else Counter(),
        "record_crashes": record_crashes, "record_all": record_all, "crashes": crashes,
        "crashy": set(), "tally": tally,
        "known": frozenset(known)})
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
        # a batch per worker message (conformance/shrink.py): Hypothesis's own shrinker
        # replays its candidates step by step and took most of the time to a report.
        with shrink_deadline(0), fixed_constants():
            test()
    except Divergence as exc:
        found.append(exc)
    except BaseExceptionGroup as group:  # several distinct bugs, each shrunk on its own
        _, rest = group.split(Divergence)
        found.extend(_flatten(group))
        if rest is not None:
            raise rest from None
    replayer = Replayer(subject.spec, subject, reference, strict_messages=strict_messages,
                        messages=messages)
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
    found = [shrunk(replayer, divergence, deadline) for divergence in found]
    if tally is not None:
        tally.at("done")
    return found + recorded, machine.exercised


def shrunk(replayer, divergence, deadline):
    """`divergence` with the fewest ops delta debugging finds by `deadline` that still
    diverge on the same clause the same way."""
    first = Found(divergence.clause, divergence.kind, divergence.steps,
                  divergence.expected_trace or [divergence.expected] * len(divergence.steps),
                  divergence.got, divergence.fields)
    best = shrink(replayer, first, deadline)
    if best is first:
        return divergence
    try:  # once more, to dump both maps right at the divergence
        replayer.run(best.steps)
    except Found as again:
        if again.identity == best.identity:
            best = again
    except Exception:  # the replay itself failed: report what the shrink found
        pass
    dumps = {}
    if best.kind == "diverge" and ("data" in best.fields or "file" in best.fields):
        dumps = {"expected": replayer.reference.dump(), "got": replayer.subject.dump()}
    small = divergence_class(best.kind, best.identity)(
        best.clause, len(best.steps) - 1, best.steps, best.trace[-1], best.got, best.fields,
        divergence.subject, dumps)
    small.expected_trace = list(best.trace)
    return small


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
CONSTANT_MODULES = ("conformance.rules", "conformance.ops", "impls.executor", "impls.profiles",
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
        elif isinstance(exc, Divergence):
            yield exc
