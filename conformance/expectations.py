# SPDX-License-Identifier: MIT
"""Known divergences per implementation, like WPT's metadata: `expectations/<name>.toml` holds

    impl = "stdlib"            # optional: the --impl spec or name it is for
    [[known]]
    clause = "read_byte"       # a catalogue clause id
    status = "diverge"         # or "crash"; "crash|diverge" for undefined behaviour (a
                               # use-after-free may crash or read garbage)
    reason = "why this is accepted"
    versions = "<3.13.8"       # optional: the releases it holds for ("<X.Y.Z", ">=X.Y.Z", both
                               # with a comma); one file then serves every patch release
    by_chance = true           # optional: only some random sequences reach it (the clause's
                               # other checks pass), so a run that passes it proves no fix

A run with expectations passes when every divergence is known; a new divergence, a known one
that fails differently, or a known one that now passes (stale) fails it.
"""

from __future__ import annotations

import json
import os
import re

from conformance.results import FAILING, NotRegular, cells, open_regular, write_atomically
from impls.profiles import BOUND, within

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

KEYS = ("clause", "status", "reason")
OPTIONAL = ("versions", "by_chance")


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
    """{"impl": str or None, "known": {clause: {"status", "reason"}}} from one file."""
    if not os.path.exists(path):
        if missing_ok:
            return {"impl": None, "known": {}}
        raise BadExpectations(f"expectations {path}: no such file")
    try:
        with open_regular(path) as f:
            data = tomllib.load(f)
    except NotRegular as exc:
        raise BadExpectations(f"expectations {exc}: give a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadExpectations(f"expectations {path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise BadExpectations(f"expectations {path}: cannot read it ({exc.strerror})") from None
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
    known = {}
    for n, entry in enumerate(entries, 1):
        where = f"expectations {path}: [[known]] #{n}"
        if not isinstance(entry, dict):
            raise BadExpectations(f"{where} is not a table")
        extra = sorted(set(entry) - set(KEYS) - set(OPTIONAL))
        if extra:
            raise BadExpectations(f"{where} has an unknown key {extra[0]!r} "
                                  f"(expected {', '.join(KEYS + OPTIONAL)})")
        versions = entry.get("versions")
        if versions is not None and not (isinstance(versions, str) and all(
                BOUND.match(b) for b in versions.split(","))):
            raise BadExpectations(f"{where}: versions {versions!r}, expected bounds like "
                                  "\"<3.13.8\" or \">=3.11,<3.11.4\"")
        if not isinstance(entry.get("by_chance", False), bool):
            raise BadExpectations(f"{where}: by_chance must be true or false")
        for key in KEYS:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise BadExpectations(f"{where} needs {key} = \"...\"")
        clause, status = entry["clause"], entry["status"]
        if catalogue and clause not in catalogue:
            close = [c for c in catalogue if c.split(".")[0] == clause.split(".")[0]][:3]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise BadExpectations(f"{where}: clause {clause!r} is not in the catalogue{hint}")
        if not set(status.split("|")) <= set(FAILING):
            raise BadExpectations(f"{where}: status {status!r}, expected diverge, crash or "
                                  "crash|diverge")
        if clause in known:
            raise BadExpectations(f"{where}: clause {clause!r} is listed twice")
        known[clause] = {"status": status, "reason": entry["reason"], "versions": versions,
                         "by_chance": entry.get("by_chance", False)}
    return {"impl": impl, "known": known}


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
        want = parsed["impl"]
        if want is None:
            if len(infos) != 1:
                raise BadExpectations(f"expectations {path}: say which implementation it is for "
                                      f"(impl = \"...\"), the run checks {len(infos)}")
            target = infos[0]
        else:
            target = next((i for i in infos if want in (i["spec"], i.get("name"))), None)
            if target is None:
                raise BadExpectations(f"expectations {path}: impl {want!r} is not one of this "
                                      f"run's --impl ({', '.join(i['spec'] for i in infos)})")
        if target["spec"] in out:
            raise BadExpectations(f"expectations {path}: a second file for {target['spec']} "
                                  f"(first {out[target['spec']][0]})")
        out[target["spec"]] = (path, parsed)
    if args.expectations_dir:
        for info in infos:
            if info["spec"] in out:
                continue
            about = info.get("about") or {}
            # The stdlib of CPython 3.11, and cpython3.11.2 beside cpython3.11, share the file of
            # their CPython branch: the same implementation. fmmap or Pyodide, though they run
            # on a CPython, do not.
            versioned = f"{about.get('implementation', '')}{about.get('version', '')}"
            own_mmap = info["spec"] == "stdlib" or info["spec"].startswith(("cpython", "python:"))
            names = [info.get("name") or info["spec"], info["spec"]] + [versioned] * (
                bool(about) and own_mmap and about.get("runtime") != "pyodide")
            for name in dict.fromkeys(names):
                path = os.path.join(args.expectations_dir, filename(name))
                if os.path.exists(path):
                    break
            else:
                path = os.path.join(args.expectations_dir,
                                    filename(info.get("name") or info["spec"]))
            out[info["spec"]] = (path, parse(path, catalogue, missing_ok=True))
    for info in infos:  # an entry for other releases of the same implementation does not apply
        if info["spec"] in out:
            path, parsed = out[info["spec"]]
            release = (info.get("about") or {}).get("full_version") or info.get("version")
            known = holding(parsed["known"], release)
            out[info["spec"]] = (path, dict(parsed, known=known, all_known=parsed["known"]))
    return out


def judge(assigned, infos, rows, out):
    """Print each implementation's verdict against its expectations; mark known rows with
    `"expected": reason`. Returns {spec: {"known", "new", "changed", "stale", "unchecked"}}."""
    verdict_cells = cells(rows)
    verdicts = {}
    for info in infos:
        spec = info["spec"]
        path, parsed = assigned.get(spec, (None, {"known": {}}))
        known = parsed["known"]
        mine = {c: s for (i, c), s in verdict_cells.items() if i == spec}
        v = {"known": [], "new": [], "changed": [], "stale": [], "unchecked": []}
        for clause, status in sorted(mine.items()):
            if status not in FAILING:
                continue
            if clause not in known:
                v["new"].append((clause, status))
            elif status not in known[clause]["status"].split("|"):
                v["changed"].append((clause, status))
            else:
                v["known"].append((clause, status))
        for clause, entry in sorted(known.items()):
            status = mine.get(clause)
            # A known crash a run did not reach is no evidence of a fix: reaching it depends on
            # the ops drawn; so is one marked by_chance. A known divergence that passes is stale.
            if status == "pass" and _by_chance(entry):
                v["unchecked"].append((clause, entry["status"]))
            elif status == "pass":
                v["stale"].append((clause, entry["status"]))
            elif status in (None, "na"):
                v["unchecked"].append((clause, entry["status"]))
        for row in rows:
            if (row["impl"] == spec and row["status"] in FAILING
                    and (row["clause"], row["status"]) in v["known"]):
                row["expected"] = known[row["clause"]]["reason"]
        verdicts[spec] = v
        if path is None:
            continue
        counts = ", ".join(f"{len(v[k])} {k}" for k in v if v[k] or k in ("known", "new"))
        print(f"\nexpectations {path} for {spec}: {counts}", file=out)
        for clause, status in v["new"]:
            print(f"  NEW {status} on {clause}: not in {path}", file=out)
        for clause, status in v["changed"]:
            print(f"  CHANGED {clause}: now {status}, {path} expects "
                  f"{known[clause]['status']}", file=out)
        for clause, _ in v["stale"]:
            print(f"  STALE {clause} now passes: remove it from {path} "
                  "(or run with --update-expectations)", file=out)
        for clause, _ in v["unchecked"]:
            print(f"  (not checked by this run: {clause})", file=out)
    return verdicts


def failed(verdicts):
    return any(v["new"] or v["changed"] or v["stale"] for v in verdicts.values())


def update(assigned, infos, rows, out):
    """Rewrite every assigned file from this run: its divergences, keeping known reasons."""
    verdict_cells = cells(rows)
    details = {}
    for row in rows:
        details.setdefault((row["impl"], row["clause"], row["status"]), row.get("detail") or "")
    for info in infos:
        spec = info["spec"]
        if spec not in assigned:
            continue
        path, parsed = assigned[spec]
        lines = [f"# Known divergences of {spec} from the reference (python -m conformance "
                 "--update-expectations).",
                 "# Each [[known]] needs a reason; a new divergence, or one of these passing, "
                 "fails the run.",
                 f"impl = {_toml(parsed['impl'] or spec)}", ""]
        written = set()
        for (impl, clause), status in sorted(verdict_cells.items()):
            if impl != spec or status not in FAILING:
                continue
            old = parsed["known"].get(clause) or {}
            reason = old.get("reason") or "TODO: why this is accepted. First seen: " + (
                details.get((spec, clause, status), "").splitlines() or [""])[0]
            lines += _entry_lines(clause, {**old, "status": status, "reason": reason})
            written.add(clause)
        # Entries this run could not check stay, and so do those for other releases.
        for clause, entry in sorted(parsed["known"].items()):
            if clause not in written and _by_chance(entry):
                lines += _entry_lines(clause, entry)
        for clause, entry in sorted(parsed.get("all_known", {}).items()):
            if clause not in parsed["known"]:
                lines += _entry_lines(clause, entry)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        write_atomically(path, "\n".join(lines))
        print(f"expectations {path} for {spec}: rewritten", file=out)


def holding(known, release):
    """The entries of `known` that hold for `release` (an entry may name the releases it
    covers)."""
    return {c: e for c, e in known.items() if within(e.get("versions"), release)}


def _by_chance(entry):
    """Whether a run that passes the entry's clause says nothing of it (see the module doc)."""
    return "crash" in entry["status"].split("|") or entry.get("by_chance", False)


def _entry_lines(clause, entry):
    lines = ["[[known]]", f"clause = {_toml(clause)}", f"status = {_toml(entry['status'])}",
             f"reason = {_toml(entry['reason'])}"]
    lines += [f"versions = {_toml(entry['versions'])}"] if entry.get("versions") else []
    lines += ["by_chance = true"] if entry.get("by_chance") else []
    return lines + [""]


def _toml(text):
    # A TOML basic string: JSON's escapes (\" \\ \n \uXXXX) are all valid TOML escapes.
    return json.dumps(text, ensure_ascii=False)
