# SPDX-License-Identifier: MIT
"""The clause catalogue: conformance/clauses.toml loaded as {id: {"id", "source", "text", ...}}."""

from __future__ import annotations

import os

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clauses.toml")


def load(path=PATH):
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {c["id"]: c for c in data.get("clause", [])}
