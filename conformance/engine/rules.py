# SPDX-License-Identifier: MIT
"""The op rules, once: which ops a scenario may take next, their arguments as edge-seeking
strategies, and the shadow state they follow. Two drivers draw from it: the lockstep machine
(Hypothesis's draw) and the soak (a seeded random.Random). Adding an op is one rule here.

Arguments come from the boundary set of the current state (0, 1, pos, len, the page size and
its multiples, each +-1) as often as from uniform ranges; data from low-entropy alphabets (runs
of one byte, two bytes, lines with empty lines) as often as from random bytes; maps of one to a
few pages, at an offset or shorter than their file. Each example or sequence enables a random
subset of the rules and features (swarm testing, as Hypothesis's stateful machines do).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
import re

from conformance import clauses
from conformance.engine import ops as o
from impls.executor import DIGEST, LARGE_LIMIT

PAGE = 4096
HUGE = (2**63, 2**100, -(2**63) - 1)
PATTERNS = (b"0123456789", b"ab\ncd\n\nef\r\n", b"a\rb\n", b"\x00\xff\x7f\x80", b"one two one\n",
            b"x")
# Low-entropy alphabets for data: runs of one byte, two bytes mixed, lines (with empty ones).
RUNS = (b"\x00", b"a", b"\n", b"\xff")
PAIRS = ((b"a", b"b"), (b"\x00", b"\xff"), (b"a", b"\n"), (b"\n", b"\r"))
LINE_ENDS = re.compile(b"[\r\n]")  # where readline() stops
# The last three bytes of a run of three or more that another byte follows.
RUN_TAIL, ANY_TAIL = re.compile(rb"(.)\1\1(?!\1)(?=.)", re.S), re.compile(rb"(.)(?!\1)(?=.)", re.S)


def run_end(data, at):
    """The index of a run's last byte, searching from `at` on and then from the start: of a run
    of three or more bytes if the map has one, else of any run; None if all bytes are equal."""
    for tail, back in ((RUN_TAIL, 2), (ANY_TAIL, 0)):
        found = tail.search(data, max(at - back, 0)) or tail.search(data)
        if found:
            return found.start() + back
    return None


# -- the two drivers -------------------------------------------------------------------------------
class HypothesisSource:
    """Draws through Hypothesis, straight from the engine's ConjectureData (`data`): the same
    choices st.integers and st.binary make, without building a strategy per draw. Every choice
    shrinks towards the first of its options, so order options from simplest."""

    def __init__(self, data):
        self._data = data

    def integer(self, lo, hi):
        if hi <= lo:  # as st.integers: one value is no choice
            return lo
        # As st.integers: a wide range makes its bounds and their neighbours more likely.
        weights = ({lo: 2 / 128, lo + 1: 1 / 128, hi - 1: 1 / 128, hi: 2 / 128}
                   if hi - lo > 127 else None)
        return self._data.draw_integer(lo, hi, weights=weights)

    def binary(self, size):
        return self._data.draw_bytes(size, size)


class RandomSource:
    """Draws from a seeded random.Random (the soak: no Hypothesis in the loop)."""

    def __init__(self, rng):
        self.rng = rng

    def integer(self, lo, hi):
        span = hi - lo + 1
        if span <= 1 << 32:  # a soak draws millions: random() is 5 times faster than randint,
            return lo + int(self.rng.random() * span) if span > 1 else lo  # its bias < 2**-20
        return self.rng.randint(lo, hi)

    def binary(self, size):
        return self.rng.randbytes(size)


# -- the shadow state ------------------------------------------------------------------------------
class Shadow:
    """What the reference says the map is after each op, plus what keeps every real mmap (the
    in-process reference included) clear of SIGBUS: the file never shrinks under a map."""

    def __init__(self):
        self.state = None  # None (nothing opened yet), "open", "closed", "none" (ctor failed)
        self.len = self.pos = self.ops_since_open = 0
        self.data = b""  # the map's bytes: as observed when small, else as last known
        self.anon, self.offset, self.file_size = True, 0, 0
        self.m2, self.m2_end, self.views = False, 0, 0  # m2_end: the file bytes m2 covers
        self.exact = True  # whether `data` is what the reference observed last
        self.out = None  # the last op's outcome
        self.iters = 0  # iterators held across ops (iter_make), dropped with the scenario
        self.reversed_its = []  # whether each held iterator is a reversed() one
        self.it_next = []  # the index each held iterator reads next (None: it has stopped)
        self.peek = None  # a driver's way to read the reference's map when `data` is not exact

    @property
    def live(self):
        return self.state in ("open", "closed")

    def bytes(self):
        """The map's bytes: observed, or read from the reference through `peek` when the map is
        too big to inline (only when a rule asks: searching for what the map holds)."""
        if (not self.exact and self.peek is not None and self.state == "open"
                and self.len <= LARGE_LIMIT):  # a sparse map of gigabytes is never read whole
            data = self.peek()
            if isinstance(data, bytes):
                self.data, self.exact = data, True
        return self.data

    def allows(self, op):
        """Whether `op` is safe and meaningful now (the rules only make such ops; a shrinking
        candidate that breaks one is skipped, never run)."""
        n = op.name
        if n == "open":
            return self.state != "open"
        if not self.live:
            return False
        if resizes(op):
            return not self.m2  # the file would shrink under the second map
        if n == "file_truncate":
            return not self.anon and op.args[0] >= max(self.offset + self.len, self.m2_end)
        if n in ("file_write", "open2"):
            return not self.anon and not (n == "open2" and self.m2)
        if n in ("get2", "set2", "close2"):
            return self.m2
        if n in ("release", "view_set"):
            return op.args[0] < self.views
        if n in ("view_get", "view_slice"):
            return op.args[0] < self.views
        if n in ("iter_next", "iter_drop"):
            return op.args[0] < self.iters
        return True

    def follow(self, op, expected):
        """Move on to what the reference observed after `op`."""
        self.out = expected.get("out")  # the op's outcome, for a move that reads it
        moved = self.MOVES.get(op.name)
        if moved is not None:
            moved(self, op, (expected.get("out") or ["", None])[0] == "ok")
        before = self.len
        self._observe(expected)
        if (not self.anon and self.state == "open" and self.len != before
                and has_tag(op.args, "resizer")):
            # An argument resized the map, and so its file: a second map opened later covers
            # the file as it is now (a stale size could truncate the file under it: SIGBUS).
            self.file_size = self.offset + self.len
        return expected

    # What an op changes beyond what the reference observes of the map (`ok`: it returned).
    def _opened(self, op, ok):
        setup, args, kwargs = op.args
        self.anon = setup is None
        offset = kwargs.get("offset", 0)
        self.offset = 0 if self.anon or not isinstance(offset, int) else max(offset, 0)
        content = b"" if self.anon else bytes.fromhex(setup["data"])
        self.file_size = len(content) if self.anon or "size" not in setup else setup["size"]
        self.data = content[self.offset:]
        self.m2, self.m2_end, self.views = False, 0, 0
        self.iters, self.reversed_its, self.it_next = 0, [], []

    def _called(self, op, ok):
        if op.args[0] == "resize" and ok and not self.anon:
            size = op.args[1][0]
            self.file_size = self.offset + size if isinstance(size, int) else self.file_size

    def _file_written(self, op, ok):
        if ok:
            self.file_size = max(self.file_size, op.args[0] + len(op.args[1]))

    def _file_truncated(self, op, ok):
        if ok:
            self.file_size = op.args[0]

    def _opened2(self, op, ok):
        self.m2 = ok
        self.m2_end = self.file_size if ok else 0

    def _closed2(self, op, ok):
        self.m2, self.m2_end = False, 0

    def _exported(self, op, ok):
        if ok:
            self.views += 1

    def _released(self, op, ok):
        if ok:
            self.views -= 1

    MOVES = {"open": _opened, "call": _called, "file_write": _file_written,
             "file_truncate": _file_truncated, "open2": _opened2, "close2": _closed2,
             "export": _exported, "release": _released}

    def _iter_made(self, op, ok):
        if ok:
            self.iters += 1
            self.reversed_its.append(op.args[0])
            self.it_next.append(self.len - 1 if op.args[0] else 0)

    def _iter_dropped(self, op, ok):
        if ok:
            self.iters -= 1
            del self.reversed_its[op.args[0]]
            del self.it_next[op.args[0]]

    def _iter_advanced(self, op, ok):
        """Where iterator k reads next after its next() calls returned (or raised)."""
        k, n = op.args[:2]
        out = self.out
        at = self.it_next[k]
        if at is None or not out or (ok and n > 1 and not isinstance(out[1], list)):
            return
        got = (1 if n == 1 else len(out[1])) if ok else 0
        step = -1 if self.reversed_its[k] else 1
        stopped = (out[1] == "StopIteration" if not ok else n > 1 and got < n)
        # A reversed iterator ends on any exception; the forward one only on StopIteration.
        if stopped or (not ok and step < 0):
            self.it_next[k] = None
        else:
            self.it_next[k] = at + step * got

    MOVES.update(iter_make=_iter_made, iter_drop=_iter_dropped, view_slice=_exported,
                 iter_next=_iter_advanced)

    def _observe(self, expected):
        """The map's state, length, bytes and position as the reference observed them."""
        opened = expected.get("state") == "open" and self.state != "open"
        self.ops_since_open = 0 if opened else self.ops_since_open + 1
        self.state = expected.get("state", self.state)
        length = expected.get("len", self.len) or 0
        self.len = length if isinstance(length, int) else 0
        data = expected.get("data")
        self.exact = isinstance(data, str) and not data.startswith(DIGEST)
        if self.exact:
            self.data = bytes.fromhex(data)
        elif self.len > LARGE_LIMIT:  # a sparse map of gigabytes: its bytes are never held
            self.data = b""
        elif len(self.data) != self.len:  # too big to inline: what was known, to the new size
            self.data = (self.data + bytes(self.len))[:self.len]
        pos = expected.get("pos", 0)
        self.pos = pos if isinstance(pos, int) else 0


