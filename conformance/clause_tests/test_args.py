# SPDX-License-Identifier: MIT
"""Clause tests: argument types (float, None, str, __index__, bool, 2**100) and positional-only
parameters, method by method, and the constructor's; then maps dropped without close(). Every
method but the constructor (and, from 3.15, flush's flags) takes its arguments by position only,
in every version: probed on CPython 2.7.18, 3.6-3.12, 3.13.0, 3.13.18, 3.14.10 and 3.15.2."""

import pytest

from conformance.clausetools import DATA, holds, ok, raised, since
from conformance.engine import ops as o

HUGE = 2**100
# ops.Float(x) is a float the executor builds; a plain 1.5 would be encoded the same way, but
# spelling it out keeps the intent visible.
F = o.Float


# -- seek ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(F(1.5),), (None,), (o.Text("1"),), (0, F(1.0)), (0, None),
                                  (0, o.Text("1"))])
@pytest.mark.clause("seek.type")
def test_seek_rejects_non_integers(check, args):
    """seek() with a float, None or str position or whence raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Seek(*args))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["pos"] == 3


@pytest.mark.parametrize("args, pos", [((o.Index(2),), 2), ((True,), 1), ((0, o.Index(2)), 10),
                                       ((o.Index(-1), True), 2), ((False, False), 0)])
@pytest.mark.clause("seek.index")
def test_seek_accepts_index_objects_and_bool(check, args, pos):
    """seek() accepts __index__ objects and bool as the position and whence."""
    obs = check(o.Open(DATA, 0), o.Seek(3), o.Seek(*args))
    assert raised(obs[-1]) is None and obs[-1]["pos"] == pos


@pytest.mark.parametrize("whence", [HUGE, -HUGE])
@pytest.mark.clause("seek.whence-huge")
def test_seek_huge_whence_raises_overflowerror(check, whence):
    """seek(0, 2**100) raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Seek(0, whence))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.parametrize("args, kwargs", [((), {"pos": 1}), ((1,), {"whence": 0}),
                                          ((), {"offset": 1})])
@pytest.mark.clause("seek.kw")
def test_seek_takes_no_keywords(check, args, kwargs):
    """seek() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("seek", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["pos"] == 0


# -- write, write_byte ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{"data": b"ab"}, {"bytes": b"ab"}, {"b": b"ab"}])
@pytest.mark.clause("write.kw")
def test_write_takes_no_keywords(check, kwargs):
    """write() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("write", **kwargs))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("value, byte", [(o.Index(65), b"A"), (True, b"\x01")])
@pytest.mark.clause("write_byte.index")
def test_write_byte_accepts_index_objects_and_bool(check, mmap_impl, value, byte):
    """write_byte() accepts __index__ objects and bool (2.7 takes a 1-character str)."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", value))
    assert obs[-1]["out"] == ok() and obs[-1]["data"] == (byte + DATA[1:]).hex()


@pytest.mark.parametrize("value", [HUGE, None])
@pytest.mark.clause("write_byte.huge")
def test_write_byte_huge_or_none(check, mmap_impl, value):
    """write_byte(2**100) and write_byte(None) raise OverflowError and TypeError (both TypeError on 2.7)."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", value))
    py3_huge = value is HUGE and since(mmap_impl, "3.6")
    assert raised(obs[-1]) == ("OverflowError" if py3_huge else "TypeError")
    assert obs[-1]["pos"] == 0 and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("kwargs", [{"byte": 65}, {"value": 65}])
