# SPDX-License-Identifier: MIT
"""What every mutant builds on: `Faithful` (the stdlib's behaviour restored behind a Python
subclass), the registries and the helpers the mutants share."""

import errno
import mmap
import operator
import os
import re
import sys

CLOSED = "mmap closed or invalid"
_SHARED_ANON_GROW = "mmap: can't expand a shared anonymous mapping on Linux"


def _plain(*values):
    """True when every value is a genuine int: mutants only meddle with those, so an argument
    whose __index__ closes or resizes the map still reaches the stdlib code unchanged."""
    return all(type(v) is int for v in values)


def _arg(args, kwargs, position, name, default):
    """A constructor argument given by position (after fileno, length) or keyword."""
    if len(args) > position:
        return args[position]
    return kwargs.get(name, default)


class _Items:
    """The map seen through the C `sq_item` slot: 1-byte bytes, IndexError past the end.

    A Python subclass of mmap.mmap loses this path (its slot wrappers go through `mp_subscript`,
    which returns ints), so Faithful routes iteration, reversed() and `in` through here.
    """

    __slots__ = ("m",)

    def __init__(self, m):
        self.m = m

    def __len__(self):
        return mmap.mmap.__len__(self.m)

    def __getitem__(self, i):
        n = mmap.mmap.__len__(self.m)  # CHECK_VALID first, as mmap_item does
        if i < 0 or i >= n:
            raise IndexError("mmap index out of range")
        return mmap.mmap.__getitem__(self.m, slice(i, i + 1))


class Faithful(mmap.mmap):
    """No bug: the stdlib's behaviour restored where a Python subclass would otherwise differ."""

    __slots__ = ("_shared_anon", "_created_pages")

    def __new__(cls, fileno, length, *args, **kwargs):
        self = super().__new__(cls, fileno, length, *args, **kwargs)
        flags = _arg(args, kwargs, 0, "flags", mmap.MAP_SHARED)
        access = _arg(args, kwargs, 2, "access", 0)
        self._shared_anon = (fileno == -1 and flags == mmap.MAP_SHARED
                             and access != mmap.ACCESS_COPY)
        self._created_pages = -(-len(self) // mmap.PAGESIZE)
        return self

    # catalogue 1.F: the generic sequence iterator over sq_item, yielding 1-byte bytes.
    def __iter__(self):
        return iter(_Items(self))

    def __reversed__(self):
        return reversed(_Items(self))

    def __contains__(self, value):
        # PySequence_Contains: compare each 1-byte item, no substring search.
        for item in _Items(self):
            if item is value or item == value:
                return True
        return False

    def __setitem__(self, key, value):
        # gh-157335: CPython < 3.13.18 checks an item's index before converting its value, so a
        # value whose __index__ shrinks the map makes it write past the new end (SIGSEGV).
        # Faithful does what the reference does there: the index checked again after, a byte
        # in the tail of the new last page written nowhere visible, IndexError beyond it.
        if type(key) is not int or type(value) is int or not hasattr(type(value), "__index__"):
            return super().__setitem__(key, value)
        n = len(self)  # "closed" first
        if _access(self) == "ACCESS_READ":
            return super().__setitem__(key, value)  # refused before anything converts
        i = key + n if key < 0 else key
        if not 0 <= i < n:
            raise IndexError("mmap index out of range")
        v = operator.index(value)  # may close or resize this map
        n = len(self)  # ValueError if it closed
        if i >= n:
            if n and i < -(-n // mmap.PAGESIZE) * mmap.PAGESIZE and 0 <= v <= 255:
                _poke(self, i, v)  # the tail of the last page: past what the map shows
                return None
            raise IndexError("mmap index out of range")
        return super().__setitem__(i, v)

    def resize(self, newsize, /):  # positional-only, as the C method's (resize.kw)
        if not _plain(newsize) and hasattr(type(newsize), "__index__"):
            return super().resize(_ResizeChecked(self, newsize))
        if _plain(newsize):
            _refuse_as_the_reference(self, newsize)
        return super().resize(newsize)


def _refuse_as_the_reference(m, n):
    """Two resizes CPython <= 3.13.7 lets through and then dies of (SIGBUS, catalogue 140 and
    142) fail cleanly in the reference, so Faithful fails them the same way: growing a shared
    anonymous map past the pages it was created with (gh-138204's ValueError; within them it
    works) and resize(0), which mremap() refuses with EINVAL (the reference checks it before
    truncating the file)."""
    grows_past_pages = m._shared_anon and -(-n // mmap.PAGESIZE) > m._created_pages
    if n == 0 or grows_past_pages:
        _resize_checks(m)
        if n == 0:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        raise ValueError(_SHARED_ANON_GROW)


class _ResizeChecked:
    """A resize argument converted where CPython converts it, then held to Faithful's checks
    (its argument may have resized the map first)."""

    def __init__(self, m, newsize):
        self.m, self.newsize = m, newsize

    def __index__(self):
        n = operator.index(self.newsize)
        if not self.m.closed:
            _refuse_as_the_reference(self.m, n)
        return n


def _poke(m, i, v):
    """Write byte v at m's address + i, as CPython's stale index does (within the last page, so
    mapped: a private page is copied then, which later writes to the file show)."""
    import ctypes

    view = memoryview(m)
    try:
        array = (ctypes.c_char * len(view)).from_buffer(view)
        address = ctypes.addressof(array)
        del array
    finally:
        view.release()
    ctypes.memset(address + i, v, 1)


def _resize_checks(m):
    """Every check resize() makes before its size check (closed, exports, access), with no side
    effect: a negative size fails them, else fails the size check, which is then ignored."""
    try:
        mmap.mmap.resize(m, -1)
    except ValueError as exc:
        if str(exc) != "new size out of range":
            raise


faithful = Faithful
MUTANTS = {}
# Mutants the lockstep machine does not report at its default example count: by construction
# (it never passes keyword arguments to methods, never drops a map without close()), or because
# it draws the argument rarely (a float seek position: missed at 200 examples, seed 0). The
# clause tests report them (tests/test_mutants.py test_clause_only_mutant_is_reported); they are
# not in MUTANTS, whose sweep measures the machine.
CLAUSE_ONLY = {}


def _name(cls):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def mutant(cls):
    """Register a mutant under its snake_case name, which is also its `module:factory` name."""
    MUTANTS[_name(cls)] = cls
    setattr(sys.modules[__package__], _name(cls), cls)  # tests.mutants:<name>
    return cls


def clause_only_mutant(cls):
    """Register a mutant only the clause tests can report (CLAUSE_ONLY)."""
    CLAUSE_ONLY[_name(cls)] = cls
    setattr(sys.modules[__package__], _name(cls), cls)
    return cls


def _access(m):
    """The map's access mode as repr() prints it (3.9+), e.g. 'ACCESS_READ'."""
    found = re.search(r"access=(\w+)", mmap.mmap.__repr__(m))
    return found.group(1) if found else None


def _offset(m):
    found = re.search(r"offset=(\d+)", mmap.mmap.__repr__(m))
    return int(found.group(1)) if found else 0
