# SPDX-License-Identifier: MIT
"""Known upstream issues of a finding (conformance/reporting/upstream.toml): an issue text says whether the
tracker already knows, or that none was recorded as of the data's date. Stdlib only."""

from __future__ import annotations

import fnmatch
import functools
import os

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upstream.toml")


@functools.cache
def load(path=DATA):
    """(date checked, [issue tables]) of the data file."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return data["checked"], tuple(data.get("issue", ()))


def issues_of(record, impl, *, name=None, path=DATA):
    """The recorded upstream issues that cover a finding `record` of the implementation `impl`
    (its --impl spec; `name` too): by implementation, then by clause or identity. What the host's
    own mmap does (origin host) is CPython's, whatever the implementation."""
    _, issues = load(path)
    owners = {impl, name or impl}
    if impl == "stdlib" or record.get("origin") == "host":
        owners.add("cpython")
    found = []
    for issue in issues:
        if not any(fnmatch.fnmatch(owner, pattern) for owner in owners
                   for pattern in issue.get("impl", ["*"])):
            continue
        if any(fnmatch.fnmatch(record["clause"], p) for p in issue.get("clause", ())) or any(
                fnmatch.fnmatch(record["identity"], p) for p in issue.get("id", ())):
            found.append(issue)
    return found


def line(record, impl, *, name=None, path=DATA):
    """The issue text's Upstream line."""
    checked, _ = load(path)
    found = issues_of(record, impl, name=name, path=path) if record else []
    if not found:
        return f"- **Upstream:** none recorded as of {checked}"
    said = [f"[{_short(i['url'])}]({i['url']}) ({i['status']}"
            + (f", fixed in {i['fixed_in']}" if i.get("fixed_in") else "") + f"): {i['about']}"
            for i in found]
    return f"- **Upstream** (as of {checked}): " + "; ".join(said)


def _short(url):
    """owner/repo#N of an issue URL."""
    parts = url.rstrip("/").split("/")
    return f"{parts[-4]}/{parts[-3]}#{parts[-1]}" if len(parts) >= 4 else url
