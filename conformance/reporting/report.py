# SPDX-License-Identifier: MIT
"""`python -m conformance report RESULTS.json [--out DIR] [--run]`: the results JSON of a conformance
run as compat.md, compat.html (a static offline page: the implementations worst first, then clause
groups x implementations, with filters), one page per clause (clauses/ID.html, conformance/reporting/site.py)
and compat.json, in DIR (default reports/out), and per finding DIR/findings/NAME.py (its
reproducer) and NAME.md (its issue text, conformance/reporting/issues.py), which the documents link. A pure
function from JSON to documents, stdlib only, no pytest; `--run` also runs each script on both
sides for its output."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from conformance.reporting import clause_pages, issues, site, upstream
from conformance.results import (
    FAILING,
    STATUSES,
    BadResults,
    header,
    load,
    worst,
    write_atomically,
)

DEFAULT_OUT = os.path.join("reports", "out")
FINDINGS = "findings"  # the issue texts' folder, beside compat.md


# -- the model: everything the documents show, computed once --------------------------------------

# How bad an implementation's results are, worst first: the order of the first table.
SEVERITIES = ("vandal", "new-crash", "new-diverge", "incomplete", "known", "ok", "unavailable")
FAMILIES = ("other", "cpython")  # the others first: the CPythons are one folded group


def family(spec):
    """"cpython" for the reference (any profile) and the suite's CPythons (spec cpythonX.Y),
    "other" for the rest (pypy, fmmap, pyodide, stdlib, a user's module)."""
    if spec == "reference" or spec.startswith("reference@"):
        return "cpython"
    return "cpython" if re.match(r"cpython\d+\.\d+(\.\d+)?$", spec) else "other"


def origin(row):
    """Whose finding a failing row is: "host" where the host interpreter's own mmap does the
    same, else "implementation" (rows from before origins were recorded included)."""
    return row.get("origin") or (row.get("finding") or {}).get("origin") or "implementation"


def is_known(row):
    """A failing row already accounted for: an expectation names it (`expected`), or it is the
    host's own mmap's (origin host) rather than the implementation's."""
    return bool(row.get("expected")) or origin(row) == "host"


def results_of(rows):
    """{(impl, clause): its result}: the worst status; for a failing one whether every failing
    row is known, the worst status of those that are not ("new": a new divergence under a known
    crash is a new divergence) and whose they are (host only when all are the host's);
    `details` are the distinct details of the rows at the worst status."""
    by_cell = {}
    for row in rows:
        by_cell.setdefault((row["impl"], row["clause"]), []).append(row)
    out = {}
    for key, mine in by_cell.items():
        status = worst(r["status"] for r in mine)
        failing = [r for r in mine if r["status"] in FAILING]
        details = list(dict.fromkeys(r.get("detail") or "" for r in mine
                                     if r["status"] == status and r.get("detail")))
        out[key] = {"status": status, "details": details[:5], "more": max(len(details) - 5, 0)}
        if failing:
            unknown = [r["status"] for r in failing if not is_known(r)]
            out[key].update(known=not unknown, new=worst(unknown) if unknown else None,
                            origin="host" if all(origin(r) == "host" for r in failing)
                            else "implementation")
    return out


def _counts(spec, results):
    mine = [r for (i, _), r in results.items() if i == spec]
    counts = {k: sum(r["status"] == k for r in mine) for k in STATUSES}
    failing = [r for r in mine if r["status"] in FAILING]
    counts.update(
        new=sum(not r["known"] for r in failing), known=sum(r["known"] for r in failing),
        new_crash=sum(r["new"] == "crash" for r in failing),
        own=sum(r["origin"] == "implementation" for r in failing),
        host=sum(r["origin"] == "host" for r in failing))
    return counts


def verdict(status, counts):
    """(verdict, severity): what the first table says of an implementation. New crashes and
    new divergences are told apart from failures that are all known."""
    if status == "vandal":  # it changed files not its own: before anything its results say
        return "vandal (changed files not its own)", "vandal"
    if counts["new_crash"]:
        return f"crashed ({counts['new_crash']} new)", "new-crash"
    if counts["new"]:
        return (f"divergent ({counts['new']} new)"
                + (", crashes known" if counts["crash"] else "")), "new-diverge"
    if counts["known"] and not counts["own"]:  # every failure is the host's own mmap's
        return f"conformant ({counts['host']} of the host's own mmap)", "ok"
    if counts["known"]:
        return f"{'crashed' if counts['crash'] else 'divergent'} (all known)", "known"
    if status == "conformant":
        return status, "ok"
    return status, "unavailable" if status == "unavailable" else "incomplete"


def _implementation(spec, info, results):
    counts = _counts(spec, results)
    judged = counts["pass"] + counts["diverge"] + counts["crash"]
    status = info.get("status") or "unknown"
    said, severity = verdict(status, counts)
    return {"spec": spec, "name": info.get("name") or spec, "version": info.get("version"),
            "package_version": info.get("package_version"), "profile": info.get("profile"),
            "status": status, "reason": info.get("reason"), "family": family(spec),
            "verdict": said, "severity": severity, "counts": counts,
            "conformance": round(100.0 * counts["pass"] / judged, 1) if judged else None}


def worst_first(implementations):
    """The specs of each family ({"other": [...], "cpython": [...]}), worst first: by severity,
    then most new crashes and new failures, then lowest conformance, then run order."""
    def key(item):
        n, i = item
        c = i["counts"]
        return (SEVERITIES.index(i["severity"]), -c["new_crash"], -c["new"],
                101 if i["conformance"] is None else i["conformance"], n)

    ranked = [i for _, i in sorted(enumerate(implementations), key=key)]
    return {f: [i["spec"] for i in ranked if i["family"] == f] for f in FAMILIES}


def _clause(cid, entry, specs, results):
    mine = {s: results[(s, cid)] for s in specs if (s, cid) in results}
    return {"id": cid, "group": entry.get("group") or cid.split(".")[0],
            "source": entry.get("source"), "versions": entry.get("versions"),
            "platform": entry.get("platform"), "doc": entry.get("doc"), "line": entry.get("line"),
            "text": entry.get("text") or "", "page": site.page_of(cid),
            "citation": issues.source(dict(entry, id=cid)),
            "cells": {s: mine[s]["status"] if s in mine else None for s in specs},
            "results": mine}


def _groups(clauses, specs):
    """Per clause group, per implementation: how many of its clauses end in each status, and
    how many failing ones are new."""
    out = {}
    for c in clauses:
        group = out.setdefault(c["group"], {"name": c["group"], "clauses": [], "cells": {
            s: dict.fromkeys(STATUSES + ("new", "none"), 0) for s in specs}})
        group["clauses"].append(c["id"])
        for s in specs:
            r = c["results"].get(s)
            group["cells"][s]["none" if r is None else r["status"]] += 1
            group["cells"][s]["new"] += bool(r and r.get("known") is False)
    return [out[name] for name in sorted(out)]


def _upstream(f, name):
    """The tracker issues recorded for a finding (conformance/reporting/upstream.toml), as its issue
    text's Upstream line finds them: by its record, so none for a row without one."""
    record = f.get("finding")
    if not record:
        return []
    return [{k: i.get(k) for k in ("url", "status", "about", "fixed_in")}
            for i in upstream.issues_of(record, f["impl"], name=name)]


def _finding(f, catalogue, known_by, results, name):
    # Known as its cells are where its rows carry no record to say so (a host's row of an
    # older run, say): every clause it touches known for its implementation.
    cells = [results.get((f["impl"], c)) or {} for c in f["clauses"]]
    host = f.get("origin") == "host" or all(c.get("origin") == "host" for c in cells)
    return {
        "impl": f["impl"], "name": f["name"], "title": f["title"], "status": f["status"],
        "clauses": [{"id": c, "text": catalogue.get(c, {}).get("text") or "",
                     "page": site.page_of(c)} for c in f["clauses"]],
        "groups": sorted({catalogue.get(c, {}).get("group") or c.split(".")[0]
                          for c in f["clauses"]}),
        "rows": f["rows"], "detail": f["detail"], "issue": f["issue"],
        "known": bool(f.get("known")) or host or all(c.get("known") for c in cells),
        "origin": "host" if host else "implementation",
        "text": f"{FINDINGS}/{f['name']}.md",
        "script": f"{FINDINGS}/{f['name']}.py" if f["repro"] else None,
        "expected": "; ".join(sorted(set().union(*(known_by.get((f["impl"], c), ())
                                                   for c in f["clauses"])))) or None,
        "upstream": _upstream(f, name)}


def model(doc):
    """The report's content as plain data (compat.json is exactly this)."""
    results = results_of(doc["results"])
    catalogue = {c["id"]: c for c in doc["clauses"]}
    specs = [i["spec"] for i in doc["implementations"]]
    specs += sorted({r["impl"] for r in doc["results"]} - set(specs))
    infos = {i["spec"]: i for i in doc["implementations"]}
    implementations = [_implementation(s, infos.get(s, {"spec": s}), results) for s in specs]
    order = worst_first(implementations)
    shown = order["other"] + order["cpython"]
    ids = sorted(set(catalogue) | {c for _, c in results})
    clauses = [_clause(cid, catalogue.get(cid, {}), shown, results) for cid in ids]
    known_by = {}
    for row in doc["results"]:
        if row.get("expected"):
            known_by.setdefault((row["impl"], row["clause"]), set()).add(row["expected"])
    found = sorted(issues.named(doc), key=lambda f: shown.index(f["impl"]))
    command = doc.get("command")  # published: without this machine's paths
    return {**header("compat"), "date": doc.get("date"),
            "command": command and issues.public(command),
            "implementations": implementations, "order": order,
            "groups": _groups(clauses, shown), "clauses": clauses,
            "divergences": _divergences(doc["results"], catalogue),
            "findings": [_finding(f, catalogue, known_by, results,
                                  (infos.get(f["impl"]) or {}).get("name")) for f in found],
            "upstream_checked": upstream.load()[0]}


def _divergences(rows, catalogue):
    out = []
    for row in rows:
        if row["status"] not in FAILING:
            continue
        c = catalogue.get(row["clause"], {})
        out.append({
            "impl": row["impl"], "clause": row["clause"], "status": row["status"],
            "group": c.get("group") or row["clause"].split(".")[0], "text": c.get("text") or "",
            "detail": row.get("detail") or "", "repro": row.get("repro") or "",
            "expected": row.get("expected"), "known": is_known(row), "origin": origin(row)})
    return out


def by_spec(m):
    return {i["spec"]: i for i in m["implementations"]}


# -- Markdown -------------------------------------------------------------------------------------

def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_impls(m, specs):
    impls = by_spec(m)
    out = ["| implementation | verdict | pass | diverge | crash | new | known | origin "
           "| conformance | version | note |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for spec in specs:
        i = impls[spec]
        c = i["counts"]
        out.append(f"| {_md(spec)} | {_md(i['verdict'])} | {c['pass']} | {c['diverge']} | "
                   f"{c['crash']} | {c['new']} | {c['known']} | {site.origin_text(c)} | "
                   f"{site.pct(i['conformance'])} | {_md(site.version(i))} | {_md(i['reason'] or '')} |")
    return out


def markdown(m):
    order = m["order"]
    specs = order["other"] + order["cpython"]
    out = ["# mmap conformance", "",
           f"Run on {m['date'] or 'an unknown date'} with:", "", "```",
           m["command"] or "(command not recorded)", "```", "",
           "## Implementations, worst first", "", site.LEGEND, ""]
    out += _md_impls(m, order["other"]) if order["other"] else ["None but the CPythons."]
    if order["cpython"]:
        out += ["", f"### CPython: {site.cpython_title(order['cpython'])}", ""]
        out += _md_impls(m, order["cpython"])
    out += ["", "## Clause groups", "",
            "Passing clauses of each group out of those that applied, with the new failures.", "",
            "| group | clauses | " + " | ".join(_md(s) for s in specs) + " |",
            "|---|---|" + "---|" * len(specs)]
    for g in m["groups"]:
        out.append(f"| {_md(g['name'])} | {len(g['clauses'])} | "
                   + " | ".join(site.group_text(g["cells"][s]) for s in specs) + " |")
    out += ["", "## Clauses by implementation", "",
            "Each clause links its page: the clause, where it comes from, every implementation's "
            "result and the findings' reproducers.", "",
            "| clause | group | " + " | ".join(_md(s) for s in specs) + " |",
            "|---|---|" + "---|" * len(specs)]
    for c in m["clauses"]:
        out.append(f"| [`{c['id']}`]({c['page']}) | {c['group']} | "
                   + " | ".join(_cell_md(c["results"].get(s)) for s in specs) + " |")
    return "\n".join(out + _md_findings(m)) + "\n"


def _cell_md(result):
    if result is None:
        return "—"
    return result["status"] + (" (new)" if result.get("known") is False else "")


def _md_findings(m):
    touched = len({(d["impl"], d["clause"]) for d in m["divergences"]})
    out = ["", f"## Findings ({len(m['findings'])} causes over {touched} diverging clauses)", "",
           "Divergences of one implementation with one cause (the same op with the same expected "
           "and actual kinds of outcome, a missing attribute, a constructor that raises) are one "
           "finding, with every clause it touches; each links its issue text (what an upstream "
           "tracker wants: what CPython does and why, the script, its output) and its shortest "
           f"reproducer, in `{FINDINGS}/`. Every row is in the results JSON.", ""]
    if not m["findings"]:
        out.append("None.")
    for d in m["findings"]:
        tags = ("known" if d["known"] else "new") + (", the host's" if d["origin"] == "host"
                                                      else "")
        out += [f"### {d['impl']}: {_md(d['title'])}", "",
                f"{d['status']} ({tags}) on {len(d['clauses'])} clause(s), {d['rows']} "
                "result(s):", ""]
        out += [f"- [`{c['id']}`]({c['page']}): {c['text'] or '(clause text not in the results)'}"
                for c in d["clauses"]]
        out += ["", d["detail"] or "(no detail)", ""]
        if d["expected"]:
            out += [f"Known divergence: {d['expected']}", ""]
        out += [f"Upstream: {u['url']} ({u['status']}): {u['about']}" for u in d["upstream"]]
        out += [""] if d["upstream"] else []
        out += [f"Issue text: [{_md(d['issue'])}]({d['text']})"
                + (f"; reproducer: [`{d['script']}`]({d['script']})" if d["script"] else ""),
                ""]
    return out


# -- command line ---------------------------------------------------------------------------------

def _scripts(m, out_dir):
    """{finding name: the text of its NAME.py as written}, for the clause pages."""
    out = {}
    for d in m["findings"]:
        if d["script"]:
            with open(os.path.join(out_dir, d["script"]), encoding="utf-8") as f:
                out[d["name"]] = f.read()
    return out


def _prune(folder, keep, suffixes):
    """Remove an earlier build's files of `folder` (ending in `suffixes`) that are gone now."""
    for name in os.listdir(folder):
        if name.endswith(suffixes) and name not in keep:
            os.remove(os.path.join(folder, name))


def build(results_path, out_dir=DEFAULT_OUT, *, run=False):
    """Write compat.md, compat.html, compat.json and the clause pages (clauses/) into out_dir,
    and the findings' scripts and issue texts into out_dir/findings (with `run`, each script's
    output on both sides); returns the documents' paths, then those two folders'. Nothing is
    written unless the results read cleanly (BadResults otherwise)."""
    doc = load(results_path)
    m = model(doc)
    folder = os.path.join(out_dir, FINDINGS)
    written = issues.write(doc, folder, run=run)
    _prune(folder, {f["name"] + ext for f in written for ext in (".md", ".py", ".trace.py")},
           (".md", ".py"))
    documents = {"compat.md": markdown(m), "compat.json": json.dumps(m, indent=1) + "\n",
                 "compat.html": site.page(m), **clause_pages.pages(m, _scripts(m, out_dir))}
    pages = os.path.join(out_dir, site.CLAUSES)
    os.makedirs(pages, exist_ok=True)
    _prune(pages, {os.path.basename(p) for p in documents if p.startswith(site.CLAUSES + "/")},
           (".html",))
    for name, text in documents.items():
        write_atomically(os.path.join(out_dir, name), text)
    return [os.path.join(out_dir, name) for name in ("compat.md", "compat.html", "compat.json")
            ] + [folder, pages]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadResults(message)


def main(argv=None):
    parser = _Parser(prog="python -m conformance report",
                     description="Build compat.md/.html/.json from a conformance results JSON.")
    parser.add_argument("results", metavar="RESULTS.json")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help="folder for the documents (default %(default)s)")
    parser.add_argument("--run", action="store_true",
                        help="run each finding's script on the implementation and on CPython for "
                        "its issue text's output (a few seconds per finding)")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        paths = build(args.results, args.out, run=args.run)
    except BadResults as exc:
        print(f"python -m conformance report: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"python -m conformance report: error: cannot write {exc.filename or args.out}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
