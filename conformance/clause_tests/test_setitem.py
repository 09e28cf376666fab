# SPDX-License-Identifier: MIT
"""Clause tests: item and slice assignment and deletion."""

import pytest

from conformance.clausetools import DATA, checks_item_first, ok, raised
from conformance.engine import ops as o

READ = {"access": o.Const("ACCESS_READ")}


@pytest.mark.clause("doc.object.mutable")
def test_map_is_mutable(check):
    """Unlike bytes objects, map objects are mutable."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65))
    assert obs[-1]["data"] == b"A123456789".hex()


@pytest.mark.clause("doc.setitem.single")
def test_assigning_an_index_changes_one_byte(check):
    """A single byte can be changed by assigning to obj[index]."""
    obs = check(o.Open(DATA, 0), o.SetItem(3, ord("a")), o.GetItem(slice(None)))
    assert obs[-1]["out"] == ok(b"012a456789")


@pytest.mark.clause("doc.setitem.slice")
def test_assigning_a_slice_changes_a_run(check):
    """A run of bytes can be changed by assigning to a slice obj[i1:i2]."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(2, 5), b"abc"), o.GetItem(slice(None)))
    assert obs[-1]["out"] == ok(b"01abc56789")


@pytest.mark.parametrize("key, value", [(0, 255), (-1, 0), (o.Index(2), True), (3, o.Index(7))])
@pytest.mark.clause("setitem.int")
def test_item_assignment_stores_an_int(check, key, value):
    """m[i] = v stores an int 0..255; bool, __index__ values and negative i are accepted."""
    obs = check(o.Open(DATA, 0), o.SetItem(key, value))
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("value", [256, -1])
@pytest.mark.clause("setitem.range")
def test_item_value_out_of_byte_range_raises(check, value):
    """A value outside 0..255 raises ValueError "mmap item value must be in range(0, 256)"."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, value))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("setitem.huge-value")
def test_huge_item_value_raises_typeerror(check):
    """m[0] = 2**100 raises TypeError "cannot fit 'int' into an index-sized integer"."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 2**100))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("value", [b"A", o.Text("A"), o.Float(1.0)])
@pytest.mark.clause("setitem.type")
def test_non_int_item_value_raises_typeerror(check, value):
    """A bytes, str or float value raises TypeError "mmap item value must be an int"."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, value))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("value", [1, b"bad"])
@pytest.mark.clause("setitem.oob")
def test_out_of_range_assignment_raises_indexerror_first(check, mmap_impl, value):
    """An out-of-range index raises IndexError, checked before the value's type (after it from
    3.13.18 and 3.14.10)."""
    obs = check(o.Open(DATA, 0), o.SetItem(10, value))
    late = checks_item_first(mmap_impl) and value == b"bad"
    assert raised(obs[-1]) == ("TypeError" if late else "IndexError")


@pytest.mark.parametrize("key", [o.Text("a"), o.Float(0.0)])
@pytest.mark.clause("setitem.badkey")
def test_non_integer_assignment_key_raises_typeerror(check, key):
    """A str or float key raises TypeError "mmap indices must be integer"."""
    obs = check(o.Open(DATA, 0), o.SetItem(key, 1))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("s, value", [(slice(0, 2), b"AB"), (slice(0, 2), o.ByteArray(b"AB")),
                                      (slice(0, 2), o.MemView(b"AB")), (slice(8, 100), b"XY")])
@pytest.mark.clause("setslice")
def test_slice_assignment_takes_bytes_like_of_exact_length(check, s, value):
    """m[a:b] = buf takes any C-contiguous bytes-like object of exactly the clamped slice's length."""
    obs = check(o.Open(DATA, 0), o.SetItem(s, value))
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("s, value", [(slice(0, 3), b"AB"), (slice(0, 1), b"AB"),
                                      (slice(None, None, 2), b"AB")])
@pytest.mark.clause("setslice.wrong-size")
def test_wrong_size_slice_value_raises_indexerror(check, s, value):
    """A value of the wrong length raises IndexError "mmap slice assignment is wrong size"."""
    obs = check(o.Open(DATA, 0), o.SetItem(s, value))
    assert raised(obs[-1]) == "IndexError"


@pytest.mark.parametrize("value", [o.Text("ab"), [1, 2], 12])
@pytest.mark.clause("setslice.type")
def test_non_bytes_like_slice_value_raises_typeerror(check, value):
    """A str, list or int value raises TypeError "a bytes-like object is required"."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(0, 2), value))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("s", [slice(None, None, -1), slice(None, None, 3), slice(8, 1, -3)])
@pytest.mark.clause("setslice.step")
def test_extended_slice_assignment_follows_list_semantics(check, s):
    """Extended and negative-step slice assignment follows list semantics."""
    expect = bytearray(DATA)
    expect[s] = b"abcdefghij"[:len(range(*s.indices(10)))]
    obs = check(o.Open(DATA, 0), o.SetItem(s, bytes(b"abcdefghij"[:len(range(*s.indices(10)))])))
    assert obs[-1]["data"] == bytes(expect).hex()


@pytest.mark.clause("setslice.step0")
def test_zero_step_assignment_raises_valueerror(check):
    """Assignment to a zero-step slice raises ValueError "slice step cannot be zero"."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(None, None, 0), b""))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("s", [slice(3, 3), slice(5, 2), slice(20, 30)])
@pytest.mark.clause("setslice.empty")
def test_empty_slice_accepts_empty_bytes(check, s):
    """Empty and reversed slices accept b"" as a no-op."""
    obs = check(o.Open(DATA, 0), o.SetItem(s, b""))
    assert obs[-1]["out"] == ok() and obs[-1]["data"] == DATA.hex()


@pytest.mark.parametrize("value", [o.SelfView(5, 10)])
@pytest.mark.clause("setslice.overlap")
def test_assignment_from_overlapping_own_memory(check, value):
    """Assigning from an overlapping view of the map itself works."""
    obs = check(o.Open(DATA, 0), o.SetItem(slice(0, 5), value))
    assert obs[-1]["data"] == b"5678956789".hex()


@pytest.mark.parametrize("key, value", [(0, 65), (100, 1), (0, b"bad"), (slice(0, 3), b"A")])
@pytest.mark.clause("setitem.readonly")
def test_any_assignment_on_read_only_map_raises_typeerror(check, key, value):
    """Any assignment on an ACCESS_READ map raises TypeError, before index and size checks."""
    obs = check(o.Open(DATA, 0, **READ), o.SetItem(key, value))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("key, error", [(0, "TypeError"), (slice(0, 2), "TypeError"),
                                        (100, "IndexError")])
@pytest.mark.clause("delitem")
def test_deletion_raises(check, mmap_impl, key, error):
    """del m[i] and del m[a:b] raise TypeError (an out-of-range index raises IndexError first,
    up to 3.13.17 and 3.14.9)."""
    obs = check(o.Open(DATA, 0), o.DelItem(key))
    assert raised(obs[-1]) == ("TypeError" if checks_item_first(mmap_impl) else error)
