# SPDX-License-Identifier: MIT
"""The clause tests' hook: a test whose clause the catalogue does not hold at the profile of the
implementation under test (conformance/clauses.toml `versions`, e.g. ">=3.13" at 3.12) records
`na` for it and runs nothing; the version range is data, not an `if` in the test."""

import pytest

from conformance import clauses
from conformance.clausetools import catalogue, na


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    marker = pyfuncitem.get_closest_marker("clause")
    impl = pyfuncitem.funcargs.get("mmap_impl")
    entry = catalogue().get(marker.args[0]) if marker and marker.args else None
    if entry is not None and impl is not None and not clauses.holds(entry, impl.profile):
        na(f"the catalogue holds {entry['id']} for {entry['versions']}, not at the "
           f"{impl.profile} profile")