@pytest.mark.clause("write_byte.kw")
def test_write_byte_takes_no_keywords(check, kwargs):
    """write_byte() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("write_byte", **kwargs))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("value", [None, F(1.5), [1]])
@pytest.mark.parametrize("op", ["write", "find", "rfind", "setslice"])
@pytest.mark.clause("bytes-arg.type")
def test_bytes_argument_types(check, mmap_impl, op, value):
    """write(), find(), rfind() and slice assignment refuse None, a float or a list where a
    bytes-like object is expected: TypeError (IndexError for slice assignment on 2.7)."""
    step = o.SetItem(slice(0, 1), value) if op == "setslice" else o.Call(op, value)
    obs = check(o.Open(DATA, 0), step)
    py2_slice = op == "setslice" and not since(mmap_impl, "3.6")
    assert raised(obs[-1]) == ("IndexError" if py2_slice else "TypeError")
    assert obs[-1]["data"] == DATA.hex() and obs[-1]["pos"] == 0


# -- find, rfind ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.parametrize("args, outcome", [
    ((o.Index(2), o.Index(8)), 5), ((True,), None), ((0, True), -1), ((F(1.0),), "TypeError"),
    ((0, F(9.0)), "TypeError"), ((o.Text("1"),), "TypeError"), ((0, HUGE), "OverflowError"),
    ((-HUGE,), "OverflowError")])
@pytest.mark.clause("find.bound-types")
def test_find_bounds_types(check, method, args, outcome):
    """find() and rfind() bounds: a float or str raises TypeError, __index__ objects and bool are
    accepted, 2**100 raises OverflowError."""
    obs = check(o.Open(DATA + DATA, 0), o.Call(method, b"5", *args))
    if outcome is None:  # start=True: from index 1
        assert obs[-1]["out"] == ok(5 if method == "find" else 15)
    elif isinstance(outcome, int):
        assert obs[-1]["out"] == ok(outcome)
    else:
        assert raised(obs[-1]) == outcome


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.parametrize("end", [3, F(1.5), o.Text("x"), HUGE])
@pytest.mark.clause("find.none-start-end")
def test_none_start_ignores_end(check, mmap_impl, method, end):
    """From 3.14 find(sub, None, end) and rfind(sub, None, end) ignore end without converting
    it: an end of 3, 1.5, a str or 2**100 searches from the position to the end of the map
    (TypeError before 3.14)."""
    obs = check(o.Open(DATA + DATA, 0), o.Seek(2), o.Call(method, b"5", None, end))
    if since(mmap_impl, "3.14"):
        assert obs[-1]["out"] == ok(5 if method == "find" else 15)
    else:
        assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("kwargs", [{"sub": b"5"}, {"start": 1}])
@pytest.mark.clause("rfind.kw")
def test_rfind_takes_no_keywords(check, kwargs):
    """rfind() takes no keyword arguments (TypeError), in every version."""
    args = () if "sub" in kwargs else (b"5",)
    obs = check(o.Open(DATA, 0), o.Call("rfind", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError"


# -- flush ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(F(0.0),), (None,), (o.Text("0"),), (0, F(10.0)), (0, None),
                                  (0, o.Text("10"))])
@pytest.mark.clause("flush.type")
def test_flush_rejects_non_integers(check, mmap_impl, args):
    """flush() with a float, None or str offset or size raises TypeError (3.14 takes a None size
    as the rest of the map)."""
    obs = check(o.Open(DATA, 0), o.Call("flush", *args))
    none_size = args == (0, None) and since(mmap_impl, "3.14") and not since(mmap_impl, "3.15")
    assert raised(obs[-1]) == (None if none_size else "TypeError")


@pytest.mark.parametrize("args", [(o.Index(0), o.Index(10)), (False, True), (o.Index(0),)])
@pytest.mark.clause("flush.index")
def test_flush_accepts_index_objects_and_bool(check, mmap_impl, args):
    """flush() accepts __index__ objects and bool as offset and size."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(0, 1), b"A"), o.Call("flush", *args))
    assert obs[-1]["out"] == ok(None if since(mmap_impl, "3.8") else 0)
    assert obs[-1]["file"] == (b"A" + DATA[1:]).hex()


