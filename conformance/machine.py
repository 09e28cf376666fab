# SPDX-License-Identifier: MIT
"""The lockstep state machine: every op goes to the reference (assumed correct) and to the
implementation under test, and every observation must agree.

`run_lockstep(reference, subject, ...)` runs it with Hypothesis and returns the shrunk
divergences (one per distinct clause and kind) and the clauses the run exercised.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter

import hypothesis.strategies as st
from hypothesis import HealthCheck, note, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.control import current_build_context
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, rule

from conformance import ops as o
from conformance import rules

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


# mmap's own messages that name their clause whatever op raised them.
MESSAGE_CLAUSES = {
    "mmap closed or invalid": "after-close.raise",
    "mmap index out of range": "getitem.oob",
    "mmap slice assignment is wrong size": "setslice.wrong-size",
    "mmap item value must be in range(0, 256)": "setitem.range",
    "data out of range": "write.past-end",
    "seek out of range": "seek.oob",
    "unknown seek type": "seek.whence-bad",
    "read byte out of range": "read_byte",
    "write byte out of range": "write_byte.eof",
    "source, destination, or count out of range": "move.bounds",
    "flush values out of range": "flush.range-check",
    "cannot close exported pointers exist": "buffer.close-exported",
    "mmap can't resize with extant buffers exported.": "buffer.resize-exported",
    "mmap can't resize a readonly or copy-on-write memory map.": "resize.readonly-copy",
    "new size out of range": "resize.negative",
    "madvise start out of bounds": "madvise.start",
    "madvise length invalid": "madvise.length",
    "mmap invalid access parameter.": "ctor.access.invalid",
    "mmap can't specify both access and flags, prot.": "ctor.access.conflict",
    "cannot mmap an empty file": "ctor.file.empty",
    "mmap length is greater than file size": "ctor.file.length-gt-size",
    "mmap offset is greater than file size": "ctor.offset.ge-size-length0",
    "memory mapped length must be positive": "ctor.length.negative",
    "memory mapped offset must be positive": "ctor.offset.negative",
}
READONLY = "mmap can't modify a readonly memory map."
READONLY_CLAUSES = {"write": "write.readonly", "write_byte": "write_byte.readonly",
                    "move": "move.readonly"}
ACCESS_CLAUSES = {"ACCESS_READ": "access.READ", "ACCESS_WRITE": "access.WRITE",
                  "ACCESS_COPY": "access.COPY", "ACCESS_DEFAULT": "access.DEFAULT"}


GETITEM, WRITE, FINDS = "getitem", "write", ("find", "rfind")


def fast_draw(data):
    """The engine's own draw, skipping st.data()'s per-draw bookkeeping (it prints each draw
    in a failing example, which our ops already do): about half of Hypothesis's cost here."""
    return data.conjecture_data.draw


def clause_for(op, expected, machine):
    """The clause a divergence lands on: what the reference did tells which rule applied.
    `machine` is the shadow state before the op (conformance/rules.py's Shadow)."""
    out = expected.get("out") or ["", None]
    args = op.args[1] if op.name == "call" else op.args
    method = op.args[0] if op.name == "call" else op.name
    closes, resizes = rules.has_tag(args, "closer"), rules.has_tag(args, "resizer")
    if closes or resizes:
        return "reent.close" if closes else "reent.resize"
    if out[0] == "exc":
        if out[3] == READONLY:
            return READONLY_CLAUSES.get(method, "setitem.readonly")
        found = MESSAGE_CLAUSES.get(out[3])
        if found is not None:
            return "setitem.oob" if (found == "getitem.oob" and method != GETITEM) else found
    if machine.state == "closed" and out[0] == "exc":
        return "after-close.raise"
    succeeded = out[0] == "ok"
    if op.name == "open":
        if op.args[0] is None:
            return "ctor.anon" if succeeded else "ctor.anon.zero-length"
        kwargs = op.args[2]
        access = getattr(kwargs.get("access"), "value", None)
        prot, flags, offset = (key in kwargs for key in ("prot", "flags", "offset"))
        if offset:
            return "ctor.offset.aligned"
        if prot or flags:
            return "ctor.prot.to-access" if prot else "ctor.flags.private"
        if access in ACCESS_CLAUSES:
            return ACCESS_CLAUSES[access]
        return "ctor.file.length0" if op.args[1][1] == 0 else "ctor.file.length-lt-size"
    if method == "read":
        if not args or args[0] is None or (isinstance(args[0], int) and args[0] < 0):
            return "read.all"
        return "read.eof" if machine.pos >= machine.len else "read.n"
    if method == "resize" and args and isinstance(args[0], int):
        size = args[0]
        if machine.anon:
            return "resize.anon-shared-grow" if size > machine.len else "resize.anon-shrink"
        if size == 0:
            return "resize.zero-file"
        if size < machine.pos:
            return "resize.past-pos"
        return "resize.file-grow" if size > machine.len else "resize.file-shrink"
    if method in FINDS:
        if len(args) == 1:
            return "find.default-start" if method == FINDS[0] else "rfind.basic"
        return "find.slice-args"
    key = args[0] if args else None
    if isinstance(key, slice):
        step = key.step not in (None, 1)
        if method == GETITEM:
            return "getitem.slice-step" if step else "getitem.slice"
        return "setslice.step" if step else "setslice"
    if isinstance(key, int) and key < 0:
        return "getitem.neg" if method == GETITEM else "setitem.int"
    if method == WRITE and isinstance(key, o.Arg):
        return "write.bytes-like"
    return op.clauses[0] if op.clauses else op.name


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
        if self.dead:  # the implementation died in this example: the reference goes on alone
            return self.shadow.follow(op, self.reference.apply(op.json()))
        if current_build_context().is_final:  # printing every op costs; only the last run shows
            note(op.py())
        index = len(self.steps)
        self.steps.append(op)
        payload = op.json()
        submit = getattr(self.subject, "submit", None)
        if submit is not None:  # the worker starts on it while the reference works
            submit(payload)
        expected = self.reference.apply(payload)
        self.trace.append(expected)
        clause = clause_for(op, expected, self.shadow)  # before the shadow state moves on
        self.exercised[clause] += 1
        self.features["op " + (op.args[0] if op.name == "call" else op.name)] += 1
        if submit is not None:
            self.pending = (index, clause)
        else:
            self.check(index, clause, self.subject.apply(payload))
        return self.shadow.follow(op, expected)

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
        kind = ("crash" if "crash" in got or "protocol" in got else "hang" if "hang" in got
                else "diverge")
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
        source = rules.HypothesisSource(fast_draw(data))
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
        with shrink_deadline(shrink_seconds):
            test()
    except Divergence as exc:
        found.append(exc)
    except BaseExceptionGroup as group:  # several distinct bugs, each shrunk on its own
        _, rest = group.split(Divergence)
        found.extend(_flatten(group))
        if rest is not None:
            raise rest from None
    return found + list(crashes.values()), machine.exercised


@contextlib.contextmanager
def shrink_deadline(seconds):
    """Cap the time Hypothesis spends shrinking in one run (its own cap is 300 s): an
    implementation with dozens of distinct bugs would otherwise shrink for many minutes.
    Hypothesis reads this module constant when shrinking starts; absent, nothing changes."""
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
