# SPDX-License-Identifier: MIT
"""The lockstep state machine: every op goes to the reference (assumed correct) and to the
implementation under test, and every observation must agree.

`run_lockstep(reference, subject, ...)` runs it with Hypothesis and returns the shrunk
divergences (one per distinct clause and kind) and the clauses the run exercised.
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

from conformance import ops as o
from conformance import rules
from conformance.shrink import Found, Replayer, kind_of, shrink

if sys.version_info < (3, 11):  # Hypothesis brings the backport
    from exceptiongroup import BaseExceptionGroup
from conformance.compare import differences


class Divergence(AssertionError):
    """The implementation under test disagreed with the reference at one step."""

    kind = "diverge"

    def __init__(self, clause, index, steps, expected, got, fields, subject, dumps=None):
        self.clause, self.index, self.steps = clause, index, list(steps)
        self.expected, self.got, self.fields = expected, got, fields
        self.subject, self.dumps = subject, dumps or {}
        self.expected_trace = None  # the reference's observation of every step, set by the machine
        super().__init__(
            f"{subject} diverges from the reference on {clause} at step {index + 1} "
            f"({steps[index].py()}): {', '.join(fields)} differ")


_classes = {}


def divergence_class(kind, key_name):
    """One exception class per (kind, clause), so Hypothesis shrinks each bug on its own."""
    key = (kind, key_name)
    if key not in _classes:
        name = "Divergence_" + "".join(c if c.isalnum() else "_" for c in f"{kind}_{key_name}")
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


class LockstepMachine(RuleBasedStateMachine):
    """Subclassed per run with `reference`, `subject`, `strict_messages` and `messages` set."""

    reference = subject = None
    strict_messages = False
    messages = frozenset()
    record_crashes = False  # record crashes and hangs (shortest sequence each) instead of raising
    known = frozenset()  # clauses whose divergences are recorded the same way: already understood
    crashes = {}
    exercised = Counter()
    features = Counter()  # what kinds of scenario ran: access modes, anonymous, offsets, ...

    def __init__(self):
        _stop_if_asked()
        super().__init__()
        self.steps, self.trace = [], []  # ops, and the reference's observation of each
        self.pending = None  # (index, clause) of the op whose subject answer is still out
        self.failed = False
        self.dead = False  # the implementation crashed and crashes are being recorded
        self.shadow = rules.Shadow()  # the map as the reference saw it
        self.shadow.peek = self.peek
        self.swarm = None  # drawn at the first step

    # -- the heart: one op, both sides, compare ------------------------------------------------
    def step(self, op):
        """Apply `op` to both sides and return the reference's observation.

        The subject's answer is collected at the next step (or at teardown): its worker runs
        while Hypothesis draws the next op, since what is drawn depends only on the reference.
        """
        self.collect()
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
        submit = getattr(self.subject, "submit", None)
        if submit is not None:  # the worker runs it while Hypothesis draws the next op
            submit(payload)
        self.trace.append(expected)
        self.exercised[clause] += 1
        self.features["op " + (op.args[0] if op.name == "call" else op.name)] += 1
        if submit is not None:
            self.pending = (index, clause)
        else:
            self.check(index, clause, self.subject.apply(payload))
        return self.shadow.follow(op, expected)

    def cut(self, clause):
        """Whether the example ends for the subject before an op on `clause`: one it crashed
        or hung on, already recorded (crashes recorded, or a known clause) with a sequence no
        longer than this one would be. The recorded crash stays the shortest found (a shorter
        one still runs), and the subject is spared a restart that tells nothing new; the
        reference goes on alone, as after a crash."""
        recorded = self.crashes.get(clause)
        return (recorded is not None and recorded.kind != "diverge"
                and len(recorded.steps) <= len(self.steps) + 1)

    def peek(self):
        """The reference's map bytes (for a needle from a map too big to inline)."""
        data = self.reference.dump().get("data")
        return bytes.fromhex(data) if isinstance(data, str) else None

    def collect(self):
        """Compare the subject's answer to the op submitted last, if any."""
        if self.pending is not None:
            (index, clause), self.pending = self.pending, None
            self.check(index, clause, self.subject.result())

    def check(self, index, clause, got):
        expected = self.trace[index]
        fields = differences(expected, got, strict_messages=self.strict_messages,
                             messages=self.messages)
        if not fields:
            return
        self.failed = True
        kind = kind_of(got)
        dumps = {}
        if kind == "diverge" and ("data" in fields or "file" in fields):
            dumps = {"expected": self.reference.dump(), "got": self.subject.dump()}
        divergence = divergence_class(kind, clause)(
            clause, index, self.steps[:index + 1], expected, got, fields, self.subject.spec,
            dumps)
        divergence.expected_trace = self.trace[:index + 1]
        if (kind != "diverge" and self.record_crashes) or clause in self.known:
            # Keep the shortest sequence per crash and go on with the reference alone: the
            # rest of this example still explores, as if the implementation had not died.
            known = self.crashes.get(clause)
            if known is None or len(known.steps) > len(divergence.steps):
                self.crashes[clause] = divergence
            self.dead = True
            return
        raise divergence

    def teardown(self):
        if self.failed:
            return
        self.collect()
        # The final close and file contents.
        if self.shadow.live:
            self.step(o.End())
            self.collect()

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
                 record_crashes=False, known=frozenset(), shrink_seconds=None, key=None):
    """Run the machine for one implementation. Returns (divergences, exercised clause counts).

    `features`, a Counter if given, is filled with the kinds of scenario that ran. With
    `record_crashes`, a crash or hang does not end the run: the shortest sequence found for
    each is returned (unshrunk) beside the divergences, and generation goes on; so is any
    divergence on a clause in `known` (an implementation's expected failures: no need to shrink).
    The others are shrunk by delta debugging of their ops, all within `shrink_seconds`.

    `database` (a Hypothesis example database) saves each failure found and replays the saved
    ones first, unless a `seed` is given: Hypothesis's @seed turns the database off. Entries are
    filed under `key` (default the subject's name): Hypothesis keys a state machine by its class's
    source, which a class made here has none of, so by its name; that name is the key, the same
    in every process and on every host.
    """
    crashes = {}
    machine = type(f"Lockstep_{key or subject.name}", (LockstepMachine,), {
        "reference": reference, "subject": subject, "strict_messages": strict_messages,
        "messages": messages, "exercised": Counter(),
        "features": features if features is not None else Counter(),
        "record_crashes": record_crashes, "crashes": crashes, "known": frozenset(known)})
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
        with shrink_deadline(0):
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
    found = [shrunk(replayer, divergence, deadline) for divergence in found]
    return found + list(crashes.values()), machine.exercised


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
        if (again.clause, again.kind) == (best.clause, best.kind):
            best = again
    except Exception:  # the replay itself failed: report what the shrink found
        pass
    dumps = {}
    if best.kind == "diverge" and ("data" in best.fields or "file" in best.fields):
        dumps = {"expected": replayer.reference.dump(), "got": replayer.subject.dump()}
    small = divergence_class(best.kind, best.clause)(
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


def _flatten(group):
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _flatten(exc)
        elif isinstance(exc, Divergence):
            yield exc