def has_tag(args, tag):
    """Whether an Arg of `tag` is among `args`, at any depth of lists, tuples and dicts, or a
    slice's bounds (one loop: every generated op is checked, and generators cost twice this)."""
    todo = [args]
    while todo:
        value = todo.pop()
        if isinstance(value, (list, tuple)):
            todo.extend(value)
        elif isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, slice):
            todo.extend((value.start, value.stop, value.step))
        elif isinstance(value, o.Arg):
            if value.tag == tag:
                return True
            if value.tag == "rebuf":  # a buffer that acts on the map as it is exported
                todo.append(o.decode(value.value[1]))
    return False


def resizes(op):
    return (op.name == "call" and op.args[0] == "resize") or has_tag(op.args, "resizer")


# -- swarm testing -------------------------------------------------------------------------------
class Swarm:
    """The rules and value features one example (or soak sequence) may use. As Hypothesis's
    FeatureFlags: a disabling probability drawn up front (here at most one half, so that an
    example keeps most rules), then one draw per feature; both shrink towards everything
    enabled. `open_map` is never disabled (it is the way in)."""

    def __init__(self, disabled=()):
        self.disabled = frozenset(disabled)
        # (profile, state predicates held) -> (names, running sums of weights) of the rules a
        # step may draw
        self.enabled = {}

    @classmethod
    def draw(cls, src):
        level = src.integer(0, 127)
        if level == 0:  # nothing disabled, and nothing more drawn: a shrunk example stays short
            return EVERYTHING
        return cls(name for name in FEATURES if src.integer(0, 254) < level)

    def __contains__(self, name):
        return name not in self.disabled


EVERYTHING = Swarm()


