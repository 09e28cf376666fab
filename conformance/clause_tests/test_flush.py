# SPDX-License-Identifier: MIT
"""Clause tests: flush() and move()."""

import errno

import pytest

from conformance.clausetools import DATA, errno_of, ok, raised, since
from conformance.engine import ops as o

PAGE = 4096


@pytest.mark.clause("doc.flush.writes-back")
def test_flush_writes_changes_to_the_file(check):
    """flush() writes changes made to the map back to the file."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(0, 2), b"AB"), o.Call("flush"))
    assert obs[-1]["file"] == b"AB23456789".hex()


@pytest.mark.clause("doc.flush.range")
def test_flush_of_a_range(check):
    """flush(offset, size) flushes only that range of bytes."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65), o.Call("flush", 0, 1))
    assert raised(obs[-1]) is None and obs[-1]["file"].startswith("41")


@pytest.mark.clause("doc.flush.whole")
def test_flush_without_arguments_flushes_everything(check):
    """flush() without arguments flushes the whole extent of the map."""
    obs = check(o.Open(DATA, 0), o.SetItem(9, 65), o.Call("flush"))
    assert obs[-1]["file"].endswith("41")


@pytest.mark.clause("flush.return")
def test_flush_returns_none_from_3_8(check, mmap_impl):
    """flush() returns None from 3.8 and 0 before."""
    obs = check(o.Open(DATA, 0), o.Call("flush"))
    assert obs[-1]["out"] == ok(None if since(mmap_impl, "3.8") else 0)


@pytest.mark.clause("flush.range")
def test_flush_of_page_aligned_range(check):
    """flush(offset, size) with a page-aligned offset succeeds."""
    obs = check(o.Open(b"x" * 2 * PAGE, 0), o.Call("flush", PAGE, 10))
    assert raised(obs[-1]) is None


@pytest.mark.clause("flush.unaligned")
def test_flush_of_unaligned_offset_raises_einval(check):
    """flush() with an offset that is not a PAGESIZE multiple raises OSError EINVAL on a writable map."""
    obs = check(o.Open(DATA, 0), o.Call("flush", 1, 2))
    assert raised(obs[-1]) == "OSError" and errno_of(obs[-1]) == errno.EINVAL


@pytest.mark.parametrize("args", [(-1, 2), (0, -1), (4, 7), (11, 0)])
@pytest.mark.clause("flush.range-check")
def test_flush_out_of_range_raises_valueerror(check, mmap_impl, args):
    """flush() with offset < 0, size < 0 or offset + size > len raises ValueError "flush values out of range"."""
    obs = check(o.Open(DATA, 0), o.Call("flush", *args))
    to_end = args == (0, -1) and since(mmap_impl, "3.15")  # 3.15: size -1 means "to the end"
    assert raised(obs[-1]) == (None if to_end else "ValueError")


@pytest.mark.clause("flush.offset-only")
def test_flush_with_offset_only_raises_up_to_3_14(check):
    """flush(offset) defaults size to len(m), so any offset > 0 raises ValueError (up to 3.14)."""
    obs = check(o.Open(DATA, 0), o.Call("flush", PAGE))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("args", [(0, 0), (PAGE, 0)])
@pytest.mark.clause("flush.zero")
def test_flush_of_nothing_succeeds(check, args):
    """flush(0, 0) and flush(len, 0) succeed (len a page multiple: msync wants an aligned start)."""
    obs = check(o.Open(b"x" * PAGE, 0), o.Call("flush", *args))
    assert raised(obs[-1]) is None


@pytest.mark.parametrize("access", ["ACCESS_READ", "ACCESS_COPY"])
@pytest.mark.parametrize("args, error", [((1, 2), None), ((5, 10), "ValueError")])
@pytest.mark.clause("flush.read-copy")
def test_flush_of_read_or_copy_map_only_checks_range(check, access, args, error):
    """flush() on ACCESS_READ and ACCESS_COPY maps validates the range and then does nothing."""
    obs = check(o.Open(DATA, 0, access=o.Const(access)), o.Call("flush", *args))
    assert raised(obs[-1]) == error and obs[-1]["file"] == DATA.hex()


@pytest.mark.clause("doc.move.copies")
def test_move_copies_count_bytes(check):
    """move(dest, src, count) copies count bytes from offset src to index dest."""
    obs = check(o.Open(DATA, 0), o.Call("move", 0, 5, 3))
    assert obs[-1]["data"] == b"5673456789".hex()


@pytest.mark.clause("doc.move.readonly-typeerror")
def test_move_on_read_only_map_raises_typeerror(check):
    """move() on an ACCESS_READ map raises TypeError."""
    obs = check(o.Open(DATA, 0, access=o.Const("ACCESS_READ")), o.Call("move", 0, 5, 3))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("args, data", [((5, 0, 5), b"0123401234"), ((2, 0, 6), b"0101234589"),
                                        ((0, 2, 6), b"2345676789")])
@pytest.mark.clause("move.basic")
def test_move_is_memmove(check, args, data):
    """move() has memmove semantics, keeps the position and returns None."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Call("move", *args))
    assert obs[-1]["out"] == ok() and obs[-1]["pos"] == 3 and obs[-1]["data"] == data.hex()


@pytest.mark.clause("move.zero")
def test_move_of_zero_bytes_at_end(check):
    """move() of count 0 succeeds even at dest = src = len."""
    obs = check(o.Open(DATA, 0), o.Call("move", 10, 10, 0))
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("args", [(-1, 0, 1), (0, -1, 1), (0, 0, -1), (8, 0, 3), (0, 8, 3),
                                  (2**62, 2**62, 2**62)])
@pytest.mark.clause("move.bounds")
def test_move_out_of_bounds_raises_valueerror(check, args):
    """Negative or out-of-range dest, src or count raise ValueError "source, destination, or count out of range"."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("move.readonly")
def test_move_read_only_check_precedes_bounds(check):
    """move() on an ACCESS_READ map raises TypeError, before the bounds check."""
    obs = check(o.Open(DATA, 0, access=o.Const("ACCESS_READ")), o.Call("move", 100, 0, 1))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("args", [(0, 1), (0, 1, 2, 3)])
@pytest.mark.clause("move.args")
def test_move_takes_exactly_three_arguments(check, args):
    """move() takes exactly 3 positional arguments."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("flags, access, outcome", [
    ("MS_SYNC", None, None), ("MS_ASYNC", None, None), ("MS_INVALIDATE", None, None),
    (0, None, None), (12345, None, "OSError"), (-1, None, "OSError"), (12345, "ACCESS_READ", None),
    (o.Text("x"), None, "TypeError"),
])
@pytest.mark.clause("flush.flags")
def test_flush_takes_msync_flags_from_3_15(check, flags, access, outcome):
    """From 3.15 flush() takes a keyword-only flags argument for msync(); offset and size are
    positional-only."""
    flags = o.Const(flags) if isinstance(flags, str) else flags
    kwargs = {"access": o.Const(access)} if access else {}
    obs = check(o.Open(DATA, 0, **kwargs), o.Call("flush", flags=flags), o.Call("flush", 0, 10, 4),
                o.Call("flush", offset=0), o.ModuleAttr("MS_SYNC"))
    assert raised(obs[1]) == outcome
    assert raised(obs[2]) == raised(obs[3]) == "TypeError"
    assert obs[4]["out"][0] == "ok"
