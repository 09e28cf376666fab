# SPDX-License-Identifier: MIT
"""Clause tests: the legacy sequence protocol (iteration, reversed, `in`)."""

import pytest

from conformance.clausetools import ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("iter.bytes")
def test_iteration_yields_one_byte_bytes(check):
    """Iterating a map yields 1-byte bytes objects through the generic sequence iterator."""
    obs = check(o.Open(b"ab\x00\xff", 0), o.List(), o.Apply("iter_type"))
    assert obs[1]["out"] == ok([b"a", b"b", b"\x00", b"\xff"]) and obs[2]["out"] == ok("iterator")


@pytest.mark.clause("reversed.bytes")
def test_reversed_yields_one_byte_bytes(check):
    """reversed(m) also yields 1-byte bytes objects."""
    obs = check(o.Open(b"abc", 0), o.Reversed())
    assert obs[-1]["out"] == ok([b"c", b"b", b"a"])


@pytest.mark.parametrize("needle, found", [(b"1", True), (b"x", False), (49, False),
                                           (b"12", False), (o.Text("1"), False)])
@pytest.mark.clause("contains")
def test_in_matches_single_bytes_only(check, needle, found):
    """x in m is true only for a 1-byte bytes x equal to some byte: no int or substring search."""
    obs = check(o.Open(b"0123456789", 0), o.Contains(needle))
    assert obs[-1]["out"] == ok(found)


@pytest.mark.clause("iter.closed")
def test_iter_of_closed_map_fails_on_next(check):
    """iter() of a closed map succeeds; the first next() raises ValueError."""
    obs = check(o.Open(b"abc", 0), o.Close(), o.Apply("iter_type"), o.Apply("next_iter"))
    assert obs[2]["out"] == ok("iterator") and raised(obs[3]) == "ValueError"


@pytest.mark.clause("iter.live")
def test_iterator_reads_the_map_as_it_is_at_each_next(check):
    """An iterator reads the map as it is at each next() (the generic sequence iterator over sq_item: no snapshot): bytes written since show, it stops at the current length (a map shrunk under it ends it), and once it has stopped it stays stopped though the map grows."""
    obs = check(o.Open(b"abcdef", 0), o.IterMake(), o.IterNext(0), o.SetItem(slice(1, 3), b"XY"),
                o.IterNext(0, 2), o.Resize(4), o.IterNext(0, 3), o.Resize(6), o.IterNext(0))
    assert obs[2]["out"] == ok(b"a") and obs[4]["out"] == ok([b"X", b"Y"])
    assert obs[6]["out"] == ok([b"d"]) and raised(obs[8]) == "StopIteration"


@pytest.mark.clause("reversed.live")
def test_reversed_reads_downwards_from_its_first_length(check):
    """reversed(m) takes len(m) when made (ValueError on a closed map) and reads downwards from it at each next(): bytes written since show, an item past the current end (the map shrank) ends it, and so does a next() that raises."""
    obs = check(o.Open(b"abcdef", 0), o.IterMake(True), o.Resize(8), o.SetItem(4, 69),
                o.IterNext(0, 2), o.Resize(3), o.IterNext(0), o.IterNext(0), o.IterMake(True),
                o.Close(), o.IterNext(1), o.IterNext(1), o.IterMake(True))
    assert obs[4]["out"] == ok([b"f", b"E"])
    assert raised(obs[6]) == "StopIteration" and raised(obs[7]) == "StopIteration"
    assert raised(obs[10]) == "ValueError" and raised(obs[11]) == "StopIteration"
    assert raised(obs[12]) == "ValueError"


@pytest.mark.clause("iter.after-close")
def test_held_iterator_of_a_closed_map_raises_at_every_next(check):
    """next() of an iterator held while its map is closed raises ValueError, at every call (the iterator is not ended); a reversed iterator raises it once and is then exhausted."""
    obs = check(o.Open(b"abc", 0), o.IterMake(), o.IterMake(True), o.IterNext(0), o.Close(),
                o.IterNext(0), o.IterNext(0, 2), o.IterNext(1), o.IterNext(1), o.IterDrop(0))
    assert obs[3]["out"] == ok(b"a")
    assert raised(obs[5]) == "ValueError" and raised(obs[6]) == "ValueError"
    assert raised(obs[7]) == "ValueError" and raised(obs[8]) == "StopIteration"
    assert obs[9]["out"] == ok()
