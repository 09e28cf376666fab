# SPDX-License-Identifier: MIT
"""Mutants of the stdlib `mmap.mmap`, one deliberate bug each, to measure what the suite catches.

`faithful` restores the stdlib's behaviour exactly; every mutant derives from it and changes one
behaviour. Use as `--impl tests.mutants:<name>` from the repository root; `MUTANTS` lists them.
"""

import errno
import mmap
import os
import re

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

    def resize(self, newsize, /):  # positional-only, as the C method's (resize.kw)
        # Two resizes CPython <= 3.13.7 lets through and then dies of (SIGBUS, catalogue 140 and
        # 142) fail cleanly in the reference, so Faithful fails them the same way: growing a
        # shared anonymous map past the pages it was created with (gh-138204's ValueError; within
        # them it works) and resize(0), which mremap() refuses with EINVAL (the reference checks
        # it before truncating the file).
        grows_past_pages = (self._shared_anon and _plain(newsize)
                            and -(-newsize // mmap.PAGESIZE) > self._created_pages)
        if _plain(newsize) and (newsize == 0 or grows_past_pages):
            _resize_checks(self)
            if newsize == 0:
                raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
            raise ValueError(_SHARED_ANON_GROW)
        return super().resize(newsize)


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
    globals()[_name(cls)] = cls
    return cls


def clause_only_mutant(cls):
    """Register a mutant only the clause tests can report (CLAUSE_ONLY)."""
    CLAUSE_ONLY[_name(cls)] = cls
    globals()[_name(cls)] = cls
    return cls


def _access(m):
    """The map's access mode as repr() prints it (3.9+), e.g. 'ACCESS_READ'."""
    found = re.search(r"access=(\w+)", mmap.mmap.__repr__(m))
    return found.group(1) if found else None


def _offset(m):
    found = re.search(r"offset=(\d+)", mmap.mmap.__repr__(m))
    return int(found.group(1)) if found else 0


# -- constructor ---------------------------------------------------------------------------------


@mutant
class CtorNegativeLengthValueerror(Faithful):
    """A negative length raises ValueError, not OverflowError (ctor.length.negative)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if _plain(length) and length < 0:
            raise ValueError("memory mapped length must be positive")
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorInvalidAccessAccepted(Faithful):
    """An access value outside 0..3 is taken as ACCESS_DEFAULT (ctor.access.invalid)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        access = kwargs.get("access")
        if _plain(access) and access not in range(4):
            del kwargs["access"]
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorLengthGtSizeExtends(Faithful):
    """A length past the end of a regular file extends the file, as on Windows
    (ctor.file.length-gt-size)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        offset = _arg(args, kwargs, 3, "offset", 0)
        if _plain(fileno, length, offset) and fileno >= 0 and length > 0 and offset >= 0:
            try:
                if os.fstat(fileno).st_size < offset + length:
                    os.ftruncate(fileno, offset + length)
            except OSError:
                pass  # a read-only descriptor: fall through to the stdlib's own error
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorFlagsPrivateIgnored(Faithful):
    """flags=MAP_PRIVATE is dropped, so writes reach the file (ctor.flags.private)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if kwargs.get("flags") == mmap.MAP_PRIVATE and not args:
            del kwargs["flags"]
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorProtReadWritable(Faithful):
    """prot=PROT_READ is dropped, so the map is writable (ctor.prot.to-access)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if kwargs.get("prot") == mmap.PROT_READ and not args:
            del kwargs["prot"]
        return super().__new__(cls, fileno, length, *args, **kwargs)


# -- indexing and slicing ------------------------------------------------------------------------


@mutant
class GetitemOobValueerror(Faithful):
    """An out-of-range index raises ValueError, not IndexError (getitem.oob)."""

    __slots__ = ()

    def __getitem__(self, key):
        if _plain(key):
            n = len(self)
            if not -n <= key < n:
                raise ValueError("mmap index out of range")
        return super().__getitem__(key)


@mutant
class GetitemNegOffByOne(Faithful):
    """A negative index counts from len-1, so m[-1] is the second-last byte (getitem.neg)."""

    __slots__ = ()

    def __getitem__(self, key):
        if _plain(key) and key < 0:
            key -= 1
        return super().__getitem__(key)


@mutant
class GetsliceStepIgnored(Faithful):
    """An extended slice ignores its step: m[a:b:k] is m[a:b] (getitem.slice-step)."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step not in (None, 1, 0):
            key = slice(key.start, key.stop)
        return super().__getitem__(key)


@mutant
class GetsliceNoClamp(Faithful):
    """Slice bounds past the end raise IndexError instead of clamping (getitem.slice)."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, slice):
            n = len(self)
            for bound in (key.start, key.stop):
                if _plain(bound) and not -n <= bound <= n:
                    raise IndexError("mmap index out of range")
        return super().__getitem__(key)


@mutant
class SetitemValueWraps(Faithful):
    """m[i] = v stores v & 0xFF instead of raising ValueError outside 0..255 (setitem.range)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if _plain(key, value) and not 0 <= value < 256:
            value &= 0xFF
        super().__setitem__(key, value)


@mutant
class SetsliceWrongSizeTruncates(Faithful):
    """Slice assignment of the wrong size writes what fits instead of raising IndexError
    (setslice.wrong-size)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if isinstance(key, slice) and key.step in (None, 1) and isinstance(value, bytes):
            start, stop, _ = key.indices(len(self))
            want = max(stop - start, 0)
            if len(value) != want:
                value = value[:want]
                key = slice(start, start + len(value))
        super().__setitem__(key, value)


@mutant
class SetsliceStepIgnored(Faithful):
    """Extended-slice assignment writes contiguously from the lowest index (setslice.step)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if isinstance(key, slice) and key.step not in (None, 1, 0) and isinstance(value, bytes):
            positions = range(*key.indices(len(self)))
            if len(positions) == len(value) and positions:
                low = min(positions)
                key = slice(low, low + len(value))
        super().__setitem__(key, value)


@mutant
class SetitemReadonlyIndexFirst(Faithful):
    """On ACCESS_READ an out-of-range index raises IndexError before the read-only TypeError
    (setitem.readonly)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if _plain(key):
            n = len(self)
            if not -n <= key < n and _access(self) == "ACCESS_READ":
                raise IndexError("mmap index out of range")
        super().__setitem__(key, value)


@mutant
class DelitemOobTypeerror(Faithful):
    """`del m[i]` with i out of range raises TypeError, not IndexError (delitem)."""

    __slots__ = ()

    def __delitem__(self, key):
        if _plain(key):
            n = len(self)
            if not -n <= key < n:
                raise TypeError("mmap doesn't support item deletion")
        super().__delitem__(key)


# -- read, read_byte, readline -------------------------------------------------------------------


@mutant
class ReadPosNotAdvanced(Faithful):
    """read() leaves the position where it was (read.n)."""

    __slots__ = ()

    def read(self, *args):
        pos = self.tell()
        data = super().read(*args)
        if not self.closed:
            self.seek(pos)
        return data


@mutant
class ReadNegativeEmpty(Faithful):
    """read(-1) returns b'' instead of the rest of the map (read.all)."""

    __slots__ = ()

    def read(self, *args):
        if len(args) == 1 and _plain(args[0]) and args[0] < 0:
            len(self)  # the closed check comes first
            return b""
        return super().read(*args)


@mutant
class ReadByteEofIndexerror(Faithful):
    """read_byte() at the end raises IndexError, not ValueError (read_byte)."""

    __slots__ = ()

    def read_byte(self, *args):
        try:
            return super().read_byte(*args)
        except ValueError as exc:
            if str(exc) == "read byte out of range":
                raise IndexError(str(exc)) from None
            raise


@mutant
class ReadByteReturnsBytes(Faithful):
    """read_byte() returns a 1-byte bytes object, as Python 2 did, not an int (read_byte)."""

    __slots__ = ()

    def read_byte(self, *args):
        return bytes([super().read_byte(*args)])


@mutant
class ReadlineCrTerminator(Faithful):
    """readline() also stops at b'\\r' (readline)."""

    __slots__ = ()

    def readline(self, *args):
        pos = self.tell()
        line = super().readline(*args)
        cut = line.find(b"\r")
        if cut != -1 and cut + 1 < len(line):
            line = line[:cut + 1]
            self.seek(pos + len(line))
        return line


# -- write, write_byte ---------------------------------------------------------------------------


@mutant
class WriteReturnsNone(Faithful):
    """write() returns None, as before 3.6, not the byte count (write.basic)."""

    __slots__ = ()

    def write(self, data):
        super().write(data)


@mutant
class WritePastEndPartial(Faithful):
    """A write past the end writes what fits instead of raising ValueError (write.past-end)."""

    __slots__ = ()

    def write(self, data):
        if isinstance(data, bytes):
            pos, n = self.tell(), len(self)
            if pos <= n < pos + len(data):
                data = data[:n - pos]
        return super().write(data)


@mutant
class WriteReadonlySilent(Faithful):
    """write() on ACCESS_READ silently succeeds (moves pos, returns the count, changes nothing)
    (write.readonly)."""

    __slots__ = ()

    def write(self, data):
        if isinstance(data, bytes) and _access(self) == "ACCESS_READ":
            pos = self.tell()
            if pos + len(data) > len(self):
                raise ValueError("data out of range")
            self.seek(pos + len(data))
            return len(data)
        return super().write(data)


@mutant
class WriteBytesLikeRejected(Faithful):
    """write() accepts only bytes, rejecting bytearray and memoryview (write.bytes-like)."""

    __slots__ = ()

    def write(self, data):
        len(self)  # the closed check comes first
        if not isinstance(data, bytes):
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
        return super().write(data)


@mutant
class WriteBytePosNotAdvanced(Faithful):
    """write_byte() leaves the position where it was (write_byte.int)."""

    __slots__ = ()

    def write_byte(self, value):
        pos = self.tell()
        super().write_byte(value)
        self.seek(pos)


@mutant
class WriteByteRangeValueerror(Faithful):
    """write_byte(256) raises ValueError, not OverflowError (write_byte.range)."""

    __slots__ = ()

    def write_byte(self, value):
        if _plain(value) and not 0 <= value < 256:
            len(self)  # the closed check comes first
            raise ValueError("byte must be in range(0, 256)")
        return super().write_byte(value)


# -- seek, tell, size ----------------------------------------------------------------------------


@mutant
class SeekEndOffByOne(Faithful):
    """seek(n, 2) lands one byte early (seek.whence)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if whence == (2,) and _plain(pos):
            pos -= 1
        return super().seek(pos, *whence)


@mutant
class SeekCurAsSet(Faithful):
    """seek(n, 1) is taken as seek(n, 0) (seek.whence)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if whence == (1,):
            whence = (0,)
        return super().seek(pos, *whence)


@mutant
class SeekPastEndClamps(Faithful):
    """Seeking past the end clamps to len() instead of raising ValueError (seek.oob)."""

    __slots__ = ()

    def seek(self, pos, whence=0):
        if _plain(pos, whence) and whence in (0, 1, 2):
            n = len(self)
            base = (0, self.tell(), n)[whence]
            if base + pos > n:
                return super().seek(n)
        return super().seek(pos, whence)


@clause_only_mutant
class SeekFloatTruncated(Faithful):
    """A float position is truncated to an int instead of raising TypeError, as `int(pos)` in a
    pure-Python seek() does (seek.type)."""

    __slots__ = ()

    def seek(self, pos, /, *whence):
        if type(pos) is float:
            pos = int(pos)
        return super().seek(pos, *whence)


@mutant
class SeekBadWhenceAsSet(Faithful):
    """An unknown whence is taken as 0 instead of raising ValueError (seek.whence-bad)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if len(whence) == 1 and _plain(whence[0]) and whence[0] not in (0, 1, 2):
            whence = (0,)
        return super().seek(pos, *whence)


@mutant
class SeekReturnFlipped(Faithful):
    """seek() returns the new position where this version returns None, and None where it
    returns the position (seek.return: int since 3.13)."""

    __slots__ = ()

    def seek(self, *args):
        result = super().seek(*args)
        return self.tell() if result is None else None


@mutant
class TellAbsolute(Faithful):
    """tell() counts from the start of the file, not of the map (tell, ctor.offset.aligned)."""

    __slots__ = ()

    def tell(self):
        return super().tell() + _offset(self)


@mutant
class SizeReturnsLen(Faithful):
    """size() returns len(m), not the size of the file (size.file)."""

    __slots__ = ()

    def size(self):
        return len(self)


# -- resize, move, flush -------------------------------------------------------------------------


@mutant
class ResizePastPosMovesPos(Faithful):
    """Shrinking below the position pulls the position back to the new end (resize.past-pos)."""

    __slots__ = ()

    def resize(self, newsize):
        super().resize(newsize)
        if _plain(newsize) and self.tell() > newsize:
            self.seek(newsize)


@mutant
class ResizeNegativeOverflow(Faithful):
    """resize(-1) raises OverflowError, not ValueError (resize.negative)."""

    __slots__ = ()

    def resize(self, newsize):
        try:
            return super().resize(newsize)
        except ValueError as exc:
            if str(exc) == "new size out of range":
                raise OverflowError(str(exc)) from None
            raise


@mutant
class MoveBoundsClamp(Faithful):
    """move() past the end moves what fits instead of raising ValueError (move.bounds)."""

    __slots__ = ()

    def move(self, dest, src, count):
        if _plain(dest, src, count) and min(dest, src, count) >= 0:
            n = len(self)
            if dest <= n and src <= n:
                count = min(count, n - dest, n - src)
        return super().move(dest, src, count)


@mutant
class MoveSetsPos(Faithful):
    """move() leaves the position at dest + count (move.basic)."""

    __slots__ = ()

    def move(self, dest, src, count):
        super().move(dest, src, count)
        self.seek(dest + count)


@mutant
class FlushReturnsZero(Faithful):
    """flush() returns 0, as before 3.8, not None (flush.return)."""

    __slots__ = ()

    def flush(self, *args):
        result = super().flush(*args)
        return 0 if result is None else result


@mutant
class FlushNoRangeCheck(Faithful):
    """flush() with a range past the end does nothing instead of raising ValueError
    (flush.range-check)."""

    __slots__ = ()

    def flush(self, *args):
        try:
            return super().flush(*args)
        except ValueError as exc:
            if str(exc) == "flush values out of range":
                return None
            raise


# -- find, rfind, madvise ------------------------------------------------------------------------


@mutant
class FindDefaultStartZero(Faithful):
    """find(sub) searches from 0, not from the current position (find.default-start)."""

    __slots__ = ()

    def find(self, *args):
        if len(args) == 1:
            args = (args[0], 0)
        return super().find(*args)


@mutant
class FindNegativeStartAsZero(Faithful):
    """find(sub, start) with a negative start searches from 0 instead of len+start
    (find.slice-args)."""

    __slots__ = ()

    def find(self, sub, *rest):
        if rest and _plain(rest[0]) and rest[0] < 0:
            rest = (0,) + rest[1:]
        return super().find(sub, *rest)


@mutant
class RfindEmptyReturnsStart(Faithful):
    """rfind(b'') returns the clamped start, like find(b''), not the end (find.empty)."""

    __slots__ = ()

    def rfind(self, sub, *rest):
        if isinstance(sub, bytes) and not sub:
            return super().find(sub, *rest)
        return super().rfind(sub, *rest)


@mutant
class MadviseStartUnchecked(Faithful):
    """madvise() with a start out of bounds returns None instead of raising ValueError
    (madvise.start)."""

    __slots__ = ()

    def madvise(self, *args):
        try:
            return super().madvise(*args)
        except ValueError as exc:
            if str(exc) == "madvise start out of bounds":
                return None
            raise


# -- close, closed, context manager, len, bool, repr ---------------------------------------------


@mutant
class CloseTwiceRaises(Faithful):
    """A second close() raises ValueError instead of doing nothing (close.idempotent)."""

    __slots__ = ()

    def close(self):
        if self.closed:
            raise ValueError(CLOSED)
        super().close()


@mutant
class ClosedAlwaysFalse(Faithful):
    """The `closed` attribute stays False after close() (closed.attr)."""

    __slots__ = ()
    closed = property(lambda self: False)


@mutant
class ReadAfterCloseEmpty(Faithful):
    """read() on a closed map returns b'' instead of raising ValueError (after-close.raise)."""

    __slots__ = ()

    def read(self, *args):
        if self.closed:
            return b""
        return super().read(*args)


@mutant
class LenAfterCloseZero(Faithful):
    """len() of a closed map is 0 instead of raising ValueError (len, after-close.raise)."""

    __slots__ = ()

    def __len__(self):
        return 0 if self.closed else super().__len__()


@mutant
class BoolAfterCloseFalse(Faithful):
    """bool() of a closed map is False instead of raising ValueError (bool)."""

    __slots__ = ()

    def __bool__(self):
        return False if self.closed else len(self) > 0


@mutant
class EnterClosedOk(Faithful):
    """__enter__ on a closed map returns it instead of raising ValueError (ctx)."""

    __slots__ = ()

    def __enter__(self):
        return self


@mutant
class ExitKeepsOpen(Faithful):
    """__exit__ does not close the map (ctx)."""

    __slots__ = ()

    def __exit__(self, *args):
        return None


@mutant
class ReprPosZero(Faithful):
    """repr() always shows pos=0 (repr.open)."""

    __slots__ = ()

    def __repr__(self):
        return re.sub(r"pos=\d+", "pos=0", super().__repr__())


# -- iteration, `in`, buffer exports, access modes -----------------------------------------------


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



# -- reported by the clause tests only (CLAUSE_ONLY) ---------------------------------------------


_UNSET = object()


@clause_only_mutant
class KeywordsAccepted(Faithful):
    """seek(), write(), write_byte(), flush(), resize(), move() and madvise() take their
    parameters by keyword too, as a pure-Python `def seek(self, pos, whence=0)` does
    (seek.kw, write.kw, write_byte.kw, flush.kw, resize.kw, move.kw, madvise.kw)."""

    __slots__ = ()

    def seek(self, pos, whence=0):
        return super().seek(pos, whence)

    def write(self, data):
        return super().write(data)

    def write_byte(self, byte):
        return super().write_byte(byte)

    def flush(self, offset=0, size=_UNSET):
        return super().flush(offset) if size is _UNSET else super().flush(offset, size)

    def resize(self, newsize):
        return super().resize(newsize)

    def move(self, dest, src, count):
        return super().move(dest, src, count)

    def madvise(self, option, start=0, length=_UNSET):
        if length is _UNSET:
            return super().madvise(option, start)
        return super().madvise(option, start, length)


_KEPT = []  # every map DropLeaksDescriptor ever made and did not close


@clause_only_mutant
class DropLeaksDescriptor(Faithful):
    """A map dropped without close() is never freed (a module-level registry keeps it), so its
    duplicated descriptor and its mapping stay: 50 dropped maps, 50 descriptors (del.fd-closed,
    del.no-fd-growth, del.unmaps, del.no-memory-growth)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        self = super().__new__(cls, fileno, length, *args, **kwargs)
        _KEPT.append(self)
        return self

    def close(self):
        super().close()
        if self in _KEPT:
            _KEPT.remove(self)


# -- contexts uniform draws rarely build: page boundaries, self-similar data, arithmetic edges,
# -- the file around the map ---------------------------------------------------------------------


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
