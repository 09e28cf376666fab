# SPDX-License-Identifier: MIT
"""Replaying fixed op sequences on both sides and shrinking a divergence by delta debugging:
whole candidate sequences, a batch per worker message, each on fresh scenarios. The soak and
the Hypothesis machine both report what this shrinks."""

from __future__ import annotations

import dataclasses
import math
import re
import time
import traceback

from conformance import finding
from conformance.compare import describe, differences
from conformance.rules import Shadow
from impls.executor import compact

# Exception types no mmap operation raises: in the reference's observation they mean a bug in
# the harness or the reference's Python layer, not an mmap outcome.
NOT_MMAP = {"AttributeError", "NameError", "KeyError", "AssertionError", "SystemError",
            "UnboundLocalError", "ZeroDivisionError", "RecursionError", "NotImplementedError"}

LACKS = re.compile(r"^('mmap\.mmap' object|'types\.SimpleNamespace' object|module '\w+') "
                   r"has no attribute '\w+'$")


class HarnessError(Exception):
    """The soak code or the reference failed in a way no mmap behaves."""


# -- running: one op on both sides, one sequence, a replay for shrinking -------------------------
# Ops a worker runs per message (one message per op only to find a difference).
BATCH = 100


class Found(Exception):
    """A divergence at the last of `steps`."""

    def __init__(self, clause, kind, steps, trace, got, fields):
        super().__init__(clause)
        self.clause, self.kind, self.steps, self.trace = clause, kind, steps, trace
        self.got, self.fields = got, fields

    def __reduce__(self):  # a soak job sends what it found to the soak (pickled)
        return Found, (self.clause, self.kind, self.steps, self.trace, self.got, self.fields)

    @property
    def identity(self):
        """What the bug is, whatever path found it (conformance/finding.py)."""
        return finding.identity(self.steps[-1], self.clause, self.trace[-1], self.got,
                                self.fields)

    def record(self, impl):
        """The finding record of this divergence."""
        return finding.record(impl, self.steps, self.trace[-1], self.got, self.fields,
                              self.clause, self.trace)


class Repeat(Exception):
    """A difference at the last of `ops` steps of a clause and kind already found."""

    def __init__(self, key, ops):
        super().__init__(key)
        self.key, self.ops = key, ops


