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
