# SPDX-License-Identifier: MIT
"""The lockstep engine: the same ops to the reference (assumed correct) and to one
implementation under test, every observation compared, the first difference a `Found`.

Everything that runs ops runs them here: the Hypothesis machine (conformance/engine/machine.py), the
shrinker (conformance/engine/shrink.py), the soak, the clause tests' `check` fixture and the replay of
known findings. A `Stream` is one sequence of ops: the reference runs each at once (what comes
next may depend on it), the subject either step by step or, where its adapter `batched`, a batch
per worker message that it runs while more ops are made.
"""

from __future__ import annotations

import re

from conformance.engine import finding
from conformance.engine.compare import describe, differences
from conformance.engine.repro import script
from conformance.engine.rules import Shadow
from impls.executor import compact

# Ops a worker runs per message at the most.
BATCH = 100

# Exception types no mmap operation raises: in the reference's observation they mean a bug in
# the harness or the reference's Python layer, not an mmap outcome.
NOT_MMAP = {"AttributeError", "NameError", "KeyError", "AssertionError", "SystemError",
            "UnboundLocalError", "ZeroDivisionError", "RecursionError", "NotImplementedError"}

LACKS = re.compile(r"^('mmap\.mmap' object|'types\.SimpleNamespace' object|module '\w+') "
                   r"has no attribute '\w+'$")


class HarnessError(Exception):
    """The engine or the reference failed in a way no mmap behaves."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM, Ctrl-C or --time-limit ended the run early: what it has is written, marked
    incomplete (a KeyboardInterrupt, so that pytest ends its session as for Ctrl-C)."""


# Why a stop was asked for (SIGTERM, Ctrl-C, the time limit), and whether signals wait
# (cleaning up and writing the results must finish). The CLI sets it; the engine reads it.
STOP = {"why": None, "defer": False}


def stop_if_asked():
    """A stop asked for ends the run at the next example, even if its one signal landed where
    something swallowed the interrupt."""
    if STOP["why"] and not STOP["defer"]:
        raise Interrupted(STOP["why"])


class Found(AssertionError):
    """The finding record of a difference at the last of `steps`: the reference's observation
    of every step (`trace`), the subject's of the last (`got`), the fields that differ, and, for
    a difference in the map's or file's bytes, both maps dumped right there (`dumps`)."""

    kind = "diverge"

    def __init__(self, clause, kind, steps, trace, got, fields, dumps=None, subject=None):
        self.clause, self.kind, self.steps, self.trace = clause, kind, list(steps), list(trace)
        self.got, self.fields, self.dumps, self.subject = got, list(fields), dumps or {}, subject
        self.identity = finding.identity(self.steps[-1], clause, self.trace[-1], got, fields)
        super().__init__(f"{subject or 'the implementation'} diverges from the reference on "
                         f"{clause} at step {len(self.steps)} ({self.steps[-1].py()}): "
                         f"{', '.join(self.fields)} differ")

    def __reduce__(self):  # a soak job sends what it found to the soak (pickled)
        return Found, (self.clause, self.kind, self.steps, self.trace, self.got, self.fields,
                       self.dumps, self.subject)

    @property
    def index(self):
        return len(self.steps) - 1

    @property
    def expected(self):
        return self.trace[-1]

    def record(self, impl):
        """The finding record (conformance/engine/finding.py) of this difference."""
        return finding.record(impl, self.steps, self.expected, self.got, self.fields,
                              self.clause, self.trace)

    def detail(self):
        """The one line a reader sees for it."""
        return finding.detail(self.steps, self.expected, self.got, self.fields)

    def row(self, impl, profile, clause=None):
        """Its result row: filed under `clause` (default its own), with its detail line, its
        step-by-step script and its finding record."""
        return {"impl": impl, "clause": clause or self.clause,
                "status": finding.STATUS[finding.kind(self.got)], "detail": self.detail(),
                "repro": script(impl, profile, self.steps, self.trace, self.got,
                                clause=self.clause, fields=self.fields),
                "finding": self.record(impl)}


def kind_of(got):
    """What a differing observation is to the engine: the implementation's crash (a broken
    protocol too), its hang, or a divergence (finding.kind tells the protocol apart)."""
    kind = finding.kind(got)
    return "crash" if kind == "protocol" else kind


def as_expected(observation):
    """The reference's observation as a worker's batch compares its own with it: without the
    clause the reference names (a worker names none), its bytes digested (compact)."""
    return compact({key: value for key, value in observation.items() if key != "clause"})