@pytest.mark.parametrize("args", [(HUGE,), (0, HUGE), (-HUGE,)])
@pytest.mark.clause("flush.overflow")
def test_flush_huge_arguments_raise_overflowerror(check, args):
    """flush(2**100) and flush(0, 2**100) raise OverflowError."""
    obs = check(o.Open(DATA, 0), o.Call("flush", *args))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.parametrize("args, kwargs", [((), {"offset": 0}), ((0,), {"size": 10}),
                                          ((), {"offset": 0, "size": 10})])
@pytest.mark.clause("flush.kw")
def test_flush_offset_and_size_are_positional_only(check, args, kwargs):
    """flush() takes offset and size by position only: as keywords they raise TypeError, in every
    version (3.15 adds only the keyword flags)."""
    obs = check(o.Open(DATA, 0), o.Call("flush", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError"


# -- resize --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [F(20.0), None, o.Text("20")])
@pytest.mark.clause("resize.type")
def test_resize_rejects_non_integers(check, size):
    """resize() of a float, None or str raises TypeError and leaves the map and file unchanged."""
    obs = check(o.Open(DATA, 0), o.Resize(size), o.Len(), o.Call("flush"))
    assert raised(obs[1]) == "TypeError" and obs[2]["out"] == ok(10)
    assert obs[-1]["file"] == DATA.hex()


@pytest.mark.parametrize("size, length", [(o.Index(5), 5), (o.Index(20), 20), (True, 1)])
@pytest.mark.clause("resize.index")
def test_resize_accepts_index_objects_and_bool(check, size, length):
    """resize() accepts an __index__ object or bool as the new size."""
    obs = check(o.Open(DATA, 0), o.Resize(size), o.Len())
    assert obs[1]["out"] == ok() and obs[2]["out"] == ok(length)


@pytest.mark.parametrize("size", [HUGE, -HUGE])
@pytest.mark.clause("resize.overflow")
def test_resize_huge_raises_overflowerror(check, size):
    """resize(2**100) raises OverflowError and leaves the map and file unchanged."""
    obs = check(o.Open(DATA, 0), o.Resize(size), o.Len(), o.Call("flush"))
    assert raised(obs[1]) == "OverflowError" and obs[2]["out"] == ok(10)
    assert obs[-1]["file"] == DATA.hex()


@pytest.mark.parametrize("kwargs", [{"newsize": 20}, {"size": 20}])
@pytest.mark.clause("resize.kw")
def test_resize_takes_no_keywords(check, kwargs):
    """resize() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("resize", **kwargs), o.Len())
    assert raised(obs[1]) == "TypeError" and obs[2]["out"] == ok(10)


# -- move ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(F(0.0), 1, 2), (0, F(1.0), 2), (0, 1, F(2.0)), (None, 1, 2),
                                  (0, None, 2), (0, 1, None), (0, 1, o.Text("2"))])
@pytest.mark.clause("move.type")
def test_move_rejects_non_integers(check, args):
    """move() with a float, None or str dest, src or count raises TypeError and copies nothing."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("args, data", [((o.Index(0), o.Index(1), o.Index(2)), b"1223456789"),
                                        ((True, False, True), b"0023456789")])
@pytest.mark.clause("move.index")
def test_move_accepts_index_objects_and_bool(check, args, data):
    """move() accepts __index__ objects and bool as dest, src and count."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args))
    assert obs[-1]["out"] == ok() and obs[-1]["data"] == data.hex()


@pytest.mark.parametrize("args", [(HUGE, 0, 1), (0, HUGE, 1), (0, 1, HUGE), (-HUGE, 0, 1)])
@pytest.mark.clause("move.overflow")
def test_move_huge_arguments_raise_overflowerror(check, args):
    """move() with a dest, src or count of 2**100 raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args))
    assert raised(obs[-1]) == "OverflowError" and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("args, kwargs", [((), {"dest": 0, "src": 1, "count": 2}),
                                          ((0, 1), {"count": 2})])
