# SPDX-License-Identifier: MIT
"""Mutants of iteration, `in`, buffer exports, access modes."""

import mmap
import os

from tests.mutants.base import (
    Faithful,
    _Items,
    _offset,
    _plain,
    mutant,
)


@mutant
class IterYieldsInts(Faithful):
    """Iteration yields ints, as a bare subclass does, not 1-byte bytes (iter.bytes)."""

    __slots__ = ()

    def __iter__(self):
        return (b[0] for b in iter(_Items(self)))


@mutant
class ReversedForward(Faithful):
    """reversed() yields the bytes in forward order (reversed.bytes)."""

    __slots__ = ()

    def __reversed__(self):
        len(self)  # reversed() asks for len() up front, so a closed map raises here
        return iter(_Items(self))


@mutant
class ContainsSubstring(Faithful):
    """`x in m` does a substring search, so b'01' in m is True (contains)."""

    __slots__ = ()

    def __contains__(self, value):
        if isinstance(value, bytes):
            return mmap.mmap.find(self, value, 0) != -1
        return super().__contains__(value)


@mutant
class BufferSnapshot(Faithful):
    """The buffer export is a read-only copy, so views neither write through nor pin the map
    (buffer.write-through, buffer.close-exported)."""

    __slots__ = ()

    # Python 3.12+ honours __buffer__ on a Python class; the executor calls it on older ones.
    def __buffer__(self, flags):
        return memoryview(mmap.mmap.__getitem__(self, slice(None)))


class _OwnDescriptor(Faithful):
    """A mutant's base that keeps a dup of the map's descriptor (`_fd`, None without one) to
    write the file behind the map's back; close() closes it."""

    __slots__ = ("_fd",)

    def close(self):
        super().close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@mutant
class CopyFlushLeaks(_OwnDescriptor):
    """flush() on an ACCESS_COPY map writes the map's bytes into the file (access.COPY)."""

    __slots__ = ("_at",)

    def __new__(cls, fileno, length, *args, **kwargs):
        self = super().__new__(cls, fileno, length, *args, **kwargs)
        self._fd = None
        if _plain(fileno) and fileno >= 0 and kwargs.get("access") == mmap.ACCESS_COPY:
            self._fd, self._at = os.dup(fileno), _offset(self)
        return self

    def flush(self, *args):
        result = super().flush(*args)
        if self._fd is not None:
            try:
                os.pwrite(self._fd, mmap.mmap.__getitem__(self, slice(None)), self._at)
            except OSError:
                pass  # a read-only descriptor cannot leak
        return result
