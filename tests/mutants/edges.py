# SPDX-License-Identifier: MIT
"""Mutants of contexts uniform draws rarely build: page boundaries, self-similar data, arithmetic edges, the file around the map."""

import mmap
import os

from tests.mutants.base import (
    Faithful,
    _access,
    _offset,
    _plain,
    mutant,
)
from tests.mutants.protocols import _OwnDescriptor


def _find_args(m, sub, rest):
    """find()'s searched range [start, end) as CPython normalises it (slice-like, clamped)."""
    n = len(m)
    start = rest[0] if rest else m.tell()
    end = rest[1] if len(rest) > 1 else n
    start, end = (x + n if x < 0 else x for x in (start, end))
    return max(0, min(start, n)), max(0, min(end, n))


@mutant
class FindMissesPageStraddle(Faithful):
    """find() searches one page at a time, so a match that straddles a page boundary is missed
    (find.basic)."""

    __slots__ = ()

    def find(self, sub, *rest):
        found = super().find(sub, *rest)
        if isinstance(sub, bytes) and len(sub) > 1 and _plain(*rest):
            page = mmap.PAGESIZE
            while found != -1 and found // page != (found + len(sub) - 1) // page:
                found = super().find(sub, found + 1, *rest[1:])
        return found


@mutant
class FindSkipsPartialMatch(Faithful):
    """find() resumes after the bytes a partial match consumed, missing an occurrence that
    overlaps it, e.g. b'aab' in b'aaab' (find.basic)."""

    __slots__ = ()

    def find(self, sub, *rest):
        found = super().find(sub, *rest)
        if found == -1 or not isinstance(sub, bytes) or len(sub) < 2 or not _plain(*rest):
            return found
        start, end = _find_args(self, sub, rest)
        hay, k, i = mmap.mmap.__getitem__(self, slice(start, end)), len(sub), 0
        while i <= len(hay) - k:
            j = 0
            while j < k and hay[i + j] == sub[j]:
                j += 1
            if j == k:
                return start + i
            i += max(j, 1)
        return -1


@mutant
class FlushRangeEndOffByOne(Faithful):
    """flush(offset, size) at a nonzero offset refuses a range ending exactly at the end of the
    map, checking offset + size >= len (flush.range-check)."""

    __slots__ = ()

    def flush(self, *args):
        if len(args) == 2 and _plain(*args) and args[0] > 0 and sum(args) == len(self):
            raise ValueError("flush values out of range")
        return super().flush(*args)


@mutant
class RfindEndOffByOne(Faithful):
    """rfind(sub, start, end) with an explicit end searches [start, end - 1), missing a match
    that ends at `end` (find.slice-args)."""

    __slots__ = ()

    def rfind(self, sub, *rest):
        if len(rest) == 2 and _plain(*rest) and isinstance(sub, bytes) and sub:
            start, end = _find_args(self, sub, rest)
            if end > start:
                return super().rfind(sub, start, end - 1)
        return super().rfind(sub, *rest)


@mutant
class FlushRestoresFileAroundMap(_OwnDescriptor):
    """flush() of a map that does not cover its file writes back the whole file as it was at
    open, undoing changes made outside the map since (doc.flush.writes-back)."""

    __slots__ = ("_snapshot",)

    def __new__(cls, fileno, length, *args, **kwargs):
        self = super().__new__(cls, fileno, length, *args, **kwargs)
        self._fd = None
        if _plain(fileno) and fileno >= 0 and _access(self) in ("ACCESS_WRITE", "ACCESS_DEFAULT"):
            size = os.fstat(fileno).st_size
            if _offset(self) > 0 or len(self) < size:
                self._fd = os.dup(fileno)
                self._snapshot = os.pread(fileno, size, 0)
        return self

    def flush(self, *args):
        result = super().flush(*args)
        if self._fd is not None:
            lo, hi = _offset(self), _offset(self) + len(self)
            os.pwrite(self._fd, self._snapshot[:lo], 0)
            os.pwrite(self._fd, self._snapshot[hi:], hi) if hi < len(self._snapshot) else None
        return result


def _chunked(total, copy):
    """copy(done, size) for each page-sized chunk of `total` bytes, with the bug these mutants
    share: every chunk's source is the first chunk's (its offset never advances)."""
    page = mmap.PAGESIZE
    for done in range(0, total, page):
        copy(done, min(page, total - done))


@mutant
class WriteChunkedRepeatsFirstPage(Faithful):
    """write() of more than a page copies page-sized chunks, each from the data's first page
    (write.basic)."""

    __slots__ = ()

    def write(self, data):
        if type(data) is not bytes or len(data) <= mmap.PAGESIZE:
            return super().write(data)
        start = self.tell()
        result = super().write(data)  # every check, the position, the count as CPython's
        _chunked(len(data), lambda done, size: mmap.mmap.__setitem__(
            self, slice(start + done, start + done + size), data[:size]))
        return result


@mutant
class SetsliceChunkedRepeatsFirstPage(Faithful):
    """m[i:j] = data of more than a page copies page-sized chunks, each from the data's first
    page (setslice)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if (isinstance(key, slice) and key.step in (None, 1) and type(value) is bytes
                and len(value) > mmap.PAGESIZE and _plain(*(x for x in (key.start, key.stop)
                                                               if x is not None))):
            start = key.indices(len(self))[0]
            _chunked(len(value), lambda done, size: mmap.mmap.__setitem__(
                self, slice(start + done, start + done + size), value[:size]))


@mutant
class MoveChunkedRepeatsFirstPage(Faithful):
    """move() of more than a page copies page-sized chunks, each from the source's first page
    (move.basic)."""

    __slots__ = ()

    def move(self, dest, src, count):
        if not (_plain(dest, src, count) and count > mmap.PAGESIZE):
            return super().move(dest, src, count)
        super().move(dest, src, count)  # every check as CPython's; then the bug's copy over it
        first = mmap.mmap.__getitem__(self, slice(dest, dest + mmap.PAGESIZE))
        _chunked(count, lambda done, size: mmap.mmap.__setitem__(
            self, slice(dest + done, dest + done + size), first[:size]))
