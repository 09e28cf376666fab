# SPDX-License-Identifier: MIT
"""Clause tests: write() and write_byte()."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o

READ = {"access": o.Const("ACCESS_READ")}


@pytest.mark.clause("doc.write.at-position")
def test_write_puts_bytes_at_position(check):
    """write(string) writes the bytes into memory at the current position."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Call("write", b"AB"))
    assert obs[-1]["data"] == b"012AB56789".hex()


@pytest.mark.clause("doc.write.updates-position")
def test_write_moves_position_past_written_bytes(check):
    """write() moves the position past the bytes written."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Call("write", b"AB"))
    assert obs[-1]["pos"] == 5


@pytest.mark.clause("doc.write.readonly-typeerror")
def test_write_on_read_only_map_raises_typeerror(check):
    """write() on an ACCESS_READ map raises TypeError."""
    obs = check(o.Open(DATA, 0, **READ), o.Call("write", b"AB"))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("doc.write_byte.at-position")
def test_write_byte_puts_one_byte_at_position(check):
    """write_byte(byte) writes one byte at the current position."""
    obs = check(o.Open(DATA, 0), o.Seek(4), o.Call("write_byte", 65))
    assert obs[-1]["data"] == b"0123A56789".hex()


@pytest.mark.clause("doc.write_byte.advances")
def test_write_byte_advances_by_one(check):
    """write_byte() advances the position by 1."""
    obs = check(o.Open(DATA, 0), o.Seek(4), o.Call("write_byte", 65))
    assert obs[-1]["pos"] == 5


@pytest.mark.clause("doc.write_byte.readonly-typeerror")
def test_write_byte_on_read_only_map_raises_typeerror(check):
    """write_byte() on an ACCESS_READ map raises TypeError."""
    obs = check(o.Open(DATA, 0, **READ), o.Call("write_byte", 65))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("write.basic")
def test_write_returns_the_count(check):
    """write(b) writes at the position, advances it and returns the count (None before 3.6)."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Call("write", b"AB"))
    assert obs[-1]["out"] == ok(2)


@pytest.mark.parametrize("pos", [0, 10])
@pytest.mark.clause("write.empty")
def test_write_of_nothing_returns_zero(check, pos):
    """write(b"") returns 0, also at the end."""
    obs = check(o.Open(DATA, 0), o.Seek(pos), o.Call("write", b""))
    assert obs[-1]["out"] == ok(0)


@pytest.mark.clause("write.to-end")
def test_write_exactly_to_the_end(check):
    """A write that exactly fills the map up to its end succeeds."""
    obs = check(o.Open(DATA, 0), o.Seek(7), o.Call("write", b"XYZ"))
    assert obs[-1]["pos"] == 10 and obs[-1]["data"].endswith(b"XYZ".hex())


@pytest.mark.clause("write.past-end")
def test_write_past_end_raises_and_writes_nothing(check):
    """A write past the end raises ValueError "data out of range", writes nothing and keeps the position."""
    obs = check(o.Open(DATA, 0), o.Seek(8), o.Call("write", b"XYZ"))
    assert raised(obs[-1]) == "ValueError" and obs[-1]["pos"] == 8
    assert obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("value", [o.ByteArray(b"AB"), o.MemView(b"AB"), o.SELF])
@pytest.mark.clause("write.bytes-like")
def test_write_accepts_bytes_like_objects(check, value):
    """write() accepts bytearray, memoryview and the map itself."""
    ops = [o.Open(b"AB", 0)] if value is o.SELF else [o.Open(DATA, 0)]
    obs = check(*ops, o.Call("write", value))
    assert obs[-1]["out"] == ok(2 if value is not o.SELF else 2)


@pytest.mark.clause("write.noncontig")
def test_write_of_non_contiguous_view_raises_buffererror(check, mmap_impl):
    """write() of a non-contiguous memoryview raises BufferError."""
    if mmap_impl.profile == "2.7":
        pytest.skip("na: Python 2.7 has no strided memoryview to pass")
    obs = check(o.Open(DATA, 0), o.Call("write", o.NonContiguous(b"AB")))
    assert raised(obs[-1]) == "BufferError"


@pytest.mark.parametrize("access", [None, "ACCESS_READ"])
@pytest.mark.parametrize("value", [o.Text("AB"), 12])
@pytest.mark.clause("write.type")
def test_write_of_non_bytes_raises_typeerror(check, value, access):
    """write() of a str or int raises TypeError, before the read-only check."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Call("write", value))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("pos", [0, 9])
@pytest.mark.clause("write.readonly")
def test_write_on_read_only_map_raises_even_past_end(check, pos):
    """write() on an ACCESS_READ map raises TypeError, even past the end, and keeps the position."""
    obs = check(o.Open(DATA, 0, **READ), o.Seek(pos), o.Call("write", b"AB"))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["pos"] == pos


@pytest.mark.parametrize("value", [0, 129, 255, o.Index(7)])
@pytest.mark.clause("write_byte.int")
def test_write_byte_stores_an_int(check, value):
    """write_byte(v) stores an int 0..255, returns None and advances the position."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", value))
    assert obs[-1]["out"] == ok() and obs[-1]["pos"] == 1


@pytest.mark.parametrize("value", [256, -1])
@pytest.mark.clause("write_byte.range")
def test_write_byte_out_of_range_raises_overflowerror(check, value):
    """write_byte() of a value above 255 or below 0 raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", value))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.parametrize("value", [b"A", o.Text("A"), o.Float(1.0)])
@pytest.mark.clause("write_byte.type")
def test_write_byte_of_non_int_raises_typeerror(check, value):
    """write_byte() of bytes, str or float raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", value))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("write_byte.eof")
def test_write_byte_at_end_raises_valueerror(check):
    """write_byte() at the end raises ValueError "write byte out of range"."""
    obs = check(o.Open(DATA, 0), o.Seek(10), o.Call("write_byte", 65))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("pos", [0, 10])
@pytest.mark.clause("write_byte.readonly")
def test_write_byte_on_read_only_map_raises_typeerror_also_at_end(check, pos):
    """write_byte() on an ACCESS_READ map raises TypeError, also at the end."""
    obs = check(o.Open(DATA, 0, **READ), o.Seek(pos), o.Call("write_byte", 65))
    assert raised(obs[-1]) == "TypeError"
