# SPDX-License-Identifier: MIT
"""Mutants of write, write_byte."""


from tests.mutants.base import (
    Faithful,
    _access,
    _plain,
    mutant,
)


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
