# SPDX-License-Identifier: MIT
"""The clause tests' hook: a test whose clause the catalogue does not hold at the implementation
under test (conformance/clauses.toml `versions`, e.g. ">=3.13" at 3.12) records `na` for it and
runs nothing; the version range is data, not an `if` in the test. An interpreter is held to its
own release where it has one: the 3.11 profile covers 3.11.2 (not ">=3.11.4") and 3.11.7 (which
is); the reference, to its profile."""

import pytest

from conformance import clauses
from conformance.clausetools import catalogue, na


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    marker = pyfuncitem.get_closest_marker("clause")
    impl = pyfuncitem.funcargs.get("mmap_impl")
    entry = catalogue().get(marker.args[0]) if marker and marker.args else None
    if entry is None or impl is None:
        return
    release = impl.version or impl.profile
    if not clauses.holds(entry, release):
        na(f"the catalogue holds {entry['id']} for {entry['versions']}, not at {release}")
