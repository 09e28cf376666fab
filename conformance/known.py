# SPDX-License-Identifier: MIT
"""Findings replayed from their stored steps, through the engine's Replayer: the known findings
of an implementation before anything else runs, and every finding on the host's own mmap.

A replay is deterministic and takes milliseconds: whether a known finding still shows never
depends on what a random exploration happens to reach.
"""

from __future__ import annotations

import sys

from conformance import finding
from conformance.ops import from_json
from conformance.shrink import Found, HarnessError, Replayer

# Where an implementation runs in a host interpreter's worker beside that interpreter's own
# mmap: what the host does too is the host's. For a subclass of the host's mmap.mmap, a bare
# subclass shows what every Python subclass does (python/cpython#70546: iteration gives ints).
HOSTS = (("stdlib", "the host's own mmap"),
         ("impls.host_subclass:mmap", "every Python subclass of the host's mmap.mmap"))


def replay(replayer, steps):
    """The Found that `steps` (op JSON) end in on `replayer`, or None where they all agree."""
    try:
        replayer.run([from_json(step) for step in steps])
    except Found as found:
        return found
    return None


def replay_known(spec, adapter, reference, entries, *, strict_messages, messages):
    """Result rows of the known `entries` (expectations, with steps) replayed on `adapter`:
    each row names the entry it replays ("replayed": its id)."""
    from conformance.repro import script

    replayer = Replayer(spec, adapter, reference, strict_messages=strict_messages,
                        messages=messages)
    rows = []
    for entry in entries:
        try:
            found = replay(replayer, entry["steps"])
        except HarnessError as exc:
            rows.append({"impl": spec, "clause": entry["clause"], "status": "error",
                         "repro": None, "replayed": entry["id"],
                         "detail": f"the known finding {entry['id']} could not be replayed: "
                                   f"{exc}"})
            continue
        if found is None:
            rows.append({"impl": spec, "clause": entry["clause"], "status": "pass",
                         "repro": None, "replayed": entry["id"],
                         "detail": f"the known finding's {len(entry['steps'])} stored steps "
                                   "agree with the reference now"})
            continue
        record = found.record(spec)
        rows.append({
            "impl": spec, "clause": found.clause, "status": finding.STATUS[record["kind"]],
            "detail": finding.detail(found.steps, found.trace[-1], found.got, found.fields),
            "repro": script(spec, adapter.profile, found.steps, found.trace, found.got,
                            clause=found.clause, fields=found.fields),
            "finding": record, "replayed": entry["id"]})
    return rows


def host_of(info):
    """Whether an implementation runs in a host interpreter's worker that also has its own
    mmap to compare with: a `module:factory` or fmmap, in the suite's own interpreter."""
    spec = info["spec"]
    return info.get("status") != "unavailable" and (
        spec == "fmmap" or (":" in spec and not spec.startswith(("python:", "reference"))))


def label_origins(infos, rows, *, timeout, strict_messages, messages, host_known=None):
    """Set each failing row's finding origin: "host" where the host's own mmap (or a bare
    subclass of it) ends the same steps in the same finding, with `host_known` (the host's
    expectations: a function of a finding record to a reason, or None) saying whether the host
    is known for it. Each identity is replayed once per host."""
    from impls.adapters import ReferenceAdapter, Unavailable
    from impls.interpreters import resolve

    for info in infos:
        if not host_of(info):
            continue
        mine = [r for r in rows if r["impl"] == info["spec"] and r.get("finding")]
        if not mine:
            continue
        reference = ReferenceAdapter(info["profile"])
        verdicts = {}
        try:
            for host_spec, what in HOSTS[:1 + bool((info.get("about") or {}).get(
                    "subclasses_mmap"))]:
                adapter = resolve(host_spec, timeout=timeout)
                try:
                    adapter.start()
                except Unavailable:
                    continue
                try:
                    replayer = Replayer(host_spec, adapter, reference,
                                        strict_messages=strict_messages, messages=messages)
                    done = set()
                    for row in mine:
                        record = row["finding"]
                        if (record["identity"] in done
                                or verdicts.get(record["identity"], (None,))[0] == "host"):
                            continue
                        done.add(record["identity"])
                        try:
                            found = replay(replayer, record["steps"])
                        except HarnessError:
                            found = None
                        if found is not None and found.identity == record["identity"]:
                            verdicts[record["identity"]] = ("host", what, host_spec,
                                                            adapter.version)
                        elif found is not None and found.kind != "diverge":
                            verdicts.setdefault(record["identity"], (
                                "crashes", what, host_spec, adapter.version))
                finally:
                    adapter.close()
        finally:
            reference.close()
        for row in mine:
            verdict = verdicts.get(row["finding"]["identity"])
            if verdict is None:
                continue
            kind, what, host_spec, version = verdict
            if kind == "host":
                row["finding"].update(origin="host", host=f"{what} ({host_spec}, Python "
                                                          f"{version or sys.version.split()[0]})")
                reason = host_known(row["finding"]) if host_known else None
                if reason:
                    row["finding"]["host_known"] = reason
            else:  # the implementation does otherwise, and the host's CPython dies there
                row["finding"]["cpython"] = (f"the host's own CPython {version} crashes on "
                                             "these steps too")
