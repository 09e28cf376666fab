# SPDX-License-Identifier: MIT
"""The clause tests' hook: a clause the catalogue does not hold at the profile of the
implementation under test (conformance/clauses.toml `versions`, e.g. ">=3.13" at 3.12) is `na`
there, the version range being data, not an `if` in the test. Its test still runs: `check`
compares the implementation with the reference at every step, and a difference is a finding at
any profile. Only where every step agreed is the clause recorded `na` (the test's own claims
about the reference being the catalogue's, which do not hold there)."""

import json

import pytest

from conformance import clauses
from conformance.clausetools import catalogue
from conformance.pytest_plugin import RESULTS_KEY


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    marker = pyfuncitem.get_closest_marker("clause")
    impl = pyfuncitem.funcargs.get("mmap_impl")
    entry = catalogue().get(marker.args[0]) if marker and marker.args else None
    outcome = yield
    if entry is None or impl is None:
        return
    # An interpreter's own release where it has one: the 3.11 profile covers 3.11.2 and 3.11.7.
    release = impl.version or impl.profile
    if clauses.holds(entry, release):
        return
    excinfo = outcome.excinfo
    if excinfo is None or issubclass(excinfo[0], AssertionError):  # check() fails otherwise
        pyfuncitem.user_properties[:] = [  # its agreement is no pass of a clause not held here
            (k, v) for k, v in pyfuncitem.user_properties
            if k != RESULTS_KEY or json.loads(v)["status"] != "pass"]
        outcome.force_exception(pytest.skip.Exception(
            f"na: the catalogue holds {entry['id']} for {entry['versions']}, not at "
            f"{release}", allow_module_level=False))
