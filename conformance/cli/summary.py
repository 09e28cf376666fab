# SPDX-License-Identifier: MIT
"""What a run prints at its end: each implementation's clause counts, each failing clause with
its shortest reproducer, the findings by cause, harness errors (report), then the summary a
reader acts on: verdicts, where the files are, the next command to run (print_summary)."""

from __future__ import annotations

import os
import shlex
import sys

SHOWN_ERRORS = 3  # harness errors printed in full; the rest are counted
SHOWN_CLAUSES = 6  # a finding's clauses listed before "(+N more)"
SUMMARY_CLAUSES = 8  # an implementation's diverging clauses listed in the summary


def report(infos, rows, out=sys.stdout):
    """One line per implementation (clauses by worst status), then each failing clause once,
    with its shortest reproducer. Returns those failing rows."""
    from conformance.results import cells

    verdicts = cells(rows)
    print("", file=out)
    width = max([20] + [len(info["spec"]) for info in infos])
    for info in infos:
        print(_clause_counts(info, rows, verdicts, width), file=out)
    bad = _worst_rows(rows, verdicts)
    _failing_clauses(bad, out)
    _findings(infos, rows, out)
    _harness_errors(rows, out)
    return bad


def _clause_counts(info, rows, verdicts, width):
    mine = [v for (impl, _), v in verdicts.items() if impl == info["spec"]]
    version = f"{info.get('version') or '?'} (profile {info.get('profile') or '?'})"
    line = f"{info['spec']:<{width}} {version:<28} {shown_status(info, rows):<12}"
    if info["status"] == "unavailable":
        return line + f" {info.get('reason', '')}"
    line += " clauses:" + ",".join(f" {sum(v == s for v in mine)} {s}"
                                   for s in ("pass", "diverge", "crash", "na", "error"))
    if info["status"] == "incomplete":
        line += f"\n{'':<{width}} not checked: {info.get('reason', '')}"
    elif info["status"] == "vandal":
        line += f"\n{'':<{width}} {info.get('reason', '')}"
    return line


def _worst_rows(rows, verdicts):
    """Per failing (implementation, clause), the row of its verdict with the shortest script."""
    bad = {}
    for r in rows:
        key = (r["impl"], r["clause"])
        if r["status"] == verdicts[key] and r["status"] in ("diverge", "crash"):
            if key not in bad or len(r["repro"] or "") < len(bad[key]["repro"] or ""):
                bad[key] = r
    return list(bad.values())


def _failing_clauses(bad, out):
    from conformance import clauses

    catalogue = clauses.load()
    for r in bad:
        text = catalogue.get(r["clause"], {}).get("text") or "(not in the catalogue)"
        known = " (known)" if r.get("expected") else ""
        print(f"\n{r['impl']}: {r['status']}{known} on {r['clause']}: {' '.join(text.split())}"
              f"\n  {r['detail']}", file=out)


def _findings(infos, rows, out):
    from conformance.reporting.findings import findings

    found = findings(rows)
    for info in infos:
        mine = [f for f in found if f["impl"] == info["spec"]]
        if not mine:
            continue
        touched = len({c for f in mine for c in f["clauses"]})
        print(f"\nfindings of {info['spec']}: {len(mine)} cause(s) over {touched} diverging "
              "clause(s)", file=out)
        for n, f in enumerate(mine, 1):
            more = (f" (+{len(f['clauses']) - SHOWN_CLAUSES} more)"
                    if len(f["clauses"]) > SHOWN_CLAUSES else "")
            tags = "".join(f"[{t}] " for t in finding_tags(f))
            print(f"  {n}. {tags}{f['title']}: {', '.join(f['clauses'][:SHOWN_CLAUSES])}{more}",
                  file=out)
            record = f.get("finding") or {}
            for said in (record.get("host"), record.get("host_known"), record.get("cpython")):
                if said:
                    print(f"     {said}", file=out)


def _harness_errors(rows, out):
    errors = [r for r in rows if r["status"] == "error"]
    for r in errors[:SHOWN_ERRORS]:
        print(f"\n{r['impl']}: error on {r['clause']}\n  {r['detail']}", file=out)
    if len(errors) > SHOWN_ERRORS:
        print(f"\n... and {len(errors) - SHOWN_ERRORS} more harness error(s) (all in --json)",
              file=out)
    if errors:
        print("(-v shows pytest's own output instead of the progress lines: the traceback of "
              "each test that failed)", file=out)


def shown_status(info, rows):
    """An implementation's status as shown: a crash or divergence that its expectations
    already know says so ("crashed (all known)")."""
    from conformance.reporting.report import origin

    status = info["status"]
    failing = [r for r in rows if r["impl"] == info["spec"] and r["status"] in ("diverge",
                                                                                 "crash")]
    if status in ("crashed", "divergent") and failing and all(origin(r) == "host"
                                                              for r in failing):
        # Blame where it belongs: what the host's own mmap does too is not the implementation's.
        return f"conformant ({len(failing)} finding(s) of the host's own mmap)"
    known = [r for r in failing if r.get("expected")]
    if status not in ("crashed", "divergent") or not known:
        return status
    return f"{status} ({'all' if len(known) == len(failing) else len(known)} known)"


