# SPDX-License-Identifier: MIT
"""Soak: long random op sequences (hundreds of ops each) against the reference, for minutes,
without Hypothesis in the loop; each divergence found is shrunk by delta debugging.

`python -m conformance.soak --minutes N [--impl SPEC ...] [--json PATH]` (`nox -s soak`).
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import sys
import time
import traceback

from conformance import ops as o
from conformance.compare import describe, differences
from conformance.machine import (
    HUGE,
    PAGE,
    PATTERNS,
    LockstepMachine,
    _has_tag,
    clause_for,
    file_map_kwargs,
    payload_arg,
)
from conformance.repro import script
from conformance.results import header
from impls.executor import compact

# Exception types no mmap operation raises: in the reference's observation they mean a bug in
# the harness or the reference's Python layer, not an mmap outcome.
NOT_MMAP = {"AttributeError", "NameError", "KeyError", "AssertionError", "SystemError",
            "UnboundLocalError", "ZeroDivisionError", "RecursionError", "NotImplementedError"}

LACKS = re.compile(r"^('mmap\.mmap' object|'types\.SimpleNamespace' object|module '\w+') "
                   r"has no attribute '\w+'$")


class HarnessError(Exception):
    """The soak code or the reference failed in a way no mmap behaves."""


# -- the shadow state: what the reference says the map is, and what real mmaps must not meet --
class Shadow:
    """The reference's state after each op, as the machine tracks it, plus the rules that keep
    every real mmap (the in-process reference included) clear of SIGBUS; see machine.py's
    file_truncate, second_map and resize rules."""

    def __init__(self):
        self.state = None  # None (nothing opened yet), "open", "closed", "none" (ctor failed)
        self.len = self.pos = self.ops_since_open = 0
        self.data = b""
        self.anon, self.offset, self.file_size = True, 0, 0
        self.m2, self.m2_end, self.views = False, 0, 0

    def allows(self, op):
        """Whether `op` is safe and meaningful now (the generator only makes such ops; a
        shrinking candidate that breaks one is skipped, never run)."""
        n, live = op.name, self.state in ("open", "closed")
        if n == "open":
            return self.state != "open"
        if not live:
            return False
        if _resizes(op):
            return not self.m2  # the file would shrink under the second map
        if n == "file_truncate":
            return not self.anon and op.args[0] >= max(self.offset + self.len, self.m2_end)
        if n in ("file_write", "open2"):
            return not self.anon and not (n == "open2" and self.m2)
        if n in ("get2", "set2", "close2"):
            return self.m2
        if n in ("release", "view_set"):
            return op.args[0] < self.views
        return True

    def follow(self, op, expected):
        ok = expected.get("out", ["", None])[0] == "ok"
        n = op.name
        if n == "open":
            setup, args, kwargs = op.args
            self.anon = setup is None
            self.offset = 0 if self.anon else max(kwargs.get("offset", 0), 0)
            self.file_size = 0 if self.anon else len(bytes.fromhex(setup["data"]))
            self.m2, self.m2_end, self.views = False, 0, 0
        elif n == "call" and op.args[0] == "resize" and ok and not self.anon:
            self.file_size = self.offset + op.args[1][0]
        elif n == "file_write" and ok:
            self.file_size = max(self.file_size, op.args[0] + len(op.args[1]))
        elif n == "file_truncate" and ok:
            self.file_size = op.args[0]
        elif n == "open2":
            self.m2 = ok
            self.m2_end = self.file_size if ok else 0
        elif n == "close2":
            self.m2, self.m2_end = False, 0
        elif n == "export" and ok:
            self.views += 1
        elif n == "release" and ok:
            self.views -= 1
        LockstepMachine.follow(self, expected)  # state, len, pos, data: the machine's own rule


def _resizes(op):
    return (op.name == "call" and op.args[0] == "resize") or _has_tag(op.args, "resizer")


# -- the generator: the machine's rules, drawn from random.Random -------------------------------
class Generator:
    """One op at a time from the shadow state, with the machine's value choices."""

    def __init__(self, rng, profile):
        self.r, self.profile = rng, profile

    def open(self):
        r = self.r
        if r.randrange(4) == 0:
            kwargs = {}
            choice = r.randrange(6)
            if choice == 1:
                kwargs["flags"] = o.Const("MAP_PRIVATE")
            elif choice == 2:
                kwargs["access"] = o.Const(r.choice(["ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"]))
            return o.Open(None, r.choice([1, 7, 100, PAGE - 1, PAGE, PAGE + 5, 0, -1]), **kwargs)
        size = r.choice([0, 1, 3, 10, 26, 100, PAGE - 1, PAGE, PAGE + 10, 2 * PAGE + 3])
        if size <= 16 and r.random() < 0.5:
            content = r.randbytes(size)
        else:
            pattern = r.choice(PATTERNS)
            content = (pattern * (size // len(pattern) + 1))[:size]
        mode = r.choice(["r+"] * 8 + ["r", "w"])
        offset = r.choice([0] * 6 + [PAGE, 1, -PAGE])
        room = max(size - max(offset, 0), 0)
        kwargs = file_map_kwargs(offset, r.randrange(10), r.choice([4, -1]))
        length = r.choice([0, 0, 0, max(room - 1, 1), room, room + 1, 1])
        return o.Open(content, length, mode=mode, **kwargs)

    def index(self, sh, special=True):
        r, n = self.r, sh.len
        choice = r.randrange(10)
        if choice <= 5:
            return r.randint(-n - 2, n + 2)
        if choice == 6:
            return r.choice([0, n, -n, n - 1, -1, n + 1, -n - 1])
        if not special:
            return r.choice(HUGE)
        if choice == 7:
            return o.Index(r.randint(-n - 1, n + 1))
        if choice == 8:
            return r.choice(HUGE + (True, o.Float(1.0), o.Text("1"), None))
        if sh.m2 or r.random() < 0.5:
            return o.Closer(min(1, n))
        return o.Resizer(max(n // 2, 1), 1)

    def payload(self, sh, size=None):
        r = self.r
        if size is None:
            size = r.randint(0, max(sh.len - sh.pos, 0) + 2)
        data = r.randbytes(min(size, 8))
        return payload_arg(r.randrange(20), data, size, sh.len, self.profile)

    def slice_(self, sh):
        r, n = self.r, sh.len

        def bound():
            return None if r.random() < 0.3 else r.randint(-n - 3, n + 3)

        return slice(bound(), bound(), r.choice([None, None, 1, 2, 3, -1, -2, 0]))

    def needle(self, sh):
        r = self.r
        choice = r.randrange(5)
        if choice == 0:
            return b""
        if choice == 1:
            return r.randbytes(r.randint(0, 3))
        if choice == 2:
            return r.choice([o.Text("a"), 1, o.SelfView(0, 1) if sh.len else b"z"])
        source = sh.data if (sh.data and choice > 2) else r.choice(PATTERNS)
        start = r.randrange(len(source))
        return source[start:start + r.randint(1, 4)]

    def contains(self, sh):
        near = sh.data[sh.pos:sh.pos + 2] or b"01"
        return o.Contains(self.r.choice([b"0", b"x", 48, o.Text("0"), near, near]))

    def ops(self, sh):
        """The next op or ops (a rule may make two or three) for the map in state `sh`."""
        r = self.r
        rules = [(self.read, 6), (self.simple, 4), (self.write, 5), (self.write_flush, 2),
                 (self.seek_readline, 1), (self.write_byte, 3), (self.seek, 4), (self.getitem, 5),
                 (self.setitem, 5), (self.delitem, 1), (self.find, 4), (self.move, 3),
                 (self.flush, 2), (self.madvise, 1), (self.inspect, 4), (self.seek_inspect, 1),
                 (self.buffer, 2)]
        if not sh.m2:
            rules += [(self.resize, 2), (self.seek_resize, 1)]
        if sh.ops_since_open >= 4 or sh.state == "closed":
            rules += [(lambda: [o.Call("close")], 0.3),
                      (lambda: [o.Exit(*r.choice([(None, None, None), ()]))], 0.1)]
        if not sh.anon:
            rules += [(self.file_write, 2), (self.file_truncate, 1), (self.second_map, 2)]
        rule = r.choices([f for f, _ in rules], [w for _, w in rules])[0]
        return rule(sh) if rule.__code__.co_argcount > 1 else rule()

    def read(self, sh):
        args = self.r.choice([(), (None,), (-1,), "n", "n", "n", "special"])
        if args == "n":
            args = (self.r.randint(0, max(sh.len - sh.pos, 0) + 2),)
        elif args == "special":
            args = (self.index(sh),)
        return [o.Call("read", *args)]

    def simple(self, sh):
        return [o.Call(self.r.choice(["read_byte", "readline", "tell", "size", "seekable"]))]

    def write(self, sh):
        return [o.Call("write", self.payload(sh))]

    def write_flush(self, sh):
        return [o.Call("write", self.payload(sh)), o.Call("flush")]

    def seek_readline(self, sh):
        return [o.Call("seek", self.r.randint(0, sh.len)), o.Call("readline")]

    def write_byte(self, sh):
        r = self.r
        value = r.randint(0, 255) if r.random() < 0.5 else r.choice(
            [256, -1, b"a", o.Index(65), o.Float(1.0), o.Closer(1)])
        return [o.Call("write_byte", value)]

    def seek(self, sh):
        r = self.r
        whence = r.choice([None, 0, 1, 2, 3, -1])
        pos = r.randint(-sh.len - 2, sh.len + 2) if r.randrange(6) else self.index(sh)
        return [o.Call("seek", pos) if whence is None else o.Call("seek", pos, whence)]

    def getitem(self, sh):
        return [o.GetItem(self.slice_(sh) if self.r.random() < 0.5 else self.index(sh))]

    def setitem(self, sh):
        r = self.r
        if r.random() < 0.5:
            key = self.slice_(sh)
            size = len(range(*key.indices(sh.len))) if key.step != 0 else 0
            if r.randrange(4) == 0:
                size += r.choice([-1, 1])
            return [o.SetItem(key, self.payload(sh, max(size, 0)))]
        value = r.randint(0, 255) if r.random() < 0.5 else r.choice(
            [256, -1, 256, -1, b"A", o.Index(66), True, o.Float(2.0), o.Closer(3)])
        return [o.SetItem(self.index(sh), value)]

    def delitem(self, sh):
        return [o.DelItem(self.index(sh, special=False))]

    def find(self, sh):
        r = self.r
        args = [self.needle(sh)]
        for _ in range(r.randint(0, 2)):
            args.append(r.randint(-sh.len - 2, sh.len + 2) if r.randrange(7) else self.index(sh))
        return [o.Call(r.choice(["find", "rfind"]), *args)]

    def move(self, sh):
        r, n = self.r, sh.len
        count = r.randint(0, n + 1)
        return [o.Call("move", r.randint(-1, max(n - count, 0) + 1),
                       r.randint(-1, max(n - count, 0) + 1), count)]

    def resize(self, sh):
        n = sh.len
        return [o.Call("resize", self.r.choice([0, 1, max(n - 1, 0), n, n + 1, PAGE, PAGE + 7,
                                               2 * PAGE, -1, max(sh.pos - 1, 1)]))]

    def seek_resize(self, sh):
        pos = self.r.randint(1, max(sh.len, 1))
        return [o.Call("seek", pos), o.Call("resize", max(pos - 1, 1)),
                self.r.choice([o.Call("tell"), o.Call("read"), o.Call("read_byte")])]

    def flush(self, sh):
        n = sh.len
        return [o.Call("flush", *self.r.choice([(), (0, n), (0, 0), (n, 0), (PAGE, 1), (1, 1),
                                                (0, n + 1), (-1, 1), (0,), (PAGE,)]))]

    def madvise(self, sh):
        r = self.r
        extra = r.choice([(), (0,), (0, sh.len), (PAGE,), (1, 1), (-1,), (0, -1), (0, 2**62)])
        return [o.Call("madvise", r.choice([0, 1, 2, 3, 999]), *extra)]

    def inspect(self, sh):
        choices = [o.Len(), o.Bool(), o.Repr(), o.Closed(), o.Enter(), o.Bytes(), self.contains(sh)]
        if sh.len <= 2 * PAGE:
            choices += [o.List(), o.Reversed()] * 2
        return [self.r.choice(choices)]

    def seek_inspect(self, sh):
        return [o.Call("seek", self.r.randint(0, sh.len)),
                self.r.choice([o.Repr(), self.contains(sh), o.Call("tell")])]

    def buffer(self, sh):
        r = self.r
        if sh.views and r.random() < 0.5:
            return [o.Release(r.randrange(sh.views))]
        if sh.views and sh.len and r.random() < 0.5:
            return [o.ViewSet(0, r.randrange(sh.len), r.randint(0, 255))]
        return [o.Export()]

    def file_write(self, sh):
        r = self.r
        return [o.FileWrite(r.randint(0, sh.offset + sh.len + 2), r.randbytes(r.randint(1, 4)))]

    def file_truncate(self, sh):
        return [o.FileTruncate(max(sh.offset + sh.len, sh.m2_end) + self.r.choice([0, 1, PAGE]))]

    def second_map(self, sh):
        r = self.r
        if not sh.m2:
            access = r.choice([None, "ACCESS_READ", "ACCESS_COPY", "ACCESS_WRITE"])
            return [o.Open2(0, **({} if access is None else {"access": o.Const(access)}))]
        choice = r.randrange(4)
        if choice == 0:
            return [o.Close2()]
        if choice == 1:
            return [o.Get2()]
        return [o.Set2(r.randint(0, 8), r.randbytes(r.randint(1, 3)))]


# -- running: one op on both sides, one sequence, a replay for shrinking -------------------------
# Ops a worker runs per message in the sweep (one message per op only to find a difference).
BATCH = 100


class Found(Exception):
    """A divergence at the last of `steps`."""

    def __init__(self, clause, kind, steps, trace, got, fields):
        super().__init__(clause)
        self.clause, self.kind, self.steps, self.trace = clause, kind, steps, trace
        self.got, self.fields = got, fields


class Target:
    """One implementation under test, the reference at its profile, and what the soak saw."""

    def __init__(self, spec, subject, reference, known=()):
        self.spec, self.subject, self.reference = spec, subject, reference
        self.known = set(known)
        self.sequences = self.ops = 0
        self.findings = {}  # (clause, kind) -> {"count": how often, "found": the shortest Found}

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

    def run_batched(self, make, length):
        """A generated sequence the fast way: the reference alone follows the generator, and
        the ops go to the subject a batch per message, the next batch generated while the
        worker runs the last. Returns the number of ops run."""
        shadow, steps, trace, pending = Shadow(), [], [], []
        done, flight, exhausted = 0, None, False
        while True:
            while not exhausted and len(steps) - (flight[1] if flight else done) < BATCH:
                if not pending:
                    pending = make(shadow, len(steps) >= length)
                    if not pending:
                        exhausted = True
                        break
                op = pending.pop(0)
                if not shadow.allows(op):
                    raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
                steps.append(op)
                trace.append(_checked(op, self.reference.apply(op.json())))
                shadow.follow(op, trace[-1])
            if flight:
                done, flight = self.collect(steps, trace, *flight), None
            if done == len(steps):
                return len(steps)
            flight = self.submit(steps, trace, done, len(steps))

    def check(self, steps):
        """Fixed `steps` (a shrinking candidate) the same way, one batch after the other.
        Returns the number of ops, or None for steps the shadow forbids."""
        if not hasattr(self.subject, "apply_many"):  # the reference in process: no pipe
            return self.run(steps)
        shadow, trace = Shadow(), []
        for op in steps:
            if not shadow.allows(op):
                return None
            trace.append(_checked(op, self.reference.apply(op.json())))
            shadow.follow(op, trace[-1])
        done = 0
        while done < len(steps):
            done = self.collect(steps, trace, *self.submit(steps, trace, done,
                                                           min(done + BATCH, len(steps))))
        return len(steps)

    def submit(self, steps, trace, start, end):
        """Send steps[start:end] to the subject's worker in one message, with the reference's
        observations: the worker stops at the first that its own is not exactly."""
        self.subject.submit_many([op.json() for op in steps[start:end]],
                                 [compact(obs) for obs in trace[start:end]])
        return start, end

    def collect(self, steps, trace, start, end):
        """The batch's answer. Where a step differs, or the worker crashed or hung, the
        sequence is replayed one op at a time, which raises Found. Returns the index of the
        first step not yet run (end, unless a step only looked different, e.g. by its
        message)."""
        got, failure = self.subject.results(end - start)
        bad = next((start + i for i, obs in enumerate(got)
                    if differences(compact(trace[start + i]), obs)), None)
        if failure is None and bad is None:
            return start + len(got)
        self.run(steps[:end] if bad is None else steps[:bad + 1])  # raises Found
        where = "crashed or hung" if bad is None else f"differed at step {bad + 1}"
        raise HarnessError(f"a batch {where} but the ops did not when replayed one by one: "
                           "the implementation does not repeat itself")

    def run(self, ops, make=None, length=0):
        """Run `ops` (or, with `make`, ops from the generator until `length`) on fresh scenarios;
        raise Found at the first divergence. Returns the number of ops run."""
        shadow, steps, trace = Shadow(), [], []
        source = iter(ops)
        pending = []
        while True:
            if not pending:
                if make is None:
                    op = next(source, None)
                    if op is None:
                        return len(steps)
                    pending = [op]
                else:
                    pending = make(shadow, len(steps) >= length)
                    if not pending:
                        return len(steps)
            op = pending.pop(0)
            if not shadow.allows(op):
                if make is not None:
                    raise HarnessError(f"the generator made an op the shadow forbids: {op.py()}")
                return None  # a shrinking candidate that would be unsafe or meaningless
            expected, got = self.step(op)
            steps.append(op)
            trace.append(expected)
            clause = clause_for(op, expected, shadow)  # before the shadow moves on
            fields = differences(expected, got)
            if fields:
                kind = ("crash" if "crash" in got or "protocol" in got
                        else "hang" if "hang" in got else "diverge")
                raise Found(clause, kind, steps, trace, got, fields)
            shadow.follow(op, expected)


def _checked(op, expected):
    out = expected.get("out") or ["", None]
    # An attribute the profile's mmap lacks (closed, __enter__, ACCESS_DEFAULT on 2.7...).
    missing = out[0] == "exc" and out[1] == "AttributeError" and bool(LACKS.match(out[3]))
    if expected.get("state") == "error" or (out[0] == "exc" and out[1] in NOT_MMAP
                                            and not missing):
        raise HarnessError(f"the reference's observation of {op.py()} is not an mmap outcome: "
                           f"{describe(expected) if 'out' in expected else expected}")
    return expected


def sequence_maker(gen, rng):
    """`make(shadow, done)` for Target.run: an opening, ops, reopenings, then End."""
    ended = []

    def make(shadow, done):
        if ended:
            return []
        if done:
            ended.append(True)
            return [o.End()] if shadow.state in ("open", "closed") else []
        if shadow.state != "open" and (shadow.state != "closed" or rng.random() < 0.3):
            return [gen.open()]
        return gen.ops(shadow)

    return make


def shrink(target, found, deadline, harness=None):
    """Delta debugging: drop chunks of ops, then single ops, while the same clause and kind
    still diverge (each candidate replayed on fresh scenarios). Returns the shortest Found;
    harness errors on the way are appended to `harness`."""
    best = found

    def attempt(candidate):
        try:
            target.check(candidate)
        except Found as again:
            if (again.clause, again.kind) == (found.clause, found.kind):
                return again
        except Exception as exc:  # counted like the sweep's, and the candidate is dropped
            if harness is not None:
                harness.append(_harness_error(target, exc))
        return None

    def earlier_scenarios_dropped(best):
        """Without the scenarios before a later opening, which rarely matter (one op at a time
        they may not go: each earlier op is what lets the next opening run)."""
        for start in [i for i, op in enumerate(best.steps) if op.name == "open"][1:][::-1]:
            again = attempt(best.steps[start:])
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
            again = attempt(best.steps[:start] + best.steps[start + size:])
            if again is not None:
                best = again
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(len(best.steps), chunks * 2)
    return earlier_scenarios_dropped(best)


# -- the command ---------------------------------------------------------------------------------
def build_parser():
    from conformance import expectations
    from conformance.options import Parser, positive, positive_int, seconds

    parser = Parser(
        prog="python -m conformance.soak",
        description="Long random op sequences against the reference, for a while.")
    parser.add_argument("--minutes", type=positive("minutes"), default=1.0,
                        help="how long to generate (shrinking comes after). Default: %(default)r")
    parser.add_argument("--impl", action="append", metavar="SPEC",
                        help="implementation under test (repeatable; `all`). Default: stdlib")
    parser.add_argument("--seed", type=int, default=None, help="random seed. Default: random")
    parser.add_argument("--length", type=positive_int, default=300,
                        help="ops per sequence (about). Default: %(default)r")
    parser.add_argument("--shrink-seconds", type=seconds, default=60.0,
                        help="time limit for shrinking each finding. Default: %(default)r")
    parser.add_argument("--timeout", type=seconds, default=10.0,
                        help="seconds before a step is a hang. Default: %(default)r")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    expectations.add_arguments(parser)
    return parser


def start_targets(args, out):
    """Resolve and start every implementation: (targets, infos); unavailable ones are listed."""
    from conformance import clauses, expectations
    from conformance.cli import expand
    from impls.adapters import ReferenceAdapter, Unavailable
    from impls.interpreters import resolve

    infos, targets, references = [], [], {}
    for spec, _ in expand(args.impl or ["stdlib"]):
        adapter = resolve(spec, timeout=args.timeout)
        info = {"spec": spec, "name": getattr(adapter, "name", spec)}
        try:
            about = adapter.start()
        except Unavailable as exc:
            info.update(version=None, profile=None, status="unavailable", reason=str(exc))
            print(f"{spec}: unavailable ({exc})", file=out)
            infos.append(info)
            continue
        info.update(version=adapter.version, profile=adapter.profile, about=about)
        if adapter.profile not in references:
            references[adapter.profile] = ReferenceAdapter(adapter.profile)
        targets.append(Target(spec, adapter, references[adapter.profile]))
        infos.append(info)
    planned = expectations.plan(args, clauses.load())
    if planned is not None:
        assigned = expectations.assign(args, planned, [i for i in infos if "about" in i],
                                       clauses.load())
        for target in targets:
            target.known = set(assigned.get(target.spec, (None, {"known": {}}))[1]["known"])
    return targets, infos, list(references.values())


def soak(args, out=sys.stdout):
    """Run the soak; return the results document."""
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    try:
        targets, infos, references = start_targets(args, out)
    except KeyboardInterrupt:  # before anything ran: an empty document, marked incomplete
        from impls import process

        process.stop_all()
        return _document(seed, args, 0.0, [], [], [], [], True)
    harness = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    interrupted = False
    try:
        try:
            _soak_loop(targets, rng, args, deadline, harness)
        except KeyboardInterrupt:  # Ctrl-C: keep what was found, shrink nothing more
            interrupted = True
        elapsed = time.monotonic() - started
        findings = []
        for target in targets:
            for (clause, kind), seen in sorted(target.findings.items()):
                found = seen["found"]
                small = found if interrupted else shrink(
                    target, found, time.monotonic() + args.shrink_seconds, harness)
                findings.append(_finding(target, clause, kind, seen["count"], found, small))
    finally:
        for adapter in [t.subject for t in targets] + references:
            adapter.close()
    return _document(seed, args, elapsed, targets, infos, findings, harness, interrupted)


def _soak_loop(targets, rng, args, deadline, harness):
    """Random sequences, one implementation after the other, until the deadline."""
    turn = 0
    while targets and time.monotonic() < deadline:
        target = targets[turn % len(targets)]
        turn += 1
        gen = Generator(rng, target.reference.profile)
        length = rng.randint(args.length // 2, args.length * 3 // 2)
        make = sequence_maker(gen, rng)
        target.sequences += 1
        try:
            if hasattr(target.subject, "apply_many"):
                target.ops += target.run_batched(make, length)
            else:  # the reference in process: step by step costs nothing more
                target.ops += target.run((), make=make, length=length)
        except Found as found:
            target.ops += len(found.steps)
            key = (found.clause, found.kind)
            seen = target.findings.setdefault(key, {"count": 0, "found": found})
            seen["count"] += 1
            if len(found.steps) < len(seen["found"].steps):
                seen["found"] = found
        except Exception as exc:  # the soak or the reference failed: counted apart
            harness.append(_harness_error(target, exc))


def _document(seed, args, elapsed, targets, infos, findings, harness, interrupted):
    sequences, ops = sum(t.sequences for t in targets), sum(t.ops for t in targets)
    return {
        **header("soak"), "seed": seed, "minutes": args.minutes, "seconds": round(elapsed, 3),
        "reference_extension": _extension_path(),
        "sequences": sequences, "ops": ops,
        "sequences_per_second": round(sequences / elapsed, 2) if elapsed else 0.0,
        "ops_per_second": round(ops / elapsed, 1) if elapsed else 0.0,
        "implementations": [dict(_public(i), sequences=t.sequences, ops=t.ops)
                            for i in infos for t in targets if t.spec == i["spec"]]
        + [_public(i) for i in infos if i.get("status") == "unavailable"],
        "findings": findings,
        "harness_errors": len(harness), "harness_error_details": harness[:10],
        **({"incomplete": True, "stopped_by": "Ctrl-C"} if interrupted else {}),
    }


def _harness_error(target, exc):
    return {"impl": target.spec, "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:]}


def _public(info):
    return {k: info.get(k) for k in ("spec", "name", "version", "profile", "status", "reason")
            if k in info}


def _extension_path():
    try:
        from impls import _refmmap
        return _refmmap.__file__
    except ImportError:  # pragma: no cover - the reference itself would have failed first
        return None


def _finding(target, clause, kind, count, found, small):
    got = small.got
    detail = (f"step {len(small.steps)} {small.steps[-1].py()}: expected "
              f"{describe(small.trace[-1])}, got {describe(got)} ({', '.join(small.fields)} differ)")
    return {"impl": target.spec, "clause": clause, "kind": kind, "known": clause in target.known,
            "count": count, "found_length": len(found.steps), "shrunk_length": len(small.steps),
            "fields": small.fields, "detail": detail,
            "repro": script(target.spec, target.subject.profile, small.steps, small.trace, got,
                            clause=clause, fields=small.fields)}


def report(doc, out=sys.stdout):
    print(f"soak: {doc['sequences']} sequences, {doc['ops']} ops in {doc['seconds']:.0f} s "
          f"({doc['sequences_per_second']} sequences/s, {doc['ops_per_second']} ops/s), "
          f"seed {doc['seed']}", file=out)
    print(f"reference extension: {doc['reference_extension']}", file=out)
    for impl in doc["implementations"]:
        extra = f" (unavailable: {impl.get('reason')})" if impl.get("status") == "unavailable" else \
            f": {impl['sequences']} sequences, {impl['ops']} ops"
        print(f"  {impl['spec']} {impl.get('version') or ''}{extra}", file=out)
    for f in doc["findings"]:
        known = " (known)" if f["known"] else ""
        detail = f["detail"] if len(f["detail"]) <= 300 else f["detail"][:300] + "..."
        print(f"{f['impl']}: {f['kind']} on {f['clause']}{known}, {f['count']}x, shrunk from "
              f"{f['found_length']} to {f['shrunk_length']} ops\n  {detail}", file=out)
    if not doc["findings"]:
        print("no divergences", file=out)
    print(f"harness errors: {doc['harness_errors']}", file=out)
    for h in doc["harness_error_details"]:
        print(f"  {h['impl']}: {h['error']}", file=out)


def main(argv=None):
    from conformance import expectations
    from conformance.options import Usage, check_output_folders
    from conformance.results import write_atomically
    from impls.adapters import UsageError

    try:
        args = build_parser().parse_args(argv)
        check_output_folders(args, "json")
    except Usage as exc:
        print(f"python -m conformance.soak: error: {exc}", file=sys.stderr)
        return 2
    # Workers run other builds; a sanitizer runtime preloaded for the reference (nox -s soak)
    # would turn their SIGBUS into a sanitizer report and change the crash they report.
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        os.environ.pop("LD_PRELOAD")
    try:
        doc = soak(args)
    except (UsageError, expectations.BadExpectations) as exc:
        print(f"python -m conformance.soak: error: {exc}", file=sys.stderr)
        return 2
    report(doc)
    if args.json:
        write_atomically(args.json, json.dumps(doc, indent=1))
    if doc.get("incomplete"):
        print("python -m conformance.soak: interrupted: the results so far are written, "
              "marked incomplete", file=sys.stderr)
        return 3
    new = [f for f in doc["findings"] if not f["known"]]
    return 1 if new or doc["harness_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
