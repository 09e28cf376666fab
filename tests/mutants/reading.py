# SPDX-License-Identifier: MIT
"""Mutants of read, read_byte, readline."""


from tests.mutants.base import (
    Faithful,
    _plain,
    mutant,
)


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