def finding_tags(f):
    """What a reader is told first of a finding: known, the host's, CPython crashes too."""
    record = f.get("finding") or {}
    return ([t for t, on in (("known", f.get("known")), ("host", f.get("origin") == "host"),
                             ("CPython crashes too", record.get("cpython"))) if on])


def prog():
    """How the user started the CLI: `mmap-conformance` (the console script) or `python -m`."""
    name = os.path.basename(sys.argv[0] if sys.argv else "")
    return "mmap-conformance" if name.startswith("mmap-conformance") else "python -m conformance"


def _command(argv, *, drop=(), add=()):
    """The run's own command line again, without the options in `drop` (and their values),
    plus `add`: a command to copy."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in drop:
            skip = "=" not in arg and name not in ("--update-expectations",)
            continue
        kept.append(arg)
    return " ".join([prog(), *map(shlex.quote, [*kept, *add])])


def print_summary(args, argv, infos, rows, assigned, reproducers, code, interrupted, out=None):
    """The block a reader acts on: each implementation's verdict with its findings and
    diverging clauses, where the files are, and the next command to run."""
    from conformance.reporting.findings import findings

    out = out or sys.stdout
    found = findings(rows)
    width = max([12] + [len(i["spec"]) for i in infos])
    selection = f" (on the -k {args.keyword!r} selection)" if args.keyword is not None else ""
    print(f"\nsummary{selection}:", file=out)
    for info in infos:
        print(_verdict_line(info, rows, found, width), file=out)
    _files(args, reproducers, out)
    steps = _next_steps(args, argv, rows, found, assigned, reproducers, interrupted)
    if steps:
        print("next:", file=out)
        for why, command in steps:
            print(f"  {command}\n      ({why})", file=out)
    print(f"exit status {code}", file=out)


def _verdict_line(info, rows, found, width):
    from conformance.reporting.findings import diverging_clauses

    spec = info["spec"]
    clauses = diverging_clauses(rows, spec)
    mine = [f for f in found if f["impl"] == spec]
    counts = ((sum(bool(f["known"]) for f in mine), "known"),
              (sum(f["origin"] == "host" for f in mine), "the host's"))
    said = [f"{n} {word}" for n, word in counts if n]
    line = (f"  {spec:<{width}} {shown_status(info, rows):<11} {len(mine)} finding(s)"
            f"{' (' + ', '.join(said) + ')' if said else ''}, "
            f"{len(clauses)} diverging clause(s)")
    if clauses and info["status"] != "vandal":
        more = len(clauses) - SUMMARY_CLAUSES
        return line + ": " + ", ".join(clauses[:SUMMARY_CLAUSES]) + (
            f" (+{more} more)" if more > 0 else "")
    if info["status"] in ("unavailable", "incomplete", "vandal") and info.get("reason"):
        line += f" ({' '.join(str(info['reason']).split())[:160]})"
    return line


def _files(args, reproducers, out):
    print(f"  results JSON: {args.json or 'not written (add --json results.json)'}", file=out)
    if args.repro_dir:
        print(f"  reproducers:  {args.repro_dir} ({reproducers} finding(s): NAME.py, the script, "
              "and NAME.md, its issue text with its output on both sides)", file=out)
    elif reproducers:
        print(f"  reproducers:  in the JSON (`repro` of each row); --repro-dir DIR writes one "
              f"script and issue text per finding ({reproducers})", file=out)


def _next_steps(args, argv, rows, found, assigned, reproducers, interrupted):
    """[(why, command)]: what to run next, most pressing first."""
    steps = []
    if interrupted:
        steps.append(("finish the run", _command(argv, drop=("--time-limit",))))
    new = [r for r in rows if r["status"] in ("diverge", "crash") and "expected" not in r]
    if new and not interrupted and not args.update_expectations:
        add = (["--update-expectations"] if assigned is not None
               else ["--expectations-dir", "expectations", "--update-expectations"])
        steps.append((f"accept the {len({(r['impl'], r['clause']) for r in new})} new "
                      "divergence(s) as known, after reading them (from a whole run: not -k)",
                      _command(argv, drop=("-k",), add=add)))
    if args.json and reproducers:
        steps.append(("re-check every reproducer both ways",
                      f"python -m conformance replay {args.json}"))
    unknown = [f for f in found if not f["known"]]  # a known finding needs no next step
    if unknown:
        first = unknown[0]
        op = next((c for c in first["clauses"]), None)
        steps.append((f"iterate on {first['impl']}'s first finding",
                      _command(argv, drop=("--only", "-k", "--update-expectations", "--json",
                                           "--repro-dir", "--impl"),
                               add=["--impl", first["impl"], "--only", "clauses", "-k", op])))
    return steps