@pytest.mark.clause("move.kw")
def test_move_takes_no_keywords(check, args, kwargs):
    """move() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("move", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError" and obs[-1]["data"] == DATA.hex()


# -- madvise -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(F(0.0),), (None,), (o.Text("0"),), (0, F(0.0)), (0, None),
                                  (0, 0, F(1.0)), (0, 0, o.Text("1"))])
@pytest.mark.clause("madvise.type")
def test_madvise_rejects_non_integers(check, mmap_impl, args):
    """madvise() with a float, None or str option or start, or a float or str length, raises
    TypeError."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", *args))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("args", [(o.Index(0),), (o.Index(0), o.Index(0), o.Index(10)),
                                  (False, False, True)])
@pytest.mark.clause("madvise.index")
def test_madvise_accepts_index_objects_and_bool(check, mmap_impl, args):
    """madvise() accepts __index__ objects and bool as option, start and length (MADV_NORMAL is 0
    on Linux)."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", *args))
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("args", [(HUGE,), (0, HUGE), (0, 0, HUGE), (-HUGE,)])
@pytest.mark.clause("madvise.huge")
def test_madvise_huge_arguments_raise_overflowerror(check, mmap_impl, args):
    """madvise() with an option, start or length of 2**100 raises OverflowError."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", *args))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.parametrize("args, kwargs", [((), {"option": 0}), ((0,), {"start": 0}),
                                          ((0, 0), {"length": 10})])
@pytest.mark.clause("madvise.kw")
def test_madvise_takes_no_keywords(check, mmap_impl, args, kwargs):
    """madvise() takes no keyword arguments (TypeError), in every version."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError"


# -- methods without parameters, __exit__ --------------------------------------------------------


@pytest.mark.parametrize("method, args, kwargs", [
    ("close", (1,), {}), ("close", (), {"a": 1}), ("size", (1,), {}), ("size", (), {"a": 1}),
    ("tell", (), {"a": 1}), ("read_byte", (), {"a": 1}), ("readline", (), {"a": 1}),
    ("seekable", (1,), {}), ("seekable", (), {"a": 1}), ("__enter__", (1,), {}),
    ("__enter__", (), {"a": 1})])
@pytest.mark.clause("noargs.all")
def test_methods_without_parameters_reject_arguments(check, mmap_impl, method, args, kwargs):
    """close(), size(), tell(), read_byte(), readline(), seekable() and __enter__() take no
    arguments, positional or keyword (TypeError)."""
    obs = check(o.Open(DATA, 0), o.Call(method, *args, **kwargs))
    absent = not holds(mmap_impl, {"seekable": "seekable", "__enter__": "ctx"}.get(method, "noargs.all"))
    assert raised(obs[1]) == ("AttributeError" if absent else "TypeError")
    assert obs[0]["state"] == obs[1]["state"] == "open"


@pytest.mark.parametrize("args, kwargs", [((1, 2, 3, 4), {}), ((None,), {}),
                                          ((None, None, None), {"a": 1})])
@pytest.mark.clause("ctx.exit-args")
def test_exit_arguments(check, mmap_impl, args, kwargs):
    """__exit__() takes any positional arguments up to 3.13 and exactly 3 from 3.14; keyword
    arguments raise TypeError."""
    obs = check(o.Open(DATA, 0), o.Call("__exit__", *args, **kwargs))
    if kwargs or since(mmap_impl, "3.14"):
        assert raised(obs[-1]) == "TypeError" and obs[-1]["state"] == "open"
    else:
        assert obs[-1]["out"] == ok() and obs[-1]["state"] == "closed"


@pytest.mark.parametrize("args, kwargs", [((), {}), ((o.Text("a"), o.Text("b")), {}),
                                          ((), {"name": o.Text("x")}), ((None,), {}), ((1,), {})])
@pytest.mark.clause("set_name.args")
def test_set_name_arguments(check, args, kwargs):
    """set_name() takes exactly one positional argument: none, two or a keyword raise TypeError,
    and so does a name of None or an int."""
    obs = check(o.Open(None, 10), o.Call("set_name", *args, **kwargs))
    assert raised(obs[-1]) == "TypeError"


# -- slices --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key, outcome", [
    (slice(F(1.0), 3), "TypeError"), (slice(1, F(3.0)), "TypeError"),
    (slice(0, 4, F(2.0)), "TypeError"), (slice(o.Index(1), o.Index(3)), b"12"),
    (slice(True, 3), b"12"), (slice(0, 4, o.Index(2)), b"02")])
@pytest.mark.clause("slice.bound-types")
def test_slice_bound_types(check, key, outcome):
    """In m[a:b] and m[a:b] = v a float or str bound raises TypeError; __index__ objects and bool
    are accepted."""
    value = b"AB"
    obs = check(o.Open(DATA, 0), o.GetItem(key), o.SetItem(key, value))
    if outcome == "TypeError":
        assert raised(obs[1]) == raised(obs[2]) == "TypeError"
        assert obs[2]["data"] == DATA.hex()
    else:
        assert obs[1]["out"] == ok(outcome) and obs[2]["out"] == ok()
        assert obs[2]["data"] != DATA.hex()


@pytest.mark.parametrize("op", [o.SetItem(HUGE, 65), o.SetItem(-HUGE, 65), o.SetItem(HUGE, F(1.0)),
                                o.SetItem(HUGE, b"A"), o.DelItem(HUGE)])
@pytest.mark.clause("setitem.huge-index")
def test_huge_index_assignment_raises_indexerror(check, op):
    """m[2**100] = v and del m[2**100] raise IndexError "cannot fit 'int' into an index-sized
    integer", whatever v is."""
    obs = check(o.Open(DATA, 0), op)
    assert raised(obs[-1]) == "IndexError" and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("key, value", [
    (slice(HUGE, -HUGE, -1), DATA[::-1]), (slice(None, None, HUGE), DATA[:1]),
    (slice(None, None, -HUGE), DATA[-1:]), (slice(HUGE, 2 * HUGE), b""),
    (slice(-HUGE, HUGE), DATA)])