class Replayer:
    """One implementation under test beside the reference at its profile: fixed op sequences
    run on both, the first difference raised as Found. `strict_messages` and `messages` are
    the comparison's, as the run that found the divergence compared."""

    def __init__(self, spec, subject, reference, *, strict_messages=False, messages=frozenset()):
        self.spec, self.subject, self.reference = spec, subject, reference
        # A worker: ops go in batches (a wrapper that must see every op sets submit_many None).
        self.piped = getattr(subject, "submit_many", None) is not None
        self.strict_messages, self.messages = strict_messages, messages

    def differ(self, expected, got):
        return differences(expected, got, strict_messages=self.strict_messages,
                           messages=self.messages)

    def step(self, op):
        """(expected, got) for one op: submitted to the subject, applied to the reference."""
        payload = op.json()
        submit = getattr(self.subject, "submit", None)
        if submit is None:
            expected = self.reference.apply(payload)
            return _checked(op, expected), self.subject.apply(payload)
        submit(payload)
        try:
            expected = self.reference.apply(payload)
        finally:
            got = self.subject.result()
        return _checked(op, expected), got

    def peek(self):
        """The reference's map bytes (for a needle from a map too big to inline)."""
        data = self.reference.dump().get("data")
        return bytes.fromhex(data) if isinstance(data, str) else None

    def check(self, steps):
        """Fixed `steps` (a shrinking candidate) the same way, one batch after the other.
        Returns the number of ops, or None for steps the shadow forbids."""
        if not self.piped:
            return self.run(steps)
        shadow, trace = Shadow(), []
        shadow.peek = self.peek
        for op in steps:
            if not shadow.allows(op):
                return None
            trace.append(self.expect(shadow, op)[1])
        done = 0
        while done < len(steps):
            done = self.collect(steps, trace, *self.submit(steps, trace, done,
                                                           min(done + BATCH, len(steps))))
        self.finish(steps)
        return len(steps)

    def expect(self, shadow, op):
        """(the clause `op` lands on, the reference's observation of it digested as the
        worker's will be), after the shadow followed it in full."""
        expected = _checked(op, self.reference.apply(op.json()))
        shadow.follow(op, expected)
        return op.clause(expected), as_expected(expected)

    def submit(self, steps, trace, start, end):
        """Send steps[start:end] to the subject's worker in one message, with the reference's
        observations: the worker stops at the first that its own is not exactly."""
        self.subject.submit_many([op.json() for op in steps[start:end]], trace[start:end])
        return start, end

    def collect(self, steps, trace, start, end):
        """The batch's answer. Where a step differs, or the worker crashed or hung, the
        sequence is replayed one op at a time, which raises Found. Returns the index of the
        first step not yet run (end, unless a step only looked different, e.g. by its
        message)."""
        answer, failure = self.subject.results(end - start)
        ran, odd = answer if failure is None else (0, {})
        bad = next((start + i for i in sorted(odd) if self.differ(trace[start + i], odd[i])),
                   None)
        if failure is None and bad is None:
            return start + ran
        seen = self.seen(bad, odd[bad - start]) if failure is None and bad is not None else None
        if seen is not None:
            raise Repeat(seen, bad + 1)
        self.run(steps[:end] if bad is None else steps[:bad + 1])  # raises Found
        where = "crashed or hung" if bad is None else f"differed at step {bad + 1}"
        raise HarnessError(f"a batch {where} but the ops did not when replayed one by one: "
                           "the implementation does not repeat itself")

    def settled(self, steps, trace):
        """len(steps), once the worker answered a ping cleanly after the last of them: what it
        wrote unasked after an op is that op's outcome (Found at it)."""
        sync = getattr(self.subject, "sync", None)
        got = sync() if sync is not None and steps else None
        if got is not None:
            fields = self.differ(trace[-1], got) or ["protocol"]
            raise Found(steps[-1].clause(trace[-1]), kind_of(got), steps, trace, got, fields)
        return len(steps)

    def finish(self, steps):
        """After the batches of `steps`: the worker answers a ping cleanly, or the ops replayed
        one at a time raise Found where it broke."""
        if steps and self.subject.sync() is not None:
            self.run(steps)  # raises Found
            raise HarnessError("the worker broke the protocol after a batch but not when its "
                               "ops were replayed one by one: it does not repeat itself")

    def seen(self, index, got):
        """(clause, kind) when the difference at steps[index] is one already found, which needs
        no replay: None here, always replayed."""
        return None

    def run(self, ops, make=None, length=0):
        """Run `ops` (or, with `make`, ops from the generator until `length`) on fresh scenarios;
        raise Found at the first divergence. Returns the number of ops run."""
        shadow, steps, trace = Shadow(), [], []
        shadow.peek = self.peek
        source = iter(ops)
        pending = []
        while True:
            if not pending:
                if make is None:
                    op = next(source, None)
                    if op is None:
                        return self.settled(steps, trace)
                    pending = [op]
                else:
                    pending = make(shadow, len(steps) >= length)
                    if not pending:
                        return self.settled(steps, trace)
            op = pending.pop(0)
            if not shadow.allows(op):
                if make is not None:
                    raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
                return None  # a shrinking candidate that would be unsafe or meaningless
            expected, got = self.step(op)
            steps.append(op)
            trace.append(expected)
            clause = op.clause(expected)
            fields = self.differ(expected, got)
            if fields:
                raise Found(clause, kind_of(got), steps, trace, got, fields)
            shadow.follow(op, expected)


def kind_of(got):
    """What a differing observation is to the engine: the implementation's crash (a broken
    protocol too), its hang, or a divergence (finding.kind tells the protocol apart)."""
    kind = finding.kind(got)
    return "crash" if kind == "protocol" else kind


def as_expected(observation):
    """The reference's observation as a worker's batch compares its own with it: without the
    clause the reference names (a worker names none), its bytes digested (compact)."""
    return compact({key: value for key, value in observation.items() if key != "clause"})


def _checked(op, expected):
    out = expected.get("out") or ["", None]
    # An attribute the profile's mmap lacks (closed, __enter__, ACCESS_DEFAULT on 2.7...).
    missing = out[0] == "exc" and out[1] == "AttributeError" and bool(LACKS.match(out[3]))
    if expected.get("state") == "error" or (out[0] == "exc" and out[1] in NOT_MMAP
                                            and not missing):
        raise HarnessError(f"the reference's observation of {op.py()} is not an mmap outcome: "
                           f"{describe(expected) if 'out' in expected else expected}")
    return expected


def attempt(target, identity, candidate, harness=None):
    """The Found that `candidate` steps end in when it is the bug `identity`, else None; harness
    errors on the way are appended to `harness` and the candidate dropped."""
    try:
        target.check(candidate)
    except Found as again:
        if again.identity == identity:
            return again
    except Exception as exc:  # counted like the sweep's, and the candidate is dropped
        if harness is not None:
            harness.append(harness_error(target, exc))
    return None


