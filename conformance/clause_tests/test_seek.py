# SPDX-License-Identifier: MIT
"""Clause tests: seek(), tell(), seekable()."""

import sys

import pytest

from conformance.clausetools import DATA, ok, raised, since
from conformance.engine import ops as o


@pytest.mark.clause("doc.seek.moves")
def test_seek_moves_through_the_map(check):
    """seek() moves the current position through the map."""
    obs = check(o.Open(DATA, 0), o.Seek(8), o.Read(1), o.Seek(1), o.Read(1))
    assert (obs[2]["out"], obs[4]["out"]) == (ok(b"8"), ok(b"1"))


@pytest.mark.clause("doc.seek.sets-position")
def test_seek_sets_the_position(check):
    """seek(pos) sets the current position."""
    obs = check(o.Open(DATA, 0), o.Seek(6))
    assert obs[-1]["pos"] == 6


@pytest.mark.clause("doc.seek.whence-default")
def test_whence_defaults_to_absolute(check):
    """whence defaults to 0, absolute positioning."""
    obs = check(o.Open(DATA, 0), o.Seek(5), o.Seek(3))
    assert obs[-1]["pos"] == 3


@pytest.mark.clause("doc.seek.whence-cur")
def test_whence_1_is_relative_to_position(check):
    """whence 1 seeks relative to the current position."""
    obs = check(o.Open(DATA, 0), o.Seek(5), o.Seek(-2, 1))
    assert obs[-1]["pos"] == 3


@pytest.mark.clause("doc.seek.whence-end")
def test_whence_2_is_relative_to_end(check):
    """whence 2 seeks relative to the end."""
    obs = check(o.Open(DATA, 0), o.Seek(-3, 2))
    assert obs[-1]["pos"] == 7


@pytest.mark.clause("doc.tell.position")
def test_tell_returns_the_position(check):
    """tell() returns the current position."""
    obs = check(o.Open(DATA, 0), o.Read(4), o.Call("tell"))
    assert obs[-1]["out"] == ok(4)


@pytest.mark.parametrize("pos, whence, new", [(10, 0, 10), (0, 2, 10), (4, 1, 6), (-10, 2, 0)])
@pytest.mark.clause("seek.whence")
def test_any_position_up_to_len_is_allowed(check, pos, whence, new):
    """whence 0, 1, 2 are SET, CUR, END; any new position in 0..len(m) is allowed."""
    obs = check(o.Open(DATA, 0), o.Seek(2), o.Seek(pos, whence))
    assert obs[-1]["pos"] == new


@pytest.mark.clause("seek.return")
def test_seek_return_value(check, mmap_impl):
    """seek() returns None up to 3.12 and the new absolute position from 3.13."""
    obs = check(o.Open(DATA, 0), o.Seek(2, 0), o.Seek(3, 1))
    assert obs[-1]["out"] == ok(5 if since(mmap_impl, "3.13") else None)


@pytest.mark.parametrize("pos, whence", [(-1, 0), (11, 0), (9, 1), (1, 2), (-11, 2)])
@pytest.mark.clause("seek.oob")
def test_seek_out_of_range_raises_and_keeps_position(check, pos, whence):
    """A new position below 0 or beyond len(m) raises ValueError "seek out of range" and keeps the position."""
    obs = check(o.Open(DATA, 0), o.Seek(2), o.Seek(pos, whence))
    assert raised(obs[-1]) == "ValueError" and obs[-1]["pos"] == 2


@pytest.mark.parametrize("whence", [1, 2])
@pytest.mark.clause("seek.overflow")
def test_seek_near_maxsize_raises_valueerror(check, whence):
    """seek(sys.maxsize, 1) with a non-zero position and seek(sys.maxsize, 2) raise ValueError, not overflow."""
    obs = check(o.Open(DATA, 0), o.Seek(1), o.Seek(sys.maxsize, whence))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("pos, whence", [(0, 3), (100, -1)])
@pytest.mark.clause("seek.whence-bad")
def test_unknown_whence_raises_before_range_check(check, pos, whence):
    """A whence other than 0, 1, 2 raises ValueError "unknown seek type", before the range check."""
    obs = check(o.Open(DATA, 0), o.Seek(pos, whence))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("seek.huge")
def test_seek_to_huge_position_raises_overflowerror(check):
    """seek(2**100) raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Seek(2**100))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.clause("seek.noarg")
def test_seek_without_arguments_raises_typeerror(check):
    """seek() without arguments raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Seek())
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("seekable")
def test_seekable_is_true_even_when_closed(check):
    """seekable() returns True, even when closed (from 3.13; absent before: mod.methods)."""
    obs = check(o.Open(DATA, 0), o.Call("seekable"), o.Close(), o.Call("seekable"))
    assert obs[1]["out"] == obs[3]["out"] == ok(True)


@pytest.mark.clause("tell")
def test_tell_is_relative_to_offset_and_starts_at_zero(check):
    """tell() returns the position relative to the offset, 0 initially."""
    obs = check(o.Open(b"a" * 4096 + b"bcd", 0, offset=4096), o.Call("tell"), o.Read(2),
                o.Call("tell"))
    assert (obs[1]["out"], obs[3]["out"]) == (ok(0), ok(2))
