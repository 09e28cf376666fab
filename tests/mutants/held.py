# SPDX-License-Identifier: MIT
"""Mutants of what is held across operations: iterators and exported views."""

import ctypes
import mmap
import weakref

from tests.mutants.base import (
    Faithful,
    _Items,
    mutant,
)


@mutant
class IterSnapshot(Faithful):
    """iter(m) walks a copy of the bytes taken when it is made, not the map at each next()
    (iter.live)."""

    __slots__ = ()

    def __iter__(self):
        try:
            data = mmap.mmap.__getitem__(self, slice(None))
        except ValueError:  # a closed map: next() raises, as it should
            return iter(_Items(self))
        return iter([data[i:i + 1] for i in range(len(data))])


class _FixedLength:
    """An iterator over the first `n` items of a map, whatever its length is meanwhile."""

    def __init__(self, m, n):
        self.m, self.n, self.i = m, n, 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.i >= self.n:
            raise StopIteration
        item = mmap.mmap.__getitem__(self.m, slice(self.i, self.i + 1))  # b"" past the end
        self.i += 1
        return item


@mutant
class IterIgnoresResize(Faithful):
    """An iterator keeps the length the map had when it was made: it stops there after the map
    grew and yields empty items past the end after it shrank (iter.live)."""

    __slots__ = ()

    def __iter__(self):
        try:
            n = mmap.mmap.__len__(self)
        except ValueError:  # a closed map: next() raises, as it should
            return iter(_Items(self))
        return _FixedLength(self, n)


@mutant
class ViewIsCopy(Faithful):
    """An exported view is a writable copy of the bytes at export (pinning the map as a real
    export does): it misses later writes to the map, and writes through it never reach the map
    (buffer.view-live)."""

    __slots__ = ()

    # Python 3.12+ honours __buffer__ on a Python class; the executor calls it on older ones.
    def __buffer__(self, flags):
        if hasattr(mmap.mmap, "__buffer__"):
            pin = mmap.mmap.__buffer__(self, flags)
        else:
            pin = memoryview(self)  # the C export: close() and resize() raise BufferError
        copy = (ctypes.c_ubyte * len(pin)).from_buffer_copy(pin)
        weakref.finalize(copy, pin.release)  # the export ends with the copy's last view
        view = memoryview(copy).cast("B")
        return view.toreadonly() if pin.readonly else view
