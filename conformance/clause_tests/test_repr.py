# SPDX-License-Identifier: MIT
"""Clause tests: repr, identity, hashing, pickling and the other dunders."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("repr.open")
def test_repr_of_open_map_names_its_state(check):
    """repr() of an open map is <mmap.mmap closed=False, access=..., length=N, pos=P, offset=O> from 3.9."""
    obs = check(o.Open(DATA, 0, prot=o.Const("PROT_WRITE")), o.Seek(2), o.Repr())
    assert obs[-1]["out"] == ok(
        "<mmap.mmap closed=False, access=ACCESS_WRITE, length=10, pos=2, offset=0>")


@pytest.mark.clause("repr.closed")
def test_repr_of_closed_map(check):
    """repr() of a closed map is <mmap.mmap closed=True> from 3.9 and never raises."""
    obs = check(o.Open(None, 4), o.Close(), o.Repr())
    assert obs[-1]["out"] == ok("<mmap.mmap closed=True>")


@pytest.mark.parametrize("op, other, result", [
    ("==", o.SELF, True), ("!=", o.SELF, False), ("==", o.OTHER, False), ("==", DATA, False)])
@pytest.mark.clause("eq.identity")
def test_equality_is_identity(check, op, other, result):
    """Equality is identity: a map equals only itself, never another map with equal bytes nor bytes."""
    obs = check(o.Open(DATA, 0), o.Open2(0), o.Apply("binop", op, other))
    assert obs[-1]["out"] == ok(result)


@pytest.mark.clause("order")
def test_ordering_maps_raises_typeerror(check):
    """Ordering comparisons between maps raise TypeError."""
    obs = check(o.Open(DATA, 0), o.Apply("binop", "<", o.SELF))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("hash")
def test_map_hash_is_identity_even_when_closed(check):
    """A map is hashable with an identity hash, also when closed."""
    obs = check(o.Open(None, 4), o.Apply("hash"), o.Close(), o.Apply("hash"))
    assert obs[1]["out"] == obs[3]["out"] == ok(True)


@pytest.mark.clause("bool")
def test_bool_is_true_open_and_raises_closed(check):
    """bool(m) is True for an open map and raises ValueError on a closed one."""
    obs = check(o.Open(None, 4), o.Bool(), o.Close(), o.Bool())
    assert obs[1]["out"] == ok(True) and raised(obs[3]) == "ValueError"


@pytest.mark.parametrize("how, args", [("pickle", (2,)), ("pickle", (0,)), ("copy", ()),
                                       ("deepcopy", ()), ("reduce_ex", (2,))])
@pytest.mark.clause("pickle")
def test_pickling_or_copying_raises_typeerror(check, how, args):
    """Pickling and copying a map raise TypeError."""
    obs = check(o.Open(None, 4), o.Apply(how, *args))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("weakref")
def test_weak_reference_to_open_and_closed_map(check):
    """weakref.ref(m) works, also on a closed map."""
    obs = check(o.Open(None, 4), o.Apply("weakref"), o.Close(), o.Apply("weakref"))
    assert obs[1]["out"] == obs[3]["out"] == ok(True)


@pytest.mark.parametrize("op, other", [("+", o.SELF), ("+", b""), ("*", 2), ("r*", 2)])
@pytest.mark.clause("concat-repeat")
def test_concatenation_and_repetition_raise_typeerror(check, op, other):
    """m + x and m * n raise TypeError."""
    obs = check(o.Open(DATA, 0), o.Apply("binop", op, other))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("radd-bytes")
def test_bytes_plus_map_concatenates(check):
    """b"x" + m concatenates the map's bytes."""
    obs = check(o.Open(DATA, 0), o.Apply("binop", "r+", b"x"))
    assert obs[-1]["out"] == ok(b"x" + DATA)


@pytest.mark.clause("inplace")
def test_map_has_no_inplace_add(check):
    """A map has no __iadd__."""
    obs = check(o.Open(DATA, 0), o.Apply("hasattr", "__iadd__"))
    assert obs[-1]["out"] == ok(False)


@pytest.mark.parametrize("helper", ["dunder_buffer", "is_buffer"])
@pytest.mark.clause("dunder-buffer")
def test_buffer_dunder_from_3_12(check, helper):
    """From 3.12 m.__buffer__(flags) returns a memoryview and maps are collections.abc.Buffer."""
    obs = check(o.Open(DATA, 0), o.Apply(helper))
    assert obs[-1]["out"] == ok(["memoryview", 10] if helper == "dunder_buffer" else True)


@pytest.mark.clause("not-sequence-abc")
def test_map_is_not_a_sequence(check):
    """A map is not a collections.abc.Sequence."""
    obs = check(o.Open(DATA, 0), o.Apply("is_sequence"))
    assert obs[-1]["out"] == ok(False)


@pytest.mark.clause("closed-readonly-attr")
def test_closed_attribute_is_read_only(check):
    """Assigning m.closed raises AttributeError."""
    obs = check(o.Open(DATA, 0), o.Apply("setattr", "closed", True))
    assert raised(obs[-1]) == "AttributeError"


@pytest.mark.parametrize("data, result", [(b"0123456789", 123456789), (b"12ab", None)])
@pytest.mark.clause("int-buffer")
def test_int_parses_the_maps_bytes(check, data, result):
    """int(m) parses the map's bytes as a decimal number, like int(bytes)."""
    obs = check(o.Open(data, 0), o.Apply("int"))
    assert obs[-1]["out"] == ok(result) if result else raised(obs[-1]) == "ValueError"
