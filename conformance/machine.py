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
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, precondition, rule

from conformance import ops as o

if sys.version_info < (3, 11):  # Hypothesis brings the backport
    from exceptiongroup import BaseExceptionGroup
from conformance.compare import differences

PAGE = 4096
HUGE = (2**63, 2**100, -(2**63) - 1)
PATTERNS = (b"0123456789", b"ab\ncd\n\nef\r\n", b"a\rb\n", b"\x00\xff\x7f\x80", b"one two one\n",
            b"x")


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
    """The clause a divergence lands on: what the reference did tells which rule applied."""
    out = expected.get("out") or ["", None]
    args = op.args[1] if op.name == "call" else op.args
    method = op.args[0] if op.name == "call" else op.name
    closes, resizes = _has_tag(args, "closer"), _has_tag(args, "resizer")
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


def _flat(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _flat(v)
    elif isinstance(value, slice):
        yield from (value.start, value.stop, value.step)
    elif isinstance(value, dict):
        yield from _flat(list(value.values()))
    else:
        yield value


def _has_tag(args, tag):
    return any(isinstance(a, o.Arg) and a.tag == tag for a in _flat(args))


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
        self.ops_since_open = 0
        self.state = None  # None (no scenario yet), "open", "closed", "none" (ctor failed)
        self.len = self.pos = 0
        self.data = b""  # the map's bytes as the reference saw them (when small enough to inline)
        self.anon = True
        self.file_size = 0
        self.offset = 0
        self.views = 0
        self.m2 = False
        self.m2_end = 0  # the file bytes the second map covers: the file must never shrink below

    # -- the heart: one op, both sides, compare ------------------------------------------------
    def step(self, op):
        """Apply `op` to both sides and return the reference's observation.

        The subject's answer is collected at the next step (or at teardown): its worker runs
        while Hypothesis draws the next op, since what is drawn depends only on the reference.
        """
        self.collect()
        if self.dead:  # the implementation died in this example: the reference goes on alone
            return self.follow(self.reference.apply(op.json()))
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
        clause = clause_for(op, expected, self)  # before the shadow state moves on
        self.exercised[clause] += 1
        self.features["op " + (op.args[0] if op.name == "call" else op.name)] += 1
        if submit is not None:
            self.pending = (index, clause)
        else:
            self.check(index, clause, self.subject.apply(payload))
        return self.follow(expected)

    def follow(self, expected):
        """Move the shadow state on to what the reference observed."""
        opened = expected.get("state") == "open" and self.state != "open"
        self.ops_since_open = 0 if opened else self.ops_since_open + 1
        self.state = expected.get("state", self.state)
        self.len = expected.get("len", self.len) or 0
        data = expected.get("data")
        if isinstance(data, str) and not data.startswith("md5:"):
            self.data = bytes.fromhex(data)
        pos = expected.get("pos", 0)
        self.pos = pos if isinstance(pos, int) else 0
        return expected

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
        if self.state in ("open", "closed"):
            self.step(o.End())
            self.collect()

    # -- scenario ------------------------------------------------------------------------------
    @precondition(lambda self: self.state != "open")
    @rule(data=st.data())
    def open_map(self, data):
        draw = fast_draw(data)
        self.views, self.m2, self.m2_end = 0, False, 0
        if draw(st.integers(0, 3)) == 0:
            self.open_anonymous(draw)
        else:
            self.open_file(draw)

    def open_anonymous(self, draw):
        self.anon = True
        length = draw(st.sampled_from([1, 7, 100, PAGE - 1, PAGE, PAGE + 5, 0, -1]))
        kwargs = {}
        choice = draw(st.integers(0, 5))
        if choice == 1:
            kwargs["flags"] = o.Const("MAP_PRIVATE")
        elif choice == 2:
            kwargs["access"] = o.Const(draw(st.sampled_from(
                ["ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"])))
        self.offset = 0
        if self.step(o.Open(None, length, **kwargs))["out"][0] == "ok":
            self.features["anonymous"] += 1
            self.features[_access_feature(kwargs)] += 1

    def open_file(self, draw):
        self.anon = False
        size = draw(st.sampled_from([0, 1, 3, 10, 26, 100, PAGE - 1, PAGE, PAGE + 10, 2 * PAGE + 3]))
        if size <= 16 and draw(st.booleans()):
            content = draw(st.binary(min_size=size, max_size=size))
        else:
            pattern = draw(st.sampled_from(PATTERNS))
            content = (pattern * (size // len(pattern) + 1))[:size]
        mode = draw(st.sampled_from(["r+"] * 8 + ["r", "w"]))
        offset = draw(st.sampled_from([0] * 6 + [PAGE, 1, -PAGE]))
        room = max(size - max(offset, 0), 0)
        length = draw(st.sampled_from([0, 0, 0, max(room - 1, 1), room, room + 1, 1]))
        kwargs = file_map_kwargs(offset, draw(st.integers(0, 9)), draw(st.sampled_from([4, -1])))
        self.file_size, self.offset = size, max(offset, 0)
        if self.step(o.Open(content, length, mode=mode, **kwargs))["out"][0] == "ok":
            self.features["file"] += 1
            self.features[_access_feature(kwargs)] += 1
            if offset > 0:
                self.features["offset"] += 1
            if 0 < length < room:
                self.features["length shorter than the file"] += 1

    # -- value strategies that follow the map's state ------------------------------------------
    def index(self, draw, allow_special=True):
        n = self.len
        choice = draw(st.integers(0, 9))
        if choice <= 5:
            return draw(st.integers(-n - 2, n + 2))
        if choice == 6:
            return draw(st.sampled_from([0, n, -n, n - 1, -1, n + 1, -n - 1]))
        if not allow_special:
            return draw(st.sampled_from(HUGE))
        if choice == 7:
            return o.Index(draw(st.integers(-n - 1, n + 1)))
        if choice == 8:
            return draw(st.sampled_from(HUGE + (True, o.Float(1.0), o.Text("1"), None)))
        if self.m2:  # a resize would cut the file under the second map: SIGBUS for any mmap
            return o.Closer(min(1, n))
        return draw(st.sampled_from([o.Closer(min(1, n)), o.Resizer(max(n // 2, 1), 1)]))

    def payload(self, draw, size=None):
        if size is None:
            size = draw(st.integers(0, max(self.len - self.pos, 0) + 2))
        data = draw(st.binary(min_size=min(size, 8), max_size=min(size, 8)))
        return payload_arg(draw(st.integers(0, 19)), data, size, self.len,
                           self.reference.profile)

    def slice_(self, draw):
        n = self.len
        bound = st.one_of(st.none(), st.integers(-n - 3, n + 3))
        step = draw(st.sampled_from([None, None, 1, 2, 3, -1, -2, 0]))
        return slice(draw(bound), draw(bound), step)

    def needle(self, draw):
        choice = draw(st.integers(0, 4))
        if choice == 0:
            return b""
        if choice == 1:
            return draw(st.binary(max_size=3))
        if choice == 2:
            return draw(st.sampled_from([o.Text("a"), 1, o.SelfView(0, 1) if self.len else b"z"]))
        source = self.data if (self.data and choice > 2) else draw(st.sampled_from(PATTERNS))
        start = draw(st.integers(0, len(source) - 1))
        return source[start:start + draw(st.integers(1, 4))]

    # -- rules ---------------------------------------------------------------------------------
    opened = precondition(lambda self: self.state in ("open", "closed"))

    @opened
    @rule(data=st.data())
    def read(self, data):
        args = fast_draw(data)(st.sampled_from([(), (None,), (-1,), "n", "n", "n", "special"]))
        if args == "n":
            args = (fast_draw(data)(st.integers(0, max(self.len - self.pos, 0) + 2)),)
        elif args == "special":
            args = (self.index(data.draw),)
        self.step(o.Call("read", *args))

    @opened
    @rule(method=st.sampled_from(["read_byte", "readline", "tell", "size", "seekable"]))
    def no_argument_method(self, method):
        self.step(o.Call(method))

    @opened
    @rule(data=st.data())
    def write(self, data):
        self.step(o.Call("write", self.payload(data.draw)))

    @opened
    @rule(data=st.data())
    def write_then_flush(self, data):
        """A write followed by flush(): where copy and private maps must keep the file intact."""
        self.step(o.Call("write", self.payload(data.draw)))
        self.step(o.Call("flush"))

    @opened
    @rule(data=st.data())
    def seek_then_readline(self, data):
        self.step(o.Call("seek", fast_draw(data)(st.integers(0, self.len))))
        self.step(o.Call("readline"))

    @opened
    @rule(data=st.data())
    def write_byte(self, data):
        value = fast_draw(data)(st.one_of(st.integers(0, 255), st.sampled_from(
            [256, -1, b"a", o.Index(65), o.Float(1.0), o.Closer(1)])))
        self.step(o.Call("write_byte", value))

    @opened
    @rule(data=st.data())
    def seek(self, data):
        draw = fast_draw(data)
        whence = draw(st.sampled_from([None, 0, 1, 2, 3, -1]))
        pos = draw(st.integers(-self.len - 2, self.len + 2)) if draw(st.integers(0, 5)) else \
            self.index(draw)
        self.step(o.Call("seek", pos) if whence is None else o.Call("seek", pos, whence))

    @opened
    @rule(data=st.data())
    def getitem(self, data):
        draw = fast_draw(data)
        key = self.slice_(draw) if draw(st.booleans()) else self.index(draw)
        self.step(o.GetItem(key))

    @opened
    @rule(data=st.data())
    def setitem(self, data):
        draw = fast_draw(data)
        if draw(st.booleans()):
            key = self.slice_(draw)
            size = len(range(*key.indices(self.len))) if key.step != 0 else 0
            if draw(st.integers(0, 3)) == 0:  # the wrong size, which must raise
                size += draw(st.sampled_from([-1, 1]))
            self.step(o.SetItem(key, self.payload(draw, max(size, 0))))
        else:
            value = draw(st.one_of(st.integers(0, 255), st.sampled_from([256, -1]), st.sampled_from(
                [256, -1, b"A", o.Index(66), True, o.Float(2.0), o.Closer(3)])))
            self.step(o.SetItem(self.index(draw), value))

    @opened
    @rule(data=st.data())
    def delitem(self, data):
        self.step(o.DelItem(self.index(data.draw, allow_special=False)))

    @opened
    @rule(data=st.data(), method=st.sampled_from(["find", "rfind"]))
    def find(self, data, method):
        draw = fast_draw(data)
        args = [self.needle(draw)]
        for _ in range(draw(st.integers(0, 2))):
            args.append(draw(st.integers(-self.len - 2, self.len + 2))
                        if draw(st.integers(0, 6)) else self.index(draw))
        self.step(o.Call(method, *args))

    @opened
    @rule(data=st.data())
    def move(self, data):
        draw = fast_draw(data)
        n = self.len
        count = draw(st.integers(0, n + 1))
        dest = draw(st.integers(-1, max(n - count, 0) + 1))
        src = draw(st.integers(-1, max(n - count, 0) + 1))
        self.step(o.Call("move", dest, src, count))

    @opened
    @precondition(lambda self: not self.m2)
    @rule(data=st.data())
    def resize(self, data):
        draw = fast_draw(data)
        n = self.len
        size = draw(st.sampled_from([0, 1, max(n - 1, 0), n, n + 1, PAGE, PAGE + 7, 2 * PAGE, -1,
                                     max(self.pos - 1, 1)]))
        if self.step(o.Call("resize", size))["out"][0] == "ok" and not self.anon:
            self.file_size = self.offset + size

    @opened
    @rule(data=st.data())
    def flush(self, data):
        draw = fast_draw(data)
        n = self.len
        args = draw(st.sampled_from([(), (0, n), (0, 0), (n, 0), (PAGE, 1), (1, 1),
                                     (0, n + 1), (-1, 1), (0,), (PAGE,)]))
        self.step(o.Call("flush", *args))

    @opened
    @rule(data=st.data())
    def madvise(self, data):
        draw = fast_draw(data)
        option = draw(st.sampled_from([0, 1, 2, 3, 999]))
        extra = draw(st.sampled_from([(), (0,), (0, self.len), (PAGE,), (1, 1), (-1,),
                                      (0, -1), (0, 2**62)]))
        self.step(o.Call("madvise", option, *extra))

    # Closing ends the interesting part of a scenario: only after a few ops on the open map
    # (a deterministic limiter), else most sequences would be open-close-open-close.
    settled = precondition(lambda self: self.state == "closed" or self.ops_since_open >= 4)

    @opened
    @settled
    @rule()
    def close(self):
        self.step(o.Call("close"))

    @opened
    @rule(data=st.data())
    def inspect(self, data):
        draw = fast_draw(data)
        choices = [o.Len(), o.Bool(), o.Repr(), o.Closed(), o.Enter(), o.Bytes(), self.contains(draw)]
        if self.len <= 2 * PAGE:
            choices += [o.List(), o.Reversed()] * 2
        self.step(draw(st.sampled_from(choices)))

    def contains(self, draw):
        near = self.data[self.pos:self.pos + 2] or b"01"  # a 2-byte run the map really holds
        return o.Contains(draw(st.sampled_from([b"0", b"x", 48, o.Text("0"), near, near])))

    @opened
    @rule(data=st.data())
    def seek_then_inspect(self, data):
        """What reports the position (repr) or searches (in) after the position moved."""
        draw = fast_draw(data)
        self.step(o.Call("seek", draw(st.integers(0, self.len))))
        self.step(draw(st.sampled_from([o.Repr(), self.contains(draw), o.Call("tell")])))

    @opened
    @precondition(lambda self: not self.m2)
    @rule(data=st.data())
    def seek_then_resize(self, data):
        """A resize below the position, which must leave tell() alone."""
        draw = fast_draw(data)
        pos = draw(st.integers(1, max(self.len, 1)))
        self.step(o.Call("seek", pos))
        if self.step(o.Call("resize", max(pos - 1, 1)))["out"][0] == "ok" and not self.anon:
            self.file_size = self.offset + max(pos - 1, 1)
        self.step(draw(st.sampled_from([o.Call("tell"), o.Call("read"), o.Call("read_byte")])))

    @opened
    @settled
    @rule(data=st.data())
    def exit(self, data):
        args = fast_draw(data)(st.sampled_from([(None, None, None), ()]))
        self.step(o.Exit(*args))

    @opened
    @rule(data=st.data())
    def buffer(self, data):
        draw = fast_draw(data)
        if self.views and draw(st.booleans()):
            self.step(o.Release(draw(st.integers(0, self.views - 1))))
            self.views -= 1
            return
        if self.views and self.len and draw(st.booleans()):
            self.step(o.ViewSet(0, draw(st.integers(0, self.len - 1)), draw(st.integers(0, 255))))
            return
        expected = self.step(o.Export())
        if expected["out"][0] == "ok":
            self.views += 1

    # -- the world around the map --------------------------------------------------------------
    mapped_file = precondition(lambda self: self.state in ("open", "closed") and not self.anon)

    @mapped_file
    @rule(data=st.data())
    def file_write(self, data):
        draw = fast_draw(data)
        offset = draw(st.integers(0, self.offset + self.len + 2))
        chunk = draw(st.binary(min_size=1, max_size=4))
        if self.step(o.FileWrite(offset, chunk))["out"][0] == "ok":
            self.file_size = max(self.file_size, offset + len(chunk))

    @mapped_file
    @rule(data=st.data())
    def file_truncate(self, data):
        # Never below what a map covers: touching a page past EOF is SIGBUS for any real mmap,
        # the in-process reference included.
        floor = max(self.offset + self.len, self.m2_end)
        size = floor + fast_draw(data)(st.sampled_from([0, 1, PAGE]))
        if self.step(o.FileTruncate(size))["out"][0] == "ok":
            self.file_size = size

    @mapped_file
    @rule(data=st.data())
    def second_map(self, data):
        draw = fast_draw(data)
        if not self.m2:
            access = draw(st.sampled_from([None, "ACCESS_READ", "ACCESS_COPY", "ACCESS_WRITE"]))
            kwargs = {} if access is None else {"access": o.Const(access)}
            expected = self.step(o.Open2(0, **kwargs))
            self.m2 = expected["out"][0] == "ok"
            self.m2_end = self.file_size if self.m2 else 0
        elif draw(st.integers(0, 3)) == 0:
            self.step(o.Close2())
            self.m2, self.m2_end = False, 0
        elif draw(st.booleans()):
            self.step(o.Get2())
        else:
            self.step(o.Set2(draw(st.integers(0, 8)), draw(st.binary(min_size=1, max_size=3))))


def file_map_kwargs(offset, kind, invalid_access):
    """Constructor keywords for a file map: the offset, then one of ten kinds (access modes,
    flags, prot, an invalid access, both access and flags, trackfd). Shared with the soak."""
    kwargs = {"offset": offset} if offset else {}
    if kind <= 3:
        kwargs["access"] = o.Const(
            ["ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY", "ACCESS_DEFAULT"][kind])
    elif kind == 4:
        kwargs["flags"] = o.Const("MAP_PRIVATE")
    elif kind == 5:
        kwargs["prot"] = o.Const("PROT_READ")
    elif kind == 6:
        kwargs["access"] = invalid_access
    elif kind == 7:
        kwargs.update(access=o.Const("ACCESS_READ"), flags=o.Const("MAP_PRIVATE"))
    elif kind == 8:
        kwargs["trackfd"] = False
    return kwargs


def payload_arg(kind, seed, size, length, profile):
    """`size` bytes repeating `seed`, passed as one of several bytes-like kinds (or text, which
    must be refused) for kind 0-4; plain bytes for the rest. Shared with the soak."""
    data = (seed * (size // max(len(seed), 1) + 1))[:size] if seed else bytes(size)
    if kind == 0:
        return o.ByteArray(data)
    if kind == 1:
        return o.MemView(data)
    if kind == 2 and profile != "2.7":  # 2.7 has no strided memoryview
        return o.NonContiguous(data)
    if kind == 3:
        return o.Text(data.decode("latin-1"))
    if kind == 4 and length:
        return o.SelfView(0, min(size, length))
    return data


def _access_feature(kwargs):
    access = kwargs.get("access")
    if isinstance(access, o.Arg):
        return access.value
    if "flags" in kwargs or "prot" in kwargs:
        return "flags/prot"
    return "ACCESS_DEFAULT" if access is None else "invalid access"


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