@pytest.mark.clause("slice.huge-bounds")
def test_huge_slice_bounds_are_clamped(check, key, value):
    """Slice bounds and steps of 2**100 are clamped, never an error: m[2**100:-2**100:-1] is the
    map reversed, m[::2**100] its first byte."""
    obs = check(o.Open(DATA, 0), o.GetItem(key), o.SetItem(key, value.lower()))
    assert obs[1]["out"] == ok(value) and obs[2]["out"] == ok()


# -- the constructor -----------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"flags": F(1.0)}, {"flags": None}, {"prot": F(3.0)}, {"prot": o.Text("3")},
    {"access": F(1.0)}, {"access": None}, {"offset": F(0.0)}, {"offset": o.Text("0")}])
@pytest.mark.clause("ctor.args.type")
def test_ctor_rejects_non_integer_arguments(check, kwargs):
    """A float, None or str flags, prot, access or offset raises TypeError."""
    obs = check(o.Open(DATA, 0, **kwargs))
    assert raised(obs[0]) == "TypeError"


@pytest.mark.parametrize("kwargs, writable", [
    ({"fileno": o.FD_INDEX}, True), ({"flags": o.Index(1)}, True), ({"flags": True}, True), ({"prot": o.Index(1)}, False),
    ({"prot": o.Index(3)}, True), ({"access": o.Index(1)}, False), ({"access": True}, False),
    ({"offset": o.Index(0)}, True), ({"offset": False}, True)])
@pytest.mark.clause("ctor.args.index")
def test_ctor_accepts_index_objects_and_bool(check, kwargs, writable):
    """fileno, flags, prot, access and offset accept __index__ objects and bool (MAP_SHARED and
    ACCESS_READ are 1, PROT_READ | PROT_WRITE 3 on Linux)."""
    kwargs = dict(kwargs)  # the parameter is shared by every implementation's run
    fileno = kwargs.pop("fileno", None)
    obs = check(o.Open(DATA, 0, fileno=fileno, **kwargs), o.Len(), o.SetItem(slice(0, 1), b"A"))
    assert obs[0]["out"] == ok() and obs[1]["out"] == ok(10)
    assert raised(obs[2]) == (None if writable else "TypeError")