class Lockstep:
    """The reference at the subject's profile and the implementation under test, given the same
    ops. `strict_messages` and `messages` say how exception messages are compared. Generated
    and replayed sequences must draw mmap outcomes from the reference (`mmap_outcomes`); a
    clause test's own ops may go where no mmap is (a method of the None a failed constructor
    left)."""

    def __init__(self, reference, subject, *, strict_messages=False, messages=frozenset(),
                 mmap_outcomes=True):
        self.reference, self.subject = reference, subject
        self.spec = subject.spec
        self.strict_messages, self.messages = strict_messages, messages
        self.mmap_outcomes = mmap_outcomes

    @property
    def batched(self):
        """Whether the subject takes a batch of ops per message (a worker's adapter)."""
        return self.subject.batched

    def differ(self, expected, got):
        return differences(expected, got, strict_messages=self.strict_messages,
                           messages=self.messages)

    def expect(self, op):
        """The reference's observation of `op`; a HarnessError where it is no mmap outcome
        (and must be)."""
        expected = self.reference.apply(op.json())
        if not self.mmap_outcomes:
            return expected
        out = expected.get("out") or ["", None]
        # An attribute the profile's mmap lacks (closed, __enter__, ACCESS_DEFAULT on 2.7...).
        missing = out[0] == "exc" and out[1] == "AttributeError" and bool(LACKS.match(out[3]))
        if expected.get("state") == "error" or (out[0] == "exc" and out[1] in NOT_MMAP
                                                and not missing):
            raise HarnessError(f"the reference's observation of {op.py()} is not an mmap outcome:"
                               f" {describe(expected) if 'out' in expected else expected}")
        return expected

    def shadow(self):
        """A fresh shadow of the reference's map (what makes the next op safe and meaningful)."""
        shadow = Shadow()
        shadow.peek = self.peek
        return shadow

    def peek(self):
        """The reference's map bytes (for a needle from a map too big to inline)."""
        data = self.reference.dump().get("data")
        return bytes.fromhex(data) if isinstance(data, str) else None

    def found(self, steps, trace, got, fields):
        """The Found at the last of `steps`, with both maps dumped where bytes differ: right
        after that step, the subject having run the steps one at a time."""
        kind = kind_of(got)
        dumps = {}
        if kind == "diverge" and ("data" in fields or "file" in fields):
            dumps = {"expected": self.reference.dump(), "got": self.subject.dump()}
        return Found(steps[-1].clause(trace[-1]), kind, steps, trace, got, fields, dumps,
                     self.spec)

    def stream(self, *, batched=None, chunk=BATCH, grow=False, seen=None, awake=False):
        """A new sequence of ops (see Stream); `batched` None: as the subject allows."""
        return Stream(self, batched=self.batched if batched is None else batched,
                      chunk=chunk, grow=grow, seen=seen, awake=awake)

    def play(self, steps, *, batched=None):
        """Fixed `steps` (a shrinking candidate, a known finding's), from a fresh scenario:
        raises Found at the first difference; returns the number of ops, or None for steps the
        shadow forbids. Step by step (`batched` False) a difference ends it at once, before a
        later op the shadow would forbid; in batches every op is looked at first."""
        shadow, stream = self.shadow(), self.stream(batched=batched)
        for op in steps:
            if stream.over and not stream.batched:
                break
            if not shadow.allows(op):
                stream.abandon()
                return None
            shadow.follow(op, stream.add(op))
        found = stream.finish()
        if found is not None:
            raise found
        return len(steps)


class Seen:
    """A difference the stream's `seen` recognised: counted, not replayed (it needs no Found)."""

    def __init__(self, clause, kind, length):
        self.clause, self.kind, self.length = clause, kind, length


