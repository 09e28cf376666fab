# SPDX-License-Identifier: MIT
"""Clause tests: read(), read_byte(), readline()."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("doc.read-write.position")
def test_read_and_write_start_at_the_position(check):
    """Data can be read and written starting at the current file position."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Call("write", b"ab"), o.Read(2))
    assert obs[-1]["out"] == ok(b"56") and obs[-1]["data"] == b"012ab56789".hex()


@pytest.mark.clause("doc.read.returns-up-to")
def test_read_returns_up_to_num_bytes(check):
    """read(num) returns up to num bytes starting at the current position."""
    obs = check(o.Open(DATA, 0), o.Seek(7), o.Read(5))
    assert obs[-1]["out"] == ok(b"789")


@pytest.mark.clause("doc.read.updates-position")
def test_read_moves_position_past_returned_bytes(check):
    """read() moves the position past the bytes it returned."""
    obs = check(o.Open(DATA, 0), o.Read(4))
    assert obs[-1]["pos"] == 4


@pytest.mark.clause("doc.read_byte.returns-byte")
def test_read_byte_returns_the_byte_at_position(check):
    """read_byte() returns the byte at the current position (an int on Python 3)."""
    obs = check(o.Open(DATA, 0), o.Seek(2), o.Call("read_byte"))
    assert obs[-1]["out"] == ok(50)


@pytest.mark.clause("doc.read_byte.advances")
def test_read_byte_advances_by_one(check):
    """read_byte() advances the position by 1."""
    obs = check(o.Open(DATA, 0), o.Call("read_byte"))
    assert obs[-1]["pos"] == 1


@pytest.mark.clause("doc.readline.line")
def test_readline_returns_one_line(check):
    """readline() returns one line from the current position up to and including the next newline."""
    obs = check(o.Open(b"ab\ncd\n", 0), o.Seek(1), o.Call("readline"))
    assert obs[-1]["out"] == ok(b"b\n") and obs[-1]["pos"] == 3


@pytest.mark.parametrize("n, result, pos", [(3, b"234", 5), (100, b"23456789", 10)])
@pytest.mark.clause("read.n")
def test_read_n_clamps_and_advances(check, n, result, pos):
    """read(n) returns up to n bytes from the position and advances it by as many."""
    obs = check(o.Open(DATA, 0), o.Seek(2), o.Read(n))
    assert obs[-1]["out"] == ok(result) and obs[-1]["pos"] == pos


@pytest.mark.parametrize("args", [(), (None,), (-1,), (-42,)])
@pytest.mark.clause("read.all")
def test_read_without_count_returns_the_rest(check, args):
    """read(), read(None) and read(negative) return the rest of the map."""
    obs = check(o.Open(DATA, 0), o.Seek(6), o.Read(*args))
    assert obs[-1]["out"] == ok(b"6789")


@pytest.mark.parametrize("pos, n", [(10, 1), (10, None), (3, 0)])
@pytest.mark.clause("read.eof")
def test_read_at_end_returns_empty(check, pos, n):
    """At or past the end read() returns b"" and leaves the position; read(0) returns b""."""
    obs = check(o.Open(DATA, 0), o.Seek(pos), o.Read(n))
    assert obs[-1]["out"] == ok(b"") and obs[-1]["pos"] == pos


@pytest.mark.parametrize("arg", [o.Text("1"), o.Float(1.0), [1]])
@pytest.mark.clause("read.type")
def test_read_of_non_integer_raises_typeerror(check, arg):
    """A str, float or list argument to read() raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Read(arg))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("read.index")
def test_read_accepts_index_objects(check):
    """read() accepts __index__ objects from 3.7 (TypeError on 3.6)."""
    obs = check(o.Open(DATA, 0), o.Read(o.Index(2)))
    assert obs[-1]["out"] == ok(b"01")


@pytest.mark.clause("read.huge")
def test_read_of_huge_count_raises_overflowerror(check):
    """read(2**100) raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Read(2**100))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.clause("read.kw")
def test_read_takes_no_keywords(check):
    """read() takes no keyword arguments (TypeError)."""
    obs = check(o.Open(DATA, 0), o.Call("read", n=2))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("pos, result", [(1, 255), (3, None)])
@pytest.mark.clause("read_byte")
def test_read_byte_returns_int_and_fails_at_end(check, pos, result):
    """read_byte() returns an int and advances the position; at the end it raises ValueError."""
    obs = check(o.Open(b"\x00\xff\x01", 0), o.Seek(pos), o.Call("read_byte"))
    if result is None:
        assert raised(obs[-1]) == "ValueError" and obs[-1]["pos"] == pos
    else:
        assert obs[-1]["out"] == ok(result) and obs[-1]["pos"] == pos + 1


@pytest.mark.parametrize("data, lines", [(b"ab\ncd\nef", [b"ab\n", b"cd\n", b"ef", b""]),
                                         (b"a\rb\r\nc", [b"a\rb\r\n", b"c", b""])])
@pytest.mark.clause("readline")
def test_readline_splits_on_lf_only(check, data, lines):
    """readline() returns bytes up to and including b"\\n" (\\r is not a terminator), the rest without one, b"" at the end."""
    obs = check(o.Open(data, 0), *[o.Call("readline") for _ in lines])
    assert [x["out"] for x in obs[1:]] == [ok(line) for line in lines]


@pytest.mark.parametrize("method", ["read_byte", "readline", "tell"])
@pytest.mark.clause("noargs")
def test_no_argument_methods_reject_arguments(check, method):
    """read_byte, readline and tell take no arguments (TypeError)."""
    obs = check(o.Open(DATA, 0), o.Call(method, 1))
    assert raised(obs[-1]) == "TypeError"
