# SPDX-License-Identifier: MIT
"""Known divergences per implementation, like WPT's metadata: `expectations/<name>.toml` holds

    impl = "stdlib"            # optional: the --impl spec or name it is for
    [[known]]
    id = "find @ find.empty: returns int, got raises ValueError"
                               # the finding's identity (conformance/engine/finding.py); written by
                               # --update-expectations with its steps:
    steps = ["[\"open\", ...]", ...]   # the finding's minimal ops, as JSON: replayed first
    clause = "read_byte"       # a catalogue clause id
    status = "diverge"         # or "crash"; "crash|diverge" for undefined behaviour (a
                               # use-after-free may crash or read garbage)
    reason = "why this is accepted"
    versions = "<3.13.8"       # optional: the releases it holds for ("<X.Y.Z", ">=X.Y.Z", both
                               # with a comma); one file then serves every patch release
    by_chance = true           # optional: only some random sequences reach it (the clause's
                               # other checks pass), so a run that passes it proves no fix

An entry with an `id` is one finding: a run replays its steps before anything else (known when
they show the same finding, stale when they pass, changed when they fail otherwise), and a
finding the exploration meets with that identity is known. An entry without one (written by
hand for a real CPython, with its versions) accepts any finding on its clause with its status.
A run with expectations passes when every finding is known; a new one, a known one that fails
differently, or a known one that now passes (stale) fails it.
"""

from __future__ import annotations

import json
import os
import re

from conformance.engine.ops import from_json
from conformance.results import FAILING, NotRegular, cells, open_regular, write_atomically
from impls.profiles import BOUND, within

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

KEYS = ("clause", "status", "reason")
OPTIONAL = ("versions", "by_chance", "id", "steps")


class BadExpectations(Exception):
    """An expectations file that cannot be used: the message is one line naming the file."""


def add_arguments(parser):
    parser.add_argument("--expectations", action="append", metavar="FILE",
                        help="known divergences (TOML, [[known]] clause/status/reason); "
                        "repeatable, one file per implementation")
    parser.add_argument("--expectations-dir", metavar="DIR",
                        help="find each implementation's known divergences in DIR/<name>.toml")
    parser.add_argument("--update-expectations", action="store_true",
                        help="rewrite the expectations files from this run's divergences")


def filename(name):
    """The file an implementation's expectations live in, within --expectations-dir."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".toml"


def parse(path, catalogue, missing_ok=False):
    """{"impl": str or None, "known": {id or clause: {"clause", "status", "reason", "versions",
    "by_chance", "id", "steps"}}} from one file."""
    if not os.path.exists(path):
        if missing_ok:
            return {"impl": None, "known": {}}
        raise BadExpectations(f"expectations {path}: no such file")
    impl, entries = _top_level(path, _load(path))
    known = {}
    for n, entry in enumerate(entries, 1):
        where = f"expectations {path}: [[known]] #{n}"
        key, parsed = _entry(where, entry, catalogue)
        if key in known:
            raise BadExpectations(f"{where}: {'id' if parsed['id'] else 'clause'} {key!r} is "
                                  "listed twice")
        known[key] = parsed
    return {"impl": impl, "known": known}


def _load(path):
    """The TOML of the file at `path`, as a dict."""
    try:
        with open_regular(path) as f:
            return tomllib.load(f)
    except NotRegular as exc:
        raise BadExpectations(f"expectations {exc}: give a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadExpectations(f"expectations {path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise BadExpectations(f"expectations {path}: cannot read it ({exc.strerror})") from None


def _top_level(path, data):
    """(impl, the [[known]] tables) of a file's TOML, checked."""
    extra = sorted(set(data) - {"impl", "known"})
    if extra:
        raise BadExpectations(f"expectations {path}: unknown top-level key {extra[0]!r} "
                              "(expected impl and [[known]] tables)")
    impl = data.get("impl")
    if impl is not None and not isinstance(impl, str):
        raise BadExpectations(f"expectations {path}: impl must be a string")
    entries = data.get("known", [])
    if not isinstance(entries, list):
        raise BadExpectations(f"expectations {path}: known must be [[known]] tables")
    return impl, entries