@pytest.mark.parametrize("args, kwargs", [
    ((HUGE, 10), {}), ((-1, 10), {"flags": HUGE}), ((-1, 10), {"prot": HUGE}),
    ((-1, 10), {"access": HUGE}), ((-1, 10), {"offset": HUGE}), ((-1, 10), {"offset": -HUGE})])
@pytest.mark.clause("ctor.args.huge")
def test_ctor_huge_arguments_raise_overflowerror(check, args, kwargs):
    """A fileno, flags, prot, access or offset of 2**100 raises OverflowError."""
    obs = check(o.OpenRaw(None, args, kwargs))
    assert raised(obs[0]) == "OverflowError"


@pytest.mark.parametrize("args, kwargs, error", [
    ((), {"fileno": o.FD, "length": 0, "flags": o.Const("MAP_SHARED"),
          "prot": o.Const("PROT_READ"), "access": 0, "offset": 0}, None),
    ((o.FD, 0), {"length": 0}, "TypeError"), ((o.FD, 0, o.Const("MAP_SHARED")), {"flags": 1},
                                               "TypeError"),
    ((o.FD, 0), {"bogus": 1}, "TypeError"), ((o.FD, 0), {"size": 4}, "TypeError"),
    ((o.FD, 0, o.Const("MAP_SHARED"), 3, 0, 0, True), {}, "TypeError")])
@pytest.mark.clause("ctor.kw")
def test_ctor_keywords(check, args, kwargs, error):
    """Every constructor parameter may be given by keyword; a keyword also given by position, an
    unknown one, or a 7th positional argument (trackfd is keyword-only) raises TypeError."""
    obs = check(o.OpenRaw({"data": DATA.hex(), "mode": "r+"}, args, kwargs))
    assert raised(obs[0]) == error


@pytest.mark.parametrize("trackfd, tracked", [(None, False), (F(0.0), False), (o.Text(""), False),
                                              (o.Index(0), True), (o.Text("no"), True)])
@pytest.mark.clause("ctor.trackfd.truth")
def test_trackfd_takes_any_truth_value(check, trackfd, tracked):
    """trackfd takes any object's truth value: None and 0.0 are false."""
    obs = check(o.Open(DATA, 0, trackfd=trackfd), o.Call("size"))
    assert obs[0]["out"] == ok()
    if tracked:
        assert obs[1]["out"] == ok(10)
    else:
        assert raised(obs[1]) in ("OSError", "ValueError")  # EBADF; ValueError from 3.15


# -- dropping maps without close() ---------------------------------------------------------------


@pytest.mark.clause("del.fd-closed")
def test_dropping_maps_closes_their_descriptors(check):
    """Dropping file maps without close() closes their duplicated descriptors: 50 maps hold 50
    descriptors, none once dropped."""
    obs = check(o.Open(DATA, 0), o.Apply("drop_fds", 50, True, None))
    assert obs[-1]["out"] == ok([50, 0])


@pytest.mark.clause("del.no-fd-growth")
def test_creating_and_dropping_many_maps_leaks_no_descriptor(check):
    """Creating and dropping 1,000 file maps one at a time without close() leaves no descriptor
    behind."""
    obs = check(o.Open(DATA, 0), o.Apply("drop_fds", 1000, False, None))
    assert obs[-1]["out"] == ok([None, 0])


@pytest.mark.clause("del.no-memory-growth")
def test_creating_and_dropping_many_anonymous_maps_releases_memory(check):
    """Creating and dropping 1,000 anonymous maps of 1 MiB one at a time without close() releases
    their memory: the process's mapped memory grows by less than 64 MiB."""
    obs = check(o.Open(None, 10), o.Apply("drop_anon", 1000, 2**20, 64 * 2**20))
    assert obs[-1]["out"] == ok(True)
