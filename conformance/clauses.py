# SPDX-License-Identifier: MIT
"""The clause catalogue: conformance/clauses.toml loaded as {id: {"id", "source", "text", ...}},
and whether a clause holds at a profile (its `versions` range)."""

from __future__ import annotations

import os

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clauses.toml")


def holds(clause, profile):
    """Whether a catalogue clause (its entry) holds at `profile` ("3.11", "3.13.8"): its
    `versions` is "all" or bounds joined by commas (">=3.13", "<3.15", ">=3.8,<3.14"). The one
    place a clause's version range is read: outside it the clause tests record `na`, and a run
    needs no result for it (conformance/results.py applies)."""
    from impls.profiles import within

    return within(str(clause.get("versions", "all")).strip(), profile)


def load(path=PATH):
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {c["id"]: c for c in data.get("clause", [])}