# -- argument strategies ---------------------------------------------------------------------------
class Values:
    """Every argument a rule needs, drawn from `src` for the map in state `sh`."""

    def __init__(self, src, sh, profile, swarm=EVERYTHING):
        self.src, self.sh, self.profile, self.swarm = src, sh, profile, swarm

    # primitives
    def pick(self, options):
        return options[self.src.integer(0, len(options) - 1)]

    def chance(self, percent):
        return self.src.integer(0, 99) < percent

    def weighted(self, pairs):
        """One of (value, weight) pairs, by integer weight."""
        return draw_weighted(self.src, [value for value, _ in pairs],
                             list(itertools.accumulate(weight for _, weight in pairs)))

    @property
    def specials(self):
        return "specials" in self.swarm

    # positions and sizes
    def edges(self, *centers):
        """The boundary set of the state: 0, 1, pos, len and page multiples up to len (and any
        `centers`), each with its neighbours, in order (the simplest first)."""
        n = self.sh.len
        points = {0, 1, self.sh.pos, n, PAGE, *centers}
        points.update(k * PAGE for k in range(2, n // PAGE + 2))
        return sorted({p + d for p in points for d in (0, -1, 1)})

    def position(self, *centers):
        """An absolute position: an end or one past it, on an edge of the state (may be -1 or
        len+1), or anywhere in [0, len]."""
        choice = self.src.integer(0, 19)
        if choice <= 6:
            n = self.sh.len
            return self.pick([0, n, n + 1, -1, n - 1, 1])
        if choice <= 12:
            return self.pick(self.edges(*centers))
        return self.src.integer(0, self.sh.len)

    def count(self, room):
        """A length for `room` bytes left: its ends, a page either side, or anything near."""
        if self.chance(55):
            return max(self.pick([0, 1, room, room - 1, room + 1, PAGE, PAGE - 1, PAGE + 1,
                                  self.sh.len, self.sh.len + 1, 2 * PAGE + 1]), 0)
        return self.src.integer(0, room + 2)

    def special_index(self, allow_special=True):
        n = self.sh.len
        if not allow_special:
            return self.pick(HUGE)
        choice = self.src.integer(0, 2)
        if choice == 0:
            return o.Index(self.position() - self.pick([0, n]))
        if choice == 1:
            return self.pick(HUGE + (True, o.Float(1.0), o.Text("1"), None))
        return self.reentrant(self.pick([min(1, n), n - 1, -1, 0]))

    def reentrant(self, n):
        """`n` as an argument whose conversion first acts on this very map: closes it, shrinks
        or grows it, seeks it, or writes into it (at a page edge, where a stale bound lands)."""
        sh = self.sh
        kinds = ["close", "seek", "write", "export"]
        if not sh.m2:  # a resize would cut the file under the second map: SIGBUS for any mmap
            kinds += ["shrink", "grow", "shrink"]
        kind = self.pick(kinds)
        if kind == "close":
            return o.Closer(n)
        if kind == "shrink":
            return o.Resizer(self.pick([max(sh.len // 2, 1), PAGE, 1, max(sh.len - PAGE, 1)]), n)
        if kind == "grow":
            return o.Resizer(sh.len + self.pick([PAGE, 1, 2 * PAGE]), n)
        if kind == "seek":
            return o.Seeker(min(max(self.position(), 0), sh.len), n)
        if kind == "export":
            return o.Exporter(n)
        data = self.pick([b"W", b"WXYZ", b"\n\n"])
        at = min(max(self.pick(self.edges()) - 1, 0), max(sh.len - len(data), 0))
        return o.Writer(at, data[:sh.len], n) if sh.len else o.Closer(n)

    def reenter(self, value, percent=8):
        """`value` (an int) now and then as a re-entrant argument of that value (with specials)."""
        if self.specials and type(value) is int and self.chance(percent):
            return self.reentrant(value)
        return value

    def rebuffer(self, data):
        """`data` as a buffer whose __buffer__ acts on the map first (PEP 688: from 3.12)."""
        return o.ReBuffer(data, self.reentrant(0))

    def index(self, allow_special=True):
        """An item index: an end or one past it (from either end), an edge position, any, or
        an odd type."""
        n = self.sh.len
        choice = self.src.integer(0, 19)
        if choice <= 7:
            return self.pick([0, n - 1, n, -1, -n, -n - 1, n + 1, 1])
        if choice <= 11:
            p = self.position()
            return p - n if self.chance(40) else p
        if choice <= 16 or not self.specials:
            return self.src.integer(-n - 2, n + 2)
        return self.special_index(allow_special)

    def bound(self, *centers):
        """A start or end argument (slices, find): None, an edge maybe from the end, any."""
        n = self.sh.len
        choice = self.src.integer(0, 9)
        if choice <= 2:
            return None
        if choice <= 6:
            p = self.position(*centers)
            return self.reenter(p - n if self.chance(30) else p)
        return self.src.integer(-n - 3, n + 3)

    # data
    def data(self, size):
        """`size` bytes: random as often as low-entropy (a run of one byte, two bytes mixed,
        lines with empty lines, a repeating pattern)."""
        kind = self.src.integer(0, 9)
        if kind <= 3 and size <= 8:
            return self.src.binary(size)
        if kind == 4:
            return self.pick(RUNS) * size
        noise = random.Random(self.src.integer(0, 2**32 - 1)).randbytes(size)  # drawn as a seed
        if kind <= 3:
            return noise
        if kind <= 7:  # runs of one byte broken by the other, one in five
            x, y = self.pick(PAIRS)
            return noise.translate(x * 205 + y * 51)
        if kind == 8:  # short lines, many of them empty, some ending in \r\n
            return noise.translate(b"a" * 100 + b"b" * 50 + b"\n" * 90 + b"\r" * 16)
        pattern = self.pick(PATTERNS)
        return (pattern * (size // len(pattern) + 1))[:size]

    def payload(self, size=None):
        """Bytes to write at pos: to its ends, a page and more, as one of several kinds (with
        specials, now and then a buffer that acts on the map as it is exported)."""
        if size is None:
            size = self.count(max(self.sh.len - self.sh.pos, 0))
        kind = self.src.integer(0, 19) if self.specials else self.pick([5, 0, 1, 2, 5, 5])
        if kind == 19 and has_clause(self.profile, "dunder-buffer"):
            return self.rebuffer(self.data(size))
        return payload_arg(kind, self.data(size), self.sh.len, self.profile)

    def needle(self):
        """(needle, where it sits in the map or None, where a search should start to meet it
        in context): often the
        map's own bytes at an edge, across a page boundary, at a run's end (a run's tail and
        the byte after it: where a search that skips a partial match goes wrong), or a
        needle that overlaps its own occurrences."""
        n = self.sh.len
        choice = self.weighted([("empty", 1), ("random", 1), ("edge", 3), ("run-end", 4),
                                ("overlap", 2), ("tail", 1), ("pattern", 1), ("odd", 1)])
        data = self.sh.bytes() if choice in ("edge", "run-end", "overlap", "tail") else b""
        if choice == "empty":
            return b"", None, None
        if choice == "pattern" or (not data and choice != "odd"):
            return self.pick(PATTERNS)[:self.pick([1, 2, 3, 4])], None, None
        if choice == "random":
            return self.src.binary(self.src.integer(0, 3)), None, None
        if choice == "odd":
            if not self.specials:
                return self.src.binary(1), None, None
            return self.pick([o.Text("a"), 1, o.SelfView(0, 1) if n else b"z"]), None, None
        k = self.pick([2, 3, 4, 8, PAGE + 1 if n > PAGE else 5])
        across = PAGE * self.src.integer(1, max(n // PAGE, 1)) - k // 2  # a page boundary
        at = min(max(self.pick([across, self.position(), n - k, across, 0]), 0), max(n - 1, 0))
        if choice == "edge":
            return data[at:at + k], at, at
        if choice == "run-end":
            # The end of a run of three or more nearest after `at` (else of any run): the
            # needle is the run's tail and the byte after, a search starts in the run.
            change = run_end(data, at)
            if change is not None:
                run = change
                while run > 0 and data[run - 1] == data[change]:
                    run -= 1
                at = max(change + 2 - self.pick([3, 2, 4, 5, k]), run)
                return data[at:change + 2], at, self.pick([run, at - 1, run + 1])
            return data[at:at + k], at, at
        if choice == "overlap":
            unit = data[at:at + self.pick([1, 2])]
            return (unit * k)[:max(k, 2)], at, at
        return data[max(n - k, 0):], max(n - k, 0), max(n - k, 0)

    def slice_(self):
        step = self.pick([None, None, 1, 2, 3, -1, -2, 0, PAGE - 1, PAGE])
        return slice(self.bound(), self.bound(), step)

    def slice_size(self, key):
        """How many bytes `key` selects now (a re-entrant bound counts as the int it gives)."""
        start, stop, step = (o.stands_for(x) for x in (key.start, key.stop, key.step))
        return len(range(*slice(start, stop, step).indices(self.sh.len))) if step != 0 else 0

    def map_size(self):
        """A map or file size: one to a few pages and one byte either side, or small."""
        if self.chance(50):
            return self.pick([PAGE, PAGE - 1, PAGE + 1, 2 * PAGE, 2 * PAGE - 1, 2 * PAGE + 1,
                              3 * PAGE + 1])
        return self.pick([1, 2, 10, 26, 100, self.src.integer(3, 64), self.src.integer(3, 64)])


# -- the rules ------------------------------------------------------------------------------------
# name -> (weight, precondition, rule): a rule yields its ops one at a time, and the driver
# moves the shadow on between them, so a later op sees where an earlier one left the map.
RULES = {}


def _live(sh):
    return sh.live


def rule(weight, when=_live, clause=None):
    """Register a rule: its weight, when the state allows it and, for a method that not every
    version has, the catalogue clause of that method: its `versions` say which profiles have it."""
    def register(fn):
        RULES[fn.__name__] = (weight, when, fn)
        if clause is not None:
            NEEDS[fn.__name__] = clause
        return fn
    return register


NEEDS = {}  # rule name -> the catalogue clause whose versions are the profiles with its method


def _settled(sh):  # closing ends a scenario: only after a few ops on the open map
    return sh.live and (sh.state == "closed" or sh.ops_since_open >= 4)


def _no_m2(sh):
    return sh.live and not sh.m2


def _file(sh):
    return sh.live and not sh.anon


@rule(12, lambda sh: sh.state != "open")
def open_map(v):
    yield open_anonymous(v) if v.src.integer(0, 3) == 0 else open_file(v)


def open_anonymous(v):
    length = v.map_size() if v.chance(80) else v.pick([0, -1])
    kwargs = {}
    choice = v.src.integer(0, 5)
    if choice == 1:
        kwargs["flags"] = o.Const("MAP_PRIVATE")
    elif choice == 2:
        kwargs["access"] = o.Const(v.pick(["ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"]))
    return o.Open(None, length, **kwargs)


def open_file(v):
    """A file map: often at an offset or shorter than its file (the file around the map)."""
    offset = v.weighted([(0, 5), (PAGE, 4), (2 * PAGE, 1), (1, 1), (-PAGE, 1)])
    size = v.map_size() if v.chance(95) else 0
    if offset > 0 and v.chance(85):  # mostly a file that reaches past the offset
        size += offset
    content = v.data(size)
    mode = v.pick(["r+"] * 12 + ["r", "w"])
    room = max(size - max(offset, 0), 0)
    # Often shorter than the room: one byte less, a page either side, anywhere; or one past.
    lengths = [0, 0, room, room - 1, 1, v.src.integer(1, max(room, 1)), PAGE - 1, PAGE, PAGE + 1]
    length = v.pick([n for n in lengths if 0 <= n <= room] + [room + 1, -1])
    kind = v.pick([0, 1, 2, 3, 4, 5, 8, 9, 0, 1, 3, 4, 5, 9, 6, 7])  # 6 and 7 must raise
    kwargs = file_map_kwargs(offset, kind, v.pick([4, -1]))
    return o.Open(content, length, mode=mode, **kwargs)


def file_map_kwargs(offset, kind, invalid_access):
    """Constructor keywords for a file map: the offset, then one of ten kinds (access modes,
    flags, prot, an invalid access, both access and flags, trackfd)."""
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


@rule(6)
def read(v):
    choice = v.src.integer(0, 6)
    if choice <= 3:
        yield o.Call("read", v.reenter(v.count(max(v.sh.len - v.sh.pos, 0))))
    elif choice == 6 and v.specials:
        yield o.Call("read", v.special_index())
    else:
        yield o.Call("read", *v.pick([(), (None,), (-1,), ()]))


@rule(4)
def no_argument(v):
    yield o.Call(v.pick(["read_byte", "readline", "tell", "size", "seekable"]))


@rule(5)
def write(v):
    yield o.Call("write", v.payload())


@rule(2)
def write_then_flush(v):
    """A write followed by flush(): where copy and private maps must keep the file intact."""
    yield o.Call("write", v.payload())
    yield o.Call("flush")


@rule(3)
def write_byte(v):
    yield o.Call("write_byte", byte(v, [b"a", o.Index(65), o.Float(1.0), REENTRANT_BYTE]))


REENTRANT_BYTE = object()  # in a list of odd byte values: one that acts on the map as it converts


def byte(v, odd):
    """A byte value: any, its edges and one past them, or (with specials) an odd type, or
    one whose __index__ acts on the map first."""
    choice = v.src.integer(0, 9)
    if choice <= 4:
        return v.src.integer(0, 255)
    if choice <= 7 or not v.specials:
        return v.pick([0, 255, 256, -1])
    value = v.pick(odd)
    return v.reentrant(v.pick([65, 0, 255])) if value is REENTRANT_BYTE else value


@rule(4)
def seek(v):
    """seek(): to an edge through every whence (the argument is what lands there), or odd."""
    sh = v.sh
    whence = v.pick([None, 0, 1, 2, 3, -1])
    if v.specials and v.chance(15):
        pos = v.special_index()
    elif v.chance(75):
        base = {1: sh.pos, 2: sh.len}.get(whence, 0)
        # The end and one past it often, through whichever whence: where an off-by-one lands.
        target = v.pick([sh.len, sh.len + 1]) if v.chance(30) else v.position()
        pos = target - base
    else:
        pos = v.src.integer(-sh.len - 2, sh.len + 2)
    yield o.Call("seek", pos) if whence is None else o.Call("seek", pos, v.reenter(whence))


@rule(4)
def positioned(v):
    """An op that starts at the position, after a seek to an edge (a read to the end, a write
    one past it, a readline on the last line...)."""
    yield o.Call("seek", max(v.position(), 0) if v.chance(85) else v.src.integer(0, v.sh.len))
    follow = [read, no_argument, write, write_byte, find, inspect]
    if not v.sh.m2:
        follow.append(shrink_below_pos)
    yield from v.pick(follow)(v)


def shrink_below_pos(v):
    """A resize around the position, which must leave tell() alone."""
    yield o.Call("resize", max(v.sh.pos + v.pick([-1, 0, 1]), 1))
    yield v.pick([o.Call("tell"), o.Call("read"), o.Call("read_byte")])


@rule(3)
def readline(v):
    """readline() on line structure: from a newline, just after it, just before it (empty
    lines, a last line without one), once or twice."""
    data = v.sh.data
    ends = [m.start() for m in LINE_ENDS.finditer(data, 0, 4 * PAGE)]
    if ends and v.chance(70):
        at = v.pick(ends) + v.pick([1, 0, -1])
        yield o.Call("seek", min(max(at, 0), v.sh.len))
    yield o.Call("readline")
    if v.chance(40):
        yield o.Call("readline")


@rule(5)
def getitem(v):
    yield o.GetItem(v.slice_() if v.chance(50) else v.index())


@rule(5)
def setitem(v):
    if v.chance(50):
        key = v.slice_()
        size = v.slice_size(key)
        if v.chance(25):  # the wrong size, which must raise
            size += v.pick([-1, 1])
        yield o.SetItem(key, v.payload(max(size, 0)))
    else:
        yield o.SetItem(v.index(), byte(v, [b"A", o.Index(66), True, o.Float(2.0), REENTRANT_BYTE,
                                            REENTRANT_BYTE]))


def _open_no_m2(sh):  # a resize would cut the file under the second map: SIGBUS for any mmap
    return sh.state == "open" and not sh.m2


@rule(3, _open_no_m2)
def reentrant_value(v):
    """A value whose conversion acts on the map, on purpose: m[i] = v for an i near the end
    while v shrinks the map below it (python/cpython#157335), closes or grows it; write_byte's
    value; and from 3.12 the data of m[i:j] = data, write() and find() as a buffer that does
    so as it is exported."""
    n = v.sh.len
    i = v.pick([-1, n - 1, n - 2, -1, max(n - PAGE, 0), -PAGE if n >= PAGE else -1])
    # Below i's page (where CPython < 3.13.18 faults), or within it (where it writes unseen).
    shrink = o.Resizer(v.pick([1, PAGE, max(n - PAGE, 1), max(n // 2, 1)]), v.pick([65, 0, 255]))
    value = shrink if v.chance(60) else v.reentrant(v.pick([65, 0, 255]))
    buffers = has_clause(v.profile, "dunder-buffer")
    kind = v.pick(["item", "item", "write_byte"] + ["slice", "write", "find"] * buffers)
    if kind == "item":
        yield o.SetItem(i, value)
    elif kind == "write_byte":
        yield o.Call("write_byte", value)
    elif kind == "slice":
        start = i + n if i < 0 else i
        yield o.SetItem(slice(i, start + 1 if i >= 0 else None), o.ReBuffer(b"A", shrink))
    elif kind == "write":
        yield o.Call("write", o.ReBuffer(v.data(v.pick([1, 2, PAGE + 1])), v.reentrant(0)))
    else:
        yield o.Call(v.pick(["find", "rfind"]), o.ReBuffer(v.sh.data[-2:] or b"a", v.reentrant(0)))


@rule(1)
def delitem(v):
    yield o.DelItem(v.index(allow_special=False))


@rule(12)
def find(v):
    """find/rfind: needles from the map itself, bounds landing on and beside the occurrence;
    now and then on self-similar bytes written first."""
    if v.sh.len >= 8 and v.chance(20):
        yield from planted_find(v)
        return
    needle, at, start = v.needle()
    k = len(needle) if type(needle) is bytes else 1
    if (type(needle) is bytes and needle and v.specials and v.chance(6)
            and has_clause(v.profile, "dunder-buffer")):
        needle = v.rebuffer(needle)
    args = [needle]
    if at is not None:  # the occurrence's ends, and one either side
        args += [v.pick([start, at, at - 1, start - 1, at + 1, 0, start, v.bound()]),
                 v.pick([at + k, v.sh.len, at + k - 1, at + k + 1, v.bound()])]
        args = args[:v.pick([3, 2, 3, 1 if v.sh.pos <= at else 3])]
    else:
        for _ in range(v.pick([0, 1, 2, 2])):
            args.append(v.bound() if not v.specials or v.chance(85) else v.special_index())
    yield o.Call(v.pick(["find", "rfind"]), *args)


def planted_find(v):
    """A self-similar run written at an edge (one byte or a two-byte period, repeated, then a
    byte that breaks it), then searched from its start for a shorter tail of the run plus the
    breaking byte: the needle's prefix matches partially where the run begins, which is where
    a search that skips the bytes a partial match consumed goes wrong."""
    x, y = v.pick(PAIRS)
    unit = x if v.chance(60) else x + y
    body = unit * v.pick([3, 4, 2, 5, 9])
    planted = body + v.pick([b"z", b"\x00" if x != b"\x00" else b"\x01"])
    n = v.sh.len
    room = n - len(planted)
    at = min(max(v.pick([0, room, PAGE - len(planted) // 2, v.src.integer(0, room)]), 0), room)
    yield o.Call("seek", at)
    yield o.Call("write", planted)
    k = v.src.integer(len(unit), len(body) - 1)
    needle = body[len(body) - k:] + planted[-1:]
    yield o.Call(v.pick(["find", "rfind"]), needle, v.pick([at, 0, max(at - 1, 0)]))


def _spans_pages(sh):
    return sh.state == "open" and sh.len > PAGE + 1


@rule(5, _spans_pages)
def across_pages(v):
    """Bytes, ranges and needles across a page boundary, on purpose at every seed: a write,
    slice assignment, read or move longer than a page of data unlike page to page (where a copy
    done a page at a time from the wrong place shows), or a search whose first match straddles
    the boundary (its needle unique: high-entropy bytes planted there first)."""
    n = v.sh.len
    boundary = PAGE * v.src.integer(1, (n - 1) // PAGE)
    kind = v.pick(["write", "setslice", "find", "move", "read", "rfind", "write", "move"])
    noise = random.Random(v.src.integer(0, 2**32 - 1)).randbytes
    if kind in ("find", "rfind"):
        k = v.pick([2, 8, 3, 16])
        lead = v.src.integer(1, k - 1)  # needle bytes before the boundary
        planted = noise(k + 8)
        at = boundary - lead - 4
        yield o.Call("seek", at)
        yield o.Call("write", planted)
        needle = planted[4:4 + k]
        if kind == "find":
            yield o.Call("find", needle, v.pick([0, max(boundary - PAGE // 2, 0), at, at + 4]))
        else:
            yield o.Call("rfind", needle, 0, v.pick([n, boundary + PAGE // 2, at + k + 4]))
        return
    start = max(boundary - v.pick([1, 7, PAGE // 2, PAGE - 1, 0]), 0)
    size = min(n - start, v.pick([PAGE + 1, 2 * PAGE, PAGE + 13, n - start]))
    if kind == "write":
        yield o.Call("seek", start)
        yield o.Call("write", noise(size))
    elif kind == "setslice":
        yield o.SetItem(slice(start, start + size), noise(size))
    elif kind == "read":
        yield o.SetItem(slice(start, start + size), noise(size))
        yield o.Call("seek", start)
        yield o.Call("read", size)
    else:  # move more than a page of unlike bytes, overlapping or not
        room = n - PAGE - 1  # >= 1: the most either end may start at, for a count past a page
        src = min(v.pick([0, 1, 8, PAGE // 2]), room)
        dest = min(v.pick([src + 1, 0, src + PAGE + 1, max(src - 3, 0)]), room)
        count = min(v.pick([PAGE + 1, PAGE + 9, 2 * PAGE]), n - max(src, dest))
        yield o.SetItem(slice(src, src + count), noise(count))
        yield o.Call("move", dest, src, count)


@rule(3)
def move(v):
    n = v.sh.len
    count = v.count(n) if v.chance(70) else v.src.integer(0, n + 1)
    room = max(n - count, 0)

    def place():
        return v.pick([0, 1, room, room + 1, room - 1, -1, PAGE, v.src.integer(0, room + 1)])

    yield o.Call("move", v.reenter(place()), v.reenter(place()), v.reenter(count))


@rule(3, _no_m2)
def resize(v):
    n, pos = v.sh.len, v.sh.pos
    yield o.Call("resize", v.reenter(v.pick([0, 1, max(n - 1, 0), n, n + 1, PAGE, PAGE - 1,
                                             PAGE + 1, 2 * PAGE, -1, max(pos - 1, 1), pos,
                                             PAGE + 7, -1])))


@rule(3)
def flush(v):
    """flush(): whole, or a page-aligned offset with a size landing on the end and beside it."""
    n = v.sh.len
    if v.chance(30):
        yield o.Call("flush", *v.pick([(), (0,), (PAGE,), (-1, 1), (1, 1), (0, 0)]))
        return
    page = PAGE * v.src.integer(1, max(n // PAGE, 1))  # a page boundary within the map
    offset = v.pick([0, page, page, n, 1])
    size = v.pick([n - offset, n - offset + 1, n - offset, n - offset - 1, 1, 0, PAGE])
    yield o.Call("flush", v.reenter(offset), v.reenter(size))


@rule(1)
def madvise(v):
    n = v.sh.len
    start = v.pick([0, PAGE, n, n - 1, -1, 2 * PAGE])
    extra = v.pick([(), (start,), (start, n - start), (start, n - start + 1), (start, 1),
                    (0, -1), (0, 2**62)])
    yield o.Call("madvise", v.reenter(v.pick([0, 1, 2, 3, 999])), *(v.reenter(x) for x in extra))


@rule(1, clause="set_name")
def set_name(v):
    """Names around the 66-byte limit (in UTF-8 bytes), empty, with a NUL, not a str."""
    name = v.pick(["x", "a" * 66, "a" * 67, "\xe9" * 33, "\xe9" * 34, "", "a\0b"])
    yield o.Call("set_name", o.Text(name) if v.chance(90) else v.pick([None, 5, name.encode()]))


@rule(4)
def inspect(v):
    choices = [o.Len(), o.Bool(), o.Repr(), o.Closed(), o.Enter(), o.Bytes(), contains(v),
               contains(v)]
    if v.sh.len <= 300:  # every byte a JSON value on both sides: costly past a few hundred
        choices += [o.List(), o.Reversed()] * 2
    yield v.pick(choices)


def contains(v):
    near = v.sh.data[v.sh.pos:v.sh.pos + 2] or b"01"  # a 2-byte run the map really holds
    return o.Contains(v.pick([b"0", b"x", 48, o.Text("0"), near, near]))


@rule(2)
def buffer(v):
    sh = v.sh
    if sh.views and v.chance(50):
        yield o.Release(v.src.integer(0, sh.views - 1))
    elif sh.views and sh.len and v.chance(50):
        yield o.ViewSet(0, min(max(v.position(), 0), sh.len - 1), v.src.integer(0, 255))
    else:
        yield o.Export()


@rule(2, _settled)
def close(v):
    """close(), often followed by what must now raise (or not: closed, repr, a second close)."""
    yield o.Call("close")
    if v.chance(70):
        yield from v.pick([inspect, no_argument, read, getitem, write, after_close,
                           after_close])(v)


def after_close(v):
    """What a closed map must refuse (or answer: closed, repr): the three protocol ops every
    map has (bool, len, with), in a drawn order, then one more."""
    probes = [o.Bool(), o.Len(), o.Enter()]
    while probes:
        yield probes.pop(v.src.integer(0, len(probes) - 1))
    yield v.pick([o.Bytes(), o.Closed(), o.Repr(), o.Contains(b"0")])


@rule(1, _settled)
def exit_context(v):
    yield o.Exit(*v.pick([(None, None, None), ()]))


# -- the world around the map ----------------------------------------------------------------------
def outside(v):
    """A file offset around the mapped window: its ends, the file's end, a page either side."""
    sh = v.sh
    lo, hi = sh.offset, sh.offset + sh.len
    return max(v.pick([hi, lo - 1, sh.file_size - 1, sh.file_size, hi + 1, 0, lo, hi - 1,
                       PAGE - 1, PAGE, v.src.integer(0, sh.file_size + 2)]), 0)


def chunk(v):
    return v.data(v.pick([1, 2, 4, 3, PAGE + 1]))


@rule(2, _file)
def file_write(v):
    yield o.FileWrite(outside(v), chunk(v))


@rule(1, _file)
def file_truncate(v):
    # Never below what a map covers: touching a page past EOF is SIGBUS for any real mmap,
    # the in-process reference included.
    yield o.FileTruncate(max(v.sh.offset + v.sh.len, v.sh.m2_end) + v.pick([0, 1, PAGE]))


@rule(2, _file)
def second_map(v):
    sh = v.sh
    if not sh.m2:
        access = v.pick([None, "ACCESS_READ", "ACCESS_COPY", "ACCESS_WRITE"])
        yield o.Open2(0, **({} if access is None else {"access": o.Const(access)}))
    elif v.src.integer(0, 3) == 0:
        yield o.Close2()
    elif v.chance(50):
        yield o.Get2()
    else:
        data = chunk(v)[:8]
        yield o.Set2(min(outside(v), max(sh.m2_end - len(data), 0)), data)


@rule(2, _file)
def outside_then_sync(v):
    """The file changed outside the map's window (through the descriptor or the second map),
    then flush() or close(): the whole file must be what the reference's is."""
    sh = v.sh
    if sh.m2 and v.chance(50):
        data = chunk(v)[:8]
        yield o.Set2(min(outside(v), max(sh.m2_end - len(data), 0)), data)
    else:
        yield o.FileWrite(outside(v), chunk(v))
    if v.chance(50):
        yield o.Call("write", v.payload())
    yield v.pick([o.Call("flush"), o.Call("close"), o.Call("flush", 0, v.sh.len), o.Exit()])


# -- iterators and views held across ops -----------------------------------------------------------
def advance(v, at=None, reverse=False):
    """How many next() calls: one (the commonest), a few, or past the end (of a small map, or
    from `at`, the index the iterator reads next, when that is near it)."""
    n = v.sh.len
    rest = n + 1 if at is None else (at + 2 if reverse else n - at + 1)
    through = max(rest, 1) if rest <= 300 else 4  # each item is a JSON value on both sides
    return v.pick([1, 1, 1, 2, 3, through, through])


def disturb(v, at=None):
    """An op that changes the map under something held (an iterator, a view): a write where
    the holder reads next (`at`, the start, the end, the position), a slice assignment, a move,
    a seek, a resize either way (to just below or past `at`), a close; the bytes written always
    differ from the map's."""
    sh = v.sh
    n = sh.len
    if at is not None and n and v.chance(60):
        yield from _disturb_at(v, at)
        return
    choice = v.weighted([("setslice", 4), ("setitem", 2), ("write", 2), ("move", 1), ("seek", 1),
                         ("resize", 3 if not sh.m2 else 0), ("close", 1)])
    if choice in ("setslice", "write") and n:
        at = min(max(v.pick([0, 0, n - 1, sh.pos, v.src.integer(0, n - 1), n - 2]), 0), n - 1)
        size = min(v.pick([1, 1, 2, 3, 4]), n - at)
        new = bytes(b ^ v.pick([0x5A, 0xFF, 1]) for b in sh.data[at:at + size].ljust(size, b"\0"))
        if choice == "write":
            yield o.Call("seek", at)
            yield o.Call("write", new)
        else:
            yield o.SetItem(slice(at, at + size), new)
    elif choice == "setitem" and n:
        at = v.pick([0, n - 1, -1, sh.pos, v.src.integer(0, n - 1)])
        old = sh.data[at] if -n <= at < n and len(sh.data) == n else 0
        yield o.SetItem(at, old ^ v.pick([0x5A, 0xFF, 1]))
    elif choice == "move" and n > 1:
        count = v.pick([1, 2, n // 2, n - 1])
        yield o.Call("move", *v.pick([(0, n - count, count), (n - count, 0, count),
                                      (0, 1, min(count, n - 1))]))
    elif choice == "resize":
        yield o.Call("resize", max(v.pick([1, n - 1, n // 2, n + 1, n + 3, PAGE, 2 * PAGE, 0,
                                           max(sh.pos - 1, 1)]), 0))
    elif choice == "close":
        yield o.Call("close")
        if v.chance(60):  # what must raise now (or not), as after the close rule's close
            yield from v.pick([context, inspect, no_argument, getitem, context])(v)
    else:
        yield o.Call("seek", v.pick([0, n, max(n - 1, 0)]))


def _disturb_at(v, at):
    """A change where an iterator reads next (index `at`): its byte rewritten, or the map
    resized to end just before it, at it, or past it."""
    sh = v.sh
    n = sh.len
    if sh.m2 or v.chance(35):
        at = min(max(at, 0), n - 1)
        yield o.SetItem(slice(at, at + 1), bytes([(sh.data[at:at + 1] or b"\0")[0] ^ 0x5A]))
    else:
        yield o.Call("resize", max(v.pick([at, at + 1, at - 1, n + 1, n + PAGE, 1]), 1))


def context(v):
    """The map as a context manager: entered (a closed map raises), or exited."""
    yield v.pick([o.Enter(), o.Enter(), o.Exit(None, None, None)])


@rule(4)
def live_iterator(v):
    """An iterator held across ops (iter.live, reversed.live): made, maybe advanced, the map
    changed under it, then advanced again; now and then dropped, or one made on a closed map."""
    sh = v.sh
    if not sh.iters or (sh.iters < 4 and v.chance(25)):
        yield o.IterMake(v.chance(40))
        if not sh.iters:  # reversed() of a closed map raises: nothing is held
            return
    k = v.pick([sh.iters - 1, sh.iters - 1, v.src.integer(0, sh.iters - 1)])
    reverse = sh.reversed_its[k]
    if v.chance(65):
        yield o.IterNext(k, advance(v, sh.it_next[k], reverse), reverse)
    for _ in range(v.pick([1, 1, 2])):
        yield from disturb(v, sh.it_next[k])
    yield o.IterNext(k, advance(v, sh.it_next[k], reverse), reverse)
    if v.chance(45):
        yield o.IterNext(k, advance(v, sh.it_next[k], reverse), reverse)
    if v.chance(15):
        yield o.IterDrop(v.src.integer(0, sh.iters - 1))


def view_key(v):
    """An index into a view (of the whole map, mostly), or a slice of one."""
    n = v.sh.len
    if v.chance(50):
        return v.pick([0, n - 1, -1, 1, n, v.src.integer(0, max(n - 1, 0))])
    return view_slice(v)


def view_slice(v):
    """A slice of a view: its ends, a few bytes, to the end, stepped or backwards."""
    n = v.sh.len
    a = v.pick([0, 0, 1, n - 1, v.src.integer(0, n)])
    b = v.pick([n, a + 1, a + 4, None, v.src.integer(a, n + 1)])
    return slice(a, b, v.pick([None, None, None, 2, -1]))


@rule(2)
def live_view(v):
    """A view held across ops (buffer.view-live): read back after the map changed (through the
    map or another view), sliced into a view of a view (buffer.view-slice); a resize or close
    attempted while views are held, or after all of them are released."""
    sh = v.sh
    if not sh.views or (sh.views < 4 and v.chance(20)):
        yield o.Export()
        if not sh.views:  # a closed map, or no buffer (2.7)
            return
    k = v.src.integer(0, sh.views - 1)
    if v.chance(35):
        yield o.ViewSlice(k, view_slice(v) if v.chance(30) else slice(
            v.pick([0, 1, sh.len // 2]), v.pick([None, sh.len - 1, sh.len // 2 + 2])))
        k = sh.views - 1
    if v.chance(30) and sh.len:
        yield o.ViewSet(k, v.pick([0, -1, sh.len // 2]), v.src.integer(0, 255))
    else:
        yield from disturb(v)
    if v.chance(20) and sh.views:  # release one: the others (slices too) still hold the map
        yield o.Release(v.src.integer(0, sh.views - 1))
        if v.chance(50):
            yield from disturb(v)
    if sh.views and sh.state == "open":
        yield o.ViewGet(min(k, sh.views - 1), view_key(v))
    if v.chance(15):  # every view released: the map is free to change size or close again
        for _ in range(sh.views):
            yield o.Release(sh.views - 1)
        yield from disturb(v)


# Value features a swarm may turn off for a whole example, beside the rules.
FEATURES = tuple(name for name in RULES if name != "open_map") + ("specials",)


@functools.cache
def _rules_for(profile):
    """(name, weight, when) of the rules whose method `profile` has."""
    return tuple((name, weight, when) for name, (weight, when, _) in RULES.items()
                 if name not in NEEDS or has_clause(profile, NEEDS[name]))


@functools.cache
def _catalogue():
    return clauses.load()


@functools.cache
def has_clause(profile, clause):
    """Whether the catalogue clause `clause` holds at `profile` (what that CPython has)."""
    return clauses.holds(_catalogue()[clause], profile)


@functools.cache
def _predicates(profile):
    """The distinct state predicates of the rules `profile` has, in a fixed order."""
    return tuple(dict.fromkeys(when for _, _, when in _rules_for(profile)))


def next_ops(sh, src, profile, swarm=EVERYTHING):
    """The ops of one rule for the map in state `sh`, drawn from `src`: a generator that the
    driver advances after moving `sh` on past each op."""
    return next_rule(sh, src, profile, swarm)[1]


def next_rule(sh, src, profile, swarm=EVERYTHING):
    """(name, ops) of one rule drawn as next_ops() draws it."""
    whens = _predicates(profile)
    holds = tuple(when(sh) for when in whens)  # each distinct state predicate asked once
    enabled = swarm.enabled.get((profile, holds))
    if enabled is None:  # once per swarm, profile and state kind
        held = dict(zip(whens, holds))
        allowed = [(name, weight) for name, weight, when in _rules_for(profile) if held[when]]
        allowed = [(name, weight) for name, weight in allowed if name in swarm] or allowed
        # Values.weighted's draw, with the running sums made once.
        enabled = swarm.enabled[(profile, holds)] = (
            [name for name, _ in allowed], list(itertools.accumulate(w for _, w in allowed)))
    name = draw_weighted(src, *enabled)
    return name, RULES[name][2](Values(src, sh, profile, swarm))


def draw_weighted(src, values, sums):
    """One of `values`, each as likely as its weight (`sums`: the weights' running sums)."""
    return values[bisect.bisect_right(sums, src.integer(0, sums[-1] - 1))]


def payload_arg(kind, data, length, profile):
    """`data` passed as one of several bytes-like kinds (or text, which must be refused) for
    kind 0-4; plain bytes for the rest."""
    if kind == 0:
        return o.ByteArray(data)
    if kind == 1:
        return o.MemView(data)
    if kind == 2 and profile != "2.7":  # 2.7 has no strided memoryview
        return o.NonContiguous(data)
    if kind == 3:
        return o.Text(data.decode("latin-1"))
    if kind == 4 and length:
        return o.SelfView(0, min(len(data), length))
    return data


def features_of(op):
    """What kind of scenario an Open that succeeded starts (for the run's feature counts)."""
    setup, args, kwargs = op.args
    found = ["anonymous" if setup is None else "file", _access_feature(kwargs)]
    if setup is not None:
        offset = kwargs.get("offset", 0)
        if isinstance(offset, int) and offset > 0:
            found.append("offset")
        room = len(setup["data"]) // 2 - max(offset if isinstance(offset, int) else 0, 0)
        if isinstance(args[1], int) and 0 < args[1] < room:
            found.append("length shorter than the file")
    return found


def _access_feature(kwargs):
    access = kwargs.get("access")
    if isinstance(access, o.Arg):
        return access.value
    if "flags" in kwargs or "prot" in kwargs:
        return "flags/prot"
    return "ACCESS_DEFAULT" if access is None else "invalid access"
