# SPDX-License-Identifier: MIT
"""Small helpers the clause tests share: expected outcomes in the executor's JSON form, and the
profile of the implementation under test."""

import errno
import functools

import pytest

from impls.profiles import key

DATA = b"0123456789"


def enc(v):
    """A Python value as an observation holds it."""
    if isinstance(v, bytes):
        return {"b": v.hex()}
    if isinstance(v, str):
        return {"text": v}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    return v


def ok(value=None):
    return ["ok", enc(value)]


def raised(obs):
    """The exception type name of an observation, or None when it returned."""
    return obs["out"][1] if obs["out"][0] == "exc" else None


def errno_of(obs):
    """The errno of an OSError outcome, as this platform numbers it (outcomes carry its name)."""
    name = obs["out"][2]
    return getattr(errno, name) if isinstance(name, str) else name


def since(impl, version):
    """Whether the implementation's profile is `version` or newer: only for a test whose
    assertions differ by version within one clause (every branch asserting something). A clause
    that holds only in some versions says so in the catalogue's `versions`, and its tests
    record `na` elsewhere (conformance/clause_tests/conftest.py); see holds() for a fact of another clause."""
    return key(impl.profile) >= key(version)


def holds(impl, clause):
    """Whether catalogue clause `clause` holds at the implementation's profile (its `versions`
    in conformance/clauses.toml): a test that depends on what another clause states (repr()
    showing the access, madvise() to split a mapping) asks the catalogue, not a version."""
    from conformance import clauses

    return clauses.holds(catalogue()[clause], impl.profile)


@functools.cache
def catalogue():
    """conformance/clauses.toml, loaded once."""
    from conformance import clauses

    return clauses.load()


def checks_item_first(impl):
    """Item assignment checks access, key, deletion and value before "closed" and the range
    (3.13.18, 3.14.10 and later: the C reference's per-profile features, native/refmmap.c)."""
    from impls.profiles import Profile

    return Profile(impl.profile).setitem_checks_first


def na(reason):
    """This clause cannot apply to the implementation: recorded as `na`."""
    pytest.skip("na: " + reason)