def shrink(target, found, deadline, harness=None):
    """Delta debugging: drop chunks of ops, then single ops, while the same bug (its identity)
    still shows (each candidate replayed on fresh scenarios). Returns the shortest Found;
    harness errors on the way are appended to `harness`."""
    best = found

    def again_(candidate):
        return attempt(target, found.identity, candidate, harness)

    def earlier_scenarios_dropped(best):
        """Without the scenarios before a later opening, which rarely matter (one op at a time
        they may not go: each earlier op is what lets the next opening run)."""
        for start in [i for i, op in enumerate(best.steps) if op.name == "open"][1:][::-1]:
            again = again_(best.steps[start:])
            if again is not None:
                return again
        return best

    best = earlier_scenarios_dropped(best)
    chunks = 2
    while len(best.steps) > 1 and time.monotonic() < deadline:
        size = math.ceil(len(best.steps) / chunks)
        for start in range(0, len(best.steps), size):
            if time.monotonic() >= deadline:
                break
            again = again_(best.steps[:start] + best.steps[start + size:])
            if again is not None:
                best = again
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(best.steps), chunks * 2)
    best = earlier_scenarios_dropped(best)

    # Then each payload as short as still diverges the same way: a reproducer to read.
    index = 0
    while index < len(best.steps):  # a shorter payload may diverge at its own step, sooner
        for path in payloads(best.steps[index].args):
            while time.monotonic() < deadline:
                op = best.steps[index]
                data = _at(op.args, path)
                if len(data) < 2:
                    break
                shorter = dataclasses.replace(op, args=_replaced(op.args, path, data[:len(data) // 2]))
                again = again_(best.steps[:index] + [shorter] + best.steps[index + 1:])
                if again is None:
                    break
                best = again
        index += 1
    return best


def reduce(target, found, deadline, harness=None):
    """shrink(), then each op made simpler while the same bug still shows: a scenario's file
    of zeros and shorter, arguments dropped, integers towards 0. What is left is what a
    reproducer must say."""
    best = shrink(target, found, deadline, harness)
    index = 0
    while index < len(best.steps) and time.monotonic() < deadline:
        for simpler in simpler_ops(best.steps[index]):
            if time.monotonic() >= deadline:
                break
            again = attempt(target, found.identity,
                            best.steps[:index] + [simpler] + best.steps[index + 1:], harness)
            if again is not None:
                best = again
                break  # this op again, from its new form
        else:
            index += 1
    return best


def simpler_ops(op):
    """Variants of `op` one step simpler, simplest first: its file all zeros, then half as long;
    its last positional argument or a keyword dropped; an integer argument 0, then halved."""
    head, args, kwargs = (op.args if op.name in ("open", "call") else (None, op.args, {}))
    if op.name == "open" and head is not None:
        data = bytes.fromhex(head["data"])
        for smaller in (bytes(len(data)), data[:len(data) // 2]):
            if smaller != data and (smaller or data):
                yield dataclasses.replace(op, args=({**head, "data": smaller.hex()}, args, kwargs))
    if op.name not in ("open", "call"):
        return
    if len(args) > (2 if op.name == "open" else 0):  # a map needs its fileno and length
        yield dataclasses.replace(op, args=(head, args[:-1], kwargs))
    for key in kwargs:
        yield dataclasses.replace(op, args=(head, args, {k: v for k, v in kwargs.items()
                                                         if k != key}))
    for n, value in enumerate(args):
        if type(value) is int and value and not (op.name == "open" and n == 0):
            for smaller in dict.fromkeys((0, value // 2 if value > 0 else -(-value // 2))):
                if smaller != value:
                    yield dataclasses.replace(op, args=(head, args[:n] + (smaller,) + args[n + 1:],
                                                        kwargs))


def payloads(value, path=()):
    """Paths to the bytes inside an op's arguments (nested tuples, lists and dicts). A scenario's
    file contents are hex text, never bytes, so they keep their length (the file's size)."""
    if isinstance(value, bytes):
        yield path
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from payloads(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from payloads(item, (*path, key))


def _at(value, path):
    for key in path:
        value = value[key]
    return value


def _replaced(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    items = list(value)
    items[head] = _replaced(items[head], rest, new)
    return type(value)(items)


def harness_error(target, exc):
    return {"impl": target.spec, "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:]}