def _entry(where, entry, catalogue):
    """(its key: id or clause, the entry as parse() gives it) of one [[known]] table, checked."""
    if not isinstance(entry, dict):
        raise BadExpectations(f"{where} is not a table")
    extra = sorted(set(entry) - set(KEYS) - set(OPTIONAL))
    if extra:
        raise BadExpectations(f"{where} has an unknown key {extra[0]!r} "
                              f"(expected {', '.join(KEYS + OPTIONAL)})")
    versions = _versions(where, entry.get("versions"))
    if not isinstance(entry.get("by_chance", False), bool):
        raise BadExpectations(f"{where}: by_chance must be true or false")
    ident = entry.get("id")
    if ident is not None and (not isinstance(ident, str) or " @ " not in ident):
        raise BadExpectations(f"{where}: id must be a finding's identity, as "
                              "--update-expectations writes it")
    steps = _steps(where, ident, entry.get("steps"))
    for key in KEYS:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise BadExpectations(f"{where} needs {key} = \"...\"")
    clause, status = entry["clause"], entry["status"]
    # A finding's clause (with its id) is the one the engine named at the diverging step.
    if catalogue and clause not in catalogue and ident is None:
        close = [c for c in catalogue if c.split(".")[0] == clause.split(".")[0]][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise BadExpectations(f"{where}: clause {clause!r} is not in the catalogue{hint}")
    if not set(status.split("|")) <= set(FAILING):
        raise BadExpectations(f"{where}: status {status!r}, expected diverge, crash or "
                              "crash|diverge")
    return ident or clause, {"clause": clause, "status": status, "reason": entry["reason"],
                             "versions": versions, "by_chance": entry.get("by_chance", False),
                             "id": ident, "steps": steps}


def _versions(where, versions):
    if versions is not None and not (isinstance(versions, str) and all(
            BOUND.match(b) for b in versions.split(","))):
        raise BadExpectations(f"{where}: versions {versions!r}, expected bounds like "
                              "\"<3.13.8\" or \">=3.11,<3.11.4\"")
    return versions


def _steps(where, ident, steps):
    """An entry's steps as JSON values, checked to be ops; None without any."""
    if steps is None:
        return None
    if ident is None:
        raise BadExpectations(f"{where}: steps without the id of their finding")
    try:
        steps = [json.loads(step) for step in steps]
        ops = [from_json(step) for step in steps]
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise BadExpectations(f"{where}: steps are not the ops --update-expectations "
                              f"writes ({type(exc).__name__}: {exc})") from None
    if not ops:
        raise BadExpectations(f"{where}: steps is empty")
    return steps


def plan(args, catalogue):
    """Check the expectation options before anything runs: [(path, parsed)] or None."""
    files = args.expectations or []
    if args.update_expectations and not files and not args.expectations_dir:
        raise BadExpectations("--update-expectations needs --expectations FILE or "
                              "--expectations-dir DIR")
    if (args.expectations_dir and not os.path.isdir(args.expectations_dir)
            and not args.update_expectations):
        raise BadExpectations(f"--expectations-dir {args.expectations_dir}: no such folder")
    if not files and not args.expectations_dir:
        return None
    return [(path, parse(path, catalogue, missing_ok=args.update_expectations)) for path in files]


def assign(args, planned, infos, catalogue):
    """{impl spec: (path, parsed)}: explicit files by their `impl` key (or the only
    implementation), then DIR/<name>.toml for the rest."""
    out = {}
    for path, parsed in planned:
        target = _target(path, parsed["impl"], infos)
        if target["spec"] in out:
            raise BadExpectations(f"expectations {path}: a second file for {target['spec']} "
                                  f"(first {out[target['spec']][0]})")
        out[target["spec"]] = (path, parsed)
    if args.expectations_dir:
        for info in infos:
            if info["spec"] not in out:
                path = _in_folder(args.expectations_dir, info)
                out[info["spec"]] = (path, parse(path, catalogue, missing_ok=True))
    for info in infos:  # an entry for other releases of the same implementation does not apply
        if info["spec"] in out:
            path, parsed = out[info["spec"]]
            release = (info.get("about") or {}).get("full_version") or info.get("version")
            known = holding(parsed["known"], release)
            out[info["spec"]] = (path, dict(parsed, known=known, all_known=parsed["known"]))
    return out


def _target(path, want, infos):
    """The implementation (of `infos`) that the file at `path`, for `want`, is for."""
    if want is None:
        if len(infos) != 1:
            raise BadExpectations(f"expectations {path}: say which implementation it is for "
                                  f"(impl = \"...\"), the run checks {len(infos)}")
        return infos[0]
    target = next((i for i in infos if want in (i["spec"], i.get("name"))), None)
    if target is None:
        raise BadExpectations(f"expectations {path}: impl {want!r} is not one of this "
                              f"run's --impl ({', '.join(i['spec'] for i in infos)})")
    return target


def _in_folder(directory, info):
    """The path of an implementation's file in --expectations-dir: the first of its names
    that has one, else the file its name would have."""
    about = info.get("about") or {}
    # The stdlib of CPython 3.11, and cpython3.11.2 beside cpython3.11, share the file of
    # their CPython branch: the same implementation. fmmap or Pyodide, though they run
    # on a CPython, do not.
    versioned = f"{about.get('implementation', '')}{about.get('version', '')}"
    own_mmap = info["spec"] == "stdlib" or info["spec"].startswith(("cpython", "python:"))
    names = [info.get("name") or info["spec"], info["spec"]] + [versioned] * (
        bool(about) and own_mmap and about.get("runtime") != "pyodide")
    for name in dict.fromkeys(names):
        path = os.path.join(directory, filename(name))
        if os.path.exists(path):
            return path
    return os.path.join(directory, filename(info.get("name") or info["spec"]))


def judge(assigned, infos, rows, out):
    """Print each implementation's verdict against its expectations; mark known rows with
    `"expected": reason`. Returns {spec: {"known", "new", "changed", "stale", "unchecked"}},
    each a list of (what, status): a finding's identity, or a clause."""
    verdicts = {}
    for info in infos:
        spec = info["spec"]
        path, parsed = assigned.get(spec, (None, {"known": {}}))
        v = _verdict(parsed["known"], [r for r in rows if r["impl"] == spec])
        verdicts[spec] = v
        if path is None:
            continue
        counts = ", ".join(f"{len(v[k])} {k}" for k in v if v[k] or k in ("known", "new"))
        print(f"\nexpectations {path} for {spec}: {counts}", file=out)
        for what, status in v["new"]:
            print(f"  NEW {status} on {what}: not in {path}", file=out)
        for what, status in v["changed"]:
            print(f"  CHANGED {what}: now {status}, {path} expects otherwise", file=out)
        for what, _ in v["stale"]:
            print(f"  STALE {what} now passes: remove it from {path} "
                  "(or run with --update-expectations)", file=out)
        for what, _ in v["unchecked"]:
            print(f"  (not checked by this run: {what})", file=out)
    return verdicts


def _verdict(known, rows):
    """One implementation's rows against its known entries (see judge)."""
    v = {"known": [], "new": [], "changed": [], "stale": [], "unchecked": []}
    by_id = {e["id"]: e for e in known.values() if e.get("id")}
    by_clause = {e["clause"]: e for e in known.values() if not e.get("id")}
    seen = set()
    for row in rows:
        if row["status"] in FAILING:
            _judge_failing(v, row, by_id, by_clause, seen)
    statuses = cells(rows)
    replayed = {r["replayed"]: r for r in rows if r.get("replayed")}
    for key, entry in sorted(known.items()):
        if key in seen:
            continue
        if entry.get("id"):
            _judge_unmet_finding(v, key, entry, replayed.get(key))
        else:
            status = statuses.get((rows[0]["impl"], entry["clause"])) if rows else None
            _judge_unmet_clause(v, key, entry, status)
    return v


def _judge_failing(v, row, by_id, by_clause, seen):
    """A failing row: known (its row marked `expected`, its entry `seen`), new or changed."""
    record = row.get("finding") or {}
    ident = record.get("identity")
    entry = by_id.get(ident) or by_clause.get(row["clause"]) or by_clause.get(
        record.get("clause"))
    what = _named(row["clause"], ident)
    if entry is None and record.get("host_known"):  # the host's own, known to the host
        row["expected"] = record["host_known"]
        _add(v["known"], (what, row["status"]))
    elif entry is None:
        if row.get("replayed") in by_id:  # a known finding's steps, failing otherwise
            entry = by_id[row["replayed"]]
            _add(v["changed"], (_named(entry["clause"], entry["id"]),
                                f"{row['status']}: {what}"))
            seen.add(row["replayed"])
        _add(v["new"], (what, row["status"]))
    elif row["status"] not in entry["status"].split("|"):
        _add(v["changed"], (what, row["status"]))
    else:
        row["expected"] = entry["reason"]
        seen.add(entry["id"] or entry["clause"])
        _add(v["known"], (what, row["status"]))


def _judge_unmet_finding(v, key, entry, replayed):
    """A known finding the run did not meet: stale when its steps, `replayed`, now pass."""
    if replayed is not None and replayed["status"] == "pass":
        _add(v["stale"], (_named(entry["clause"], key), entry["status"]))
    elif replayed is None:
        _add(v["unchecked"], (_named(entry["clause"], key), entry["status"]))


def _judge_unmet_clause(v, key, entry, status):
    """A hand-written entry the run did not meet, its clause's `status` in the run."""
    # A known crash a run did not reach is no evidence of a fix: reaching it depends on
    # the ops drawn; so is one marked by_chance. A known divergence that passes is stale.
    if status == "pass" and not _by_chance(entry):
        _add(v["stale"], (key, entry["status"]))
    elif status in (None, "na", "pass"):
        _add(v["unchecked"], (key, entry["status"]))


def _named(clause, identity):
    """A finding as the verdict lines name it: its clause, then its identity."""
    return f"{clause} ({identity})" if identity else clause


def _add(items, item):
    if item not in items:
        items.append(item)


def failed(verdicts):
    return any(v["new"] or v["changed"] or v["stale"] for v in verdicts.values())


def update(assigned, infos, rows, out):
    """Rewrite every assigned file from this run: one entry per finding, with its identity and
    its shortest steps, keeping the reasons (and versions) already given."""
    for info in infos:
        spec = info["spec"]
        if spec not in assigned:
            continue
        path, parsed = assigned[spec]
        lines = [f"# Known divergences of {spec} from the reference (python -m conformance "
                 "--update-expectations).",
                 "# Each [[known]] needs a reason; its steps are replayed first in every run: a "
                 "new finding, or one of these passing, fails the run.",
                 f"impl = {_toml(parsed['impl'] or spec)}", ""]
        lines += _kept_and_found(parsed, _shortest(rows, spec))
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        write_atomically(path, "\n".join(lines))
        print(f"expectations {path} for {spec}: rewritten", file=out)


def _shortest(rows, spec):
    """{identity: (record, row)} of each finding of `spec` in `rows`, with its shortest steps
    (the host's own findings left out: they are in the host's own expectations)."""
    shortest = {}
    for row in rows:
        record = row.get("finding")
        if row["impl"] != spec or row["status"] not in FAILING or record is None:
            continue
        if record.get("host_known"):
            continue
        best = shortest.get(record["identity"])
        if best is None or len(record["steps"]) < len(best[0]["steps"]):
            shortest[record["identity"]] = (record, row)
    return shortest


def _kept_and_found(parsed, shortest):
    """The [[known]] lines of a rewritten file: this run's findings, each keeping the reason
    of the entry it met, then the entries to keep although the run did not meet them."""
    known = parsed["known"]
    lines, written = [], set()
    for ident, (record, row) in sorted(shortest.items()):
        old = known.get(ident) or next(
            (e for e in known.values() if not e.get("id") and e["clause"] in (
                row["clause"], record["clause"])), None) or {}
        reason = old.get("reason") or "TODO: why this is accepted. First seen: " + (
            (row.get("detail") or "").splitlines() or [""])[0]
        written.add(old.get("id") or old.get("clause"))
        lines += _entry_lines({**old, "id": ident, "clause": record["clause"],
                               "status": row["status"], "reason": reason,
                               "steps": record["steps"]})
    # Hand-written entries this run did not meet stay when a run may miss them (crashes, by
    # chance), and so do those for other releases.
    for key, entry in sorted(known.items()):
        if key not in written and not entry.get("id") and _by_chance(entry):
            lines += _entry_lines(entry)
    for key, entry in sorted(parsed.get("all_known", {}).items()):
        if key not in known:
            lines += _entry_lines(entry)
    return lines


def cpython_entry(directory, version, record, release=None):
    """The entry of CPython `version`'s own expectations (DIR/cpythonX.Y.toml) that covers a
    finding record (see covering); None without one."""
    if not directory or not version:
        return None
    branch = ".".join(str(version).split(".")[:2])
    return covering(os.path.join(directory, filename(f"cpython{branch}")), record,
                    release or branch)


def covering(path, record, release=None):
    """The entry of the expectations file at `path` that covers a finding record: its
    identity, or (an entry written by hand) its clause with a status the finding has; None
    without one (or without the file). `release` (X.Y.Z) picks the entries that hold for it."""
    try:
        parsed = parse(path, {}, missing_ok=True)
    except BadExpectations:
        return None
    known = holding(parsed["known"], release) if release else parsed["known"]
    status = "diverge" if record["kind"] == "diverge" else "crash"
    return known.get(record["identity"]) or next(
        (e for e in known.values() if not e.get("id") and e["clause"] == record["clause"]
         and status in e["status"].split("|")), None)


def holding(known, release):
    """The entries of `known` that hold for `release` (an entry may name the releases it
    covers)."""
    return {c: e for c, e in known.items() if within(e.get("versions"), release)}


def _by_chance(entry):
    """Whether a run that passes the entry's clause says nothing of it (see the module doc)."""
    return "crash" in entry["status"].split("|") or entry.get("by_chance", False)


def _entry_lines(entry):
    lines = ["[[known]]"] + ([f"id = {_toml(entry['id'])}"] if entry.get("id") else [])
    lines += [f"clause = {_toml(entry['clause'])}", f"status = {_toml(entry['status'])}",
              f"reason = {_toml(entry['reason'])}"]
    lines += [f"versions = {_toml(entry['versions'])}"] if entry.get("versions") else []
    lines += ["by_chance = true"] if entry.get("by_chance") else []
    if entry.get("steps"):
        lines.append("steps = [")
        for step in entry["steps"]:
            lines += [f"    # {from_json(step).py()}", f"    {_toml(json.dumps(step))},"]
        lines.append("]")
    return lines + [""]


def _toml(text):
    # A TOML basic string: JSON's escapes (\" \\ \n \uXXXX) are all valid TOML escapes.
    return json.dumps(text, ensure_ascii=False)