class Stream:
    """One sequence of ops through a Lockstep, each run on the reference as it is added.

    Step by step, the subject runs each op at once, and a difference is a Found there. In
    batches, ops go to the subject's worker `chunk` at a time (doubling after each message up to
    BATCH, with `grow`; sooner with send()): it runs them
    while more are made, comparing each observation with the reference's and stopping at the
    first that is not exactly it. Where that difference is in the map's or file's bytes, or a
    batch of several ops crashed, hung or broke the protocol, finish() replays the sequence step
    by step for the Found. `seen(candidate)` may recognise a batch's difference (an
    already-recorded bug): the outcome is then a Seen, with no replay.

    After a difference (`over`), ops are no longer taken; finish() gives the outcome.
    """

    def __init__(self, lockstep, *, batched, chunk, grow=False, seen=None, awake=False):
        self.lockstep, self.batched, self.chunk, self.grow = lockstep, batched, chunk, grow
        self.seen, self.awake = seen, awake
        self.steps, self.trace, self.clauses = [], [], []
        self.expect = []  # each step's observation as the worker compares its own with it
        self.done = 0  # the steps the subject ran and agreed on
        self.flight = None  # (start, end) of the steps sent and not yet answered
        self.outcome = None  # a Found, a Seen, or ("replay", end): what finish() resolves
        self.compared = 0  # the steps compared with the subject, the differing one included

    @property
    def over(self):
        return self.outcome is not None

    @property
    def waiting(self):
        """Steps added and not yet sent."""
        return len(self.steps) - (self.flight[1] if self.flight else self.done)

    def add(self, op, expected=None, clause=None, *, alone=False):
        """Run `op` on the reference (unless its observation, `expected`, is given) and take it
        for the subject; returns the reference's observation. `alone`: in a message of its own,
        so that a crash there is this op's without a replay."""
        lock = self.lockstep
        if not self.batched:
            if expected is None and lock.subject.batched:  # the worker runs it meanwhile
                lock.subject.submit(op.json())
                try:
                    expected = lock.expect(op)
                finally:
                    got = lock.subject.result()
            else:
                if expected is None:
                    expected = lock.expect(op)
                got = lock.subject.apply(op.json())
            self._append(op, expected, clause)
            self.done = self.compared = len(self.steps)
            fields = lock.differ(expected, got)
            if fields:
                self.outcome = lock.found(self.steps, self.trace, got, fields)
            return expected
        if expected is None:
            expected = lock.expect(op)
        self._append(op, expected, clause)
        self.expect.append(as_expected(expected))
        if alone:
            self.send(len(self.steps) - 1)
            self.send()
        elif self.waiting >= self.chunk:
            self.send()
        return expected

    def _append(self, op, expected, clause):
        self.steps.append(op)
        self.trace.append(expected)
        self.clauses.append(op.clause(expected) if clause is None else clause)

    def send(self, upto=None):
        """Collect the answer to the steps in flight, then send the worker those added since
        (up to step `upto`) in one message."""
        if self.flight is not None:
            (start, end), self.flight = self.flight, None
            self._collect(start, end)
        end = len(self.steps) if upto is None else upto
        if not self.over and self.done < end:
            self.flight = (self.done, end)
            if self.grow:
                self.chunk = min(2 * self.chunk, BATCH)
            self.lockstep.subject.submit_many(
                [op.json() for op in self.steps[self.done:end]], self.expect[self.done:end],
                **({"awake": True} if self.awake else {}))

    def _collect(self, start, end):
        """The answer to steps[start:end]: they agreed, or the outcome is set."""
        lock = self.lockstep
        answer, failure = lock.subject.results(end - start)
        if failure is not None:
            self.compared = end
            if end - start == 1:  # the crash, hang or broken protocol is this step's
                self.outcome = Found(self.clauses[start], kind_of(failure),
                                     self.steps[:end], self.trace[:end], failure,
                                     lock.differ(self.trace[start], failure), None, lock.spec)
            else:
                self.outcome = ("replay", end)
            return
        ran, odd = answer
        for i in sorted(odd):
            index, got = start + i, odd[i]
            fields = lock.differ(self.expect[index], got)
            if not fields:
                continue  # a message worded its own way, say
            self.compared = index + 1
            candidate = Found(self.clauses[index], kind_of(got), self.steps[:index + 1],
                              self.trace[:index + 1], got, fields, None, lock.spec)
            if self.seen is not None and self.seen(candidate):
                self.outcome = Seen(candidate.clause, candidate.kind, index + 1)
            elif "data" in fields or "file" in fields:  # both maps are dumped in a replay
                self.outcome = ("replay", index + 1)
            else:
                self.outcome = candidate
            return
        self.done = self.compared = start + ran  # short of `end` where a step only looked different

    def abandon(self):
        """Collect the answer in flight, if any: the worker is left in step with the engine."""
        if self.flight is not None:
            (start, end), self.flight = self.flight, None
            self._collect(start, end)

    def finish(self):
        """The sequence's outcome: None where every step agreed and the worker answered a ping
        cleanly after the last (what it wrote unasked after an op is that op's outcome); else
        the Found, or the Seen."""
        while self.batched and not self.over and (self.flight is not None
                                                  or self.done < len(self.steps)):
            self.send()
        lock = self.lockstep
        if not self.over and self.steps and lock.subject.batched:
            got = lock.subject.sync()
            if got is not None and self.batched:
                self.outcome = ("replay", len(self.steps))
            elif got is not None:  # step by step, it is the last op's
                self.outcome = Found(self.clauses[-1], kind_of(got), self.steps, self.trace, got,
                                     lock.differ(self.trace[-1], got) or ["protocol"], None,
                                     lock.spec)
        if isinstance(self.outcome, tuple):
            self.outcome = self._replayed(self.outcome[1])
        return self.outcome

    def _replayed(self, end):
        """The Found of steps[:end] run again one at a time, from the first (an open, which
        starts afresh), as it would have been step by step."""
        try:
            self.lockstep.play(self.steps[:end], batched=False)
        except Found as found:
            return found
        raise HarnessError(f"{self.lockstep.spec} differed, crashed, hung or broke the protocol "
                           "in a batch of ops but not when they were replayed one by one: it "
                           "does not repeat itself")
