# SPDX-License-Identifier: MIT
"""Clause tests: the buffer protocol and its consumers."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("doc.object.re")
def test_re_searches_a_map(check):
    """A map can be used where a byte string is expected, e.g. the re module can search it."""
    obs = check(o.Open(DATA, 0), o.Apply("re_search", b"3[0-9]"))
    assert obs[-1]["out"] == ok([3, 5])


@pytest.mark.parametrize("access, readonly", [(None, False), ("ACCESS_READ", True),
                                              ("ACCESS_COPY", False)])
@pytest.mark.clause("buffer.memoryview")
def test_memoryview_shape_and_writability(check, access, readonly):
    """memoryview(m) has format 'B', itemsize 1, ndim 1, shape (len,), and is read-only only for ACCESS_READ."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Seek(4), o.Apply("view_info"))
    assert obs[-1]["out"] == ok(["B", 1, 1, [10], readonly])


@pytest.mark.clause("buffer.write-through")
def test_writes_through_a_view_reach_map_and_file(check):
    """Writes through a memoryview reach the map and a shared file."""
    obs = check(o.Open(DATA, 0), o.Export(), o.ViewSet(0, 0, 65), o.Release(0),
                o.Call("flush"))
    assert obs[2]["data"].startswith("41") and obs[-1]["file"].startswith("41")


@pytest.mark.clause("buffer.close-exported")
def test_close_with_exports_raises_buffererror(check):
    """close() while a buffer is exported raises BufferError and the map stays open."""
    obs = check(o.Open(DATA, 0), o.Export(), o.Close(), o.Closed(), o.Release(0), o.Close())
    assert raised(obs[2]) == "BufferError" and obs[3]["out"] == ok(False)
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("access", [None, "ACCESS_READ"])
@pytest.mark.clause("buffer.resize-exported")
def test_resize_with_exports_raises_buffererror_first(check, access):
    """resize() while a buffer is exported raises BufferError before any other check."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Export(), o.Resize(5))
    assert raised(obs[-1]) == "BufferError"


@pytest.mark.parametrize("op", [o.Export(), o.Bytes(), o.Apply("bytearray")])
@pytest.mark.clause("buffer.closed")
def test_buffer_of_closed_map_raises_valueerror(check, op):
    """memoryview(), bytes() or bytearray() of a closed map raise ValueError."""
    obs = check(o.Open(DATA, 0), o.Close(), op)
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("op, value", [
    (o.Bytes(), DATA), (o.Apply("bytearray"), DATA),
    (o.Apply("md5"), "781e5e245d69b566979b86e28d23f2c7"),
    (o.Apply("unpack_from", "<H", 2), [0x3332]), (o.Apply("re_search", b"56"), [5, 7])])
@pytest.mark.clause("buffer.consumers")
def test_buffer_consumers_accept_a_map(check, op, value):
    """bytes(), bytearray(), hashlib, struct.unpack_from and re.search accept a map."""
    obs = check(o.Open(DATA, 0), op)
    assert obs[-1]["out"] == ok(value)


@pytest.mark.clause("buffer.re-closed")
def test_re_search_on_closed_map_raises_typeerror(check):
    """re.search on a closed map raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Close(), o.Apply("re_search", b"1"))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("buffer.outlives")
def test_view_keeps_mapping_alive_after_drop(check):
    """A memoryview keeps the mapping alive after the map object is dropped."""
    obs = check(o.Open(DATA, 0), o.Export(), o.Apply("drop"), o.ViewSet(0, 0, 65))
    assert obs[-1]["out"] == ok()


@pytest.mark.clause("buffer.writable-request-ro")
def test_writable_request_on_read_only_map_does_not_leak(check):
    """A writable buffer request on an ACCESS_READ map fails with TypeError without leaking an export."""
    obs = check(o.Open(DATA, 0, access=o.Const("ACCESS_READ")), o.Apply("from_buffer"), o.Close())
    assert raised(obs[1]) == "TypeError" and obs[-1]["out"] == ok()


@pytest.mark.clause("buffer.view-live")
def test_a_held_view_reads_the_map_as_it_is_now(check):
    """A memoryview held across other operations reads the map's bytes as they are then (writes through the map or another view show), and writes through it reach the map at once."""
    obs = check(o.Open(DATA, 0), o.Export(), o.Export(), o.SetItem(slice(0, 2), b"AB"),
                o.Call("move", 5, 0, 2), o.ViewGet(0, 0), o.ViewGet(0, slice(0, 7)),
                o.ViewSet(1, 9, 90), o.ViewGet(0, -1), o.GetItem(9))
    assert obs[5]["out"] == ok(65) and obs[6]["out"] == ok(b"AB234AB")
    assert obs[7]["data"].endswith("5a") and obs[8]["out"] == ok(90)
    assert obs[9]["out"] == ok(90)


@pytest.mark.clause("buffer.view-slice")
def test_a_slice_of_a_view_holds_the_export(check):
    """A slice of a memoryview of the map views the same bytes and holds the export as the view does: resize() and close() raise BufferError until every view and slice of it is released."""
    obs = check(o.Open(DATA, 0), o.Export(), o.ViewSlice(0, slice(2, 6)), o.Release(0),
                o.SetItem(3, 88), o.ViewGet(0, slice(None)), o.ViewSet(0, 0, 89), o.Resize(20),
                o.Close(), o.ViewSlice(0, slice(1, None, 2)), o.Release(0), o.ViewGet(0, 0),
                o.Close(), o.Release(0), o.Resize(20), o.Close())
    assert obs[5]["out"] == ok(b"2X45") and obs[6]["data"].startswith("303159")
    assert raised(obs[7]) == "BufferError" and raised(obs[8]) == "BufferError"
    assert obs[11]["out"] == ok(88) and raised(obs[12]) == "BufferError"
    assert obs[14]["out"] == ok() and obs[15]["out"] == ok()
