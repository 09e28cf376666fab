# SPDX-License-Identifier: MIT
"""`python -m conformance.report RESULTS.json [--out DIR] [--run]`: the results JSON of a conformance
run as compat.md, compat.html (one static offline page with filters) and compat.json, in DIR
(default reports/out), and per finding DIR/findings/NAME.py (its reproducer) and NAME.md (its
issue text, conformance/issues.py), which the documents link. A pure function from JSON to
documents, stdlib only, no pytest; `--run` also runs each script on both sides for its output."""

from __future__ import annotations

import argparse
import html
import json
import os
import sys

from conformance import issues
from conformance.results import (
    FAILING,
    STATUSES,
    BadResults,
    cells,
    header,
    load,
    write_atomically,
)

DEFAULT_OUT = os.path.join("reports", "out")
FINDINGS = "findings"  # the issue texts' folder, beside compat.md
KINDS = ("pass", "diverge", "crash", "na")


# -- the model: everything the documents show, computed once --------------------------------------

def model(doc):
    """The report's content as plain data (compat.json is exactly this)."""
    verdicts = cells(doc["results"])
    catalogue = {c["id"]: c for c in doc["clauses"]}
    specs = [i["spec"] for i in doc["implementations"]]
    specs += sorted({r["impl"] for r in doc["results"]} - set(specs))
    infos = {i["spec"]: i for i in doc["implementations"]}
    implementations = []
    for spec in specs:
        info = infos.get(spec, {"spec": spec})
        counts = {k: sum(1 for (i, _), s in verdicts.items() if i == spec and s == k)
                  for k in KINDS}
        judged = counts["pass"] + counts["diverge"] + counts["crash"]
        implementations.append({
            "spec": spec, "name": info.get("name") or spec, "version": info.get("version"),
            "profile": info.get("profile"), "status": info.get("status") or "unknown",
            "reason": info.get("reason"), "counts": counts,
            "conformance": round(100.0 * counts["pass"] / judged, 1) if judged else None})
    ids = sorted(set(catalogue) | {c for _, c in verdicts})
    clauses = []
    for cid in ids:
        c = catalogue.get(cid, {})
        clauses.append({
            "id": cid, "group": c.get("group") or cid.split(".")[0], "source": c.get("source"),
            "versions": c.get("versions"), "text": c.get("text") or "",
            "cells": {spec: verdicts.get((spec, cid)) for spec in specs}})
    divergences = []
    for row in doc["results"]:
        if row["status"] not in FAILING:
            continue
        c = catalogue.get(row["clause"], {})
        divergences.append({
            "impl": row["impl"], "clause": row["clause"], "status": row["status"],
            "group": c.get("group") or row["clause"].split(".")[0], "text": c.get("text") or "",
            "detail": row.get("detail") or "", "repro": row.get("repro") or "",
            "expected": row.get("expected")})
    causes = []
    for f in sorted(issues.named(doc), key=lambda f: specs.index(f["impl"])):
        known = sorted({r["expected"] for r in doc["results"] if r.get("expected")
                        and r["impl"] == f["impl"] and r["clause"] in f["clauses"]})
        causes.append({
            "impl": f["impl"], "title": f["title"], "status": f["status"],
            "clauses": [{"id": c, "text": catalogue.get(c, {}).get("text") or ""}
                        for c in f["clauses"]],
            "groups": sorted({catalogue.get(c, {}).get("group") or c.split(".")[0]
                              for c in f["clauses"]}),
            "rows": f["rows"], "detail": f["detail"], "issue": f["issue"],
            "text": f"{FINDINGS}/{f['name']}.md",
            "script": f"{FINDINGS}/{f['name']}.py" if f["repro"] else None,
            "expected": "; ".join(known) or None})
    return {**header("compat"), "date": doc.get("date"), "command": doc.get("command"),
            "implementations": implementations, "groups": sorted({c["group"] for c in clauses}),
            "clauses": clauses, "divergences": divergences, "findings": causes}


def _pct(value):
    return "—" if value is None else f"{value:g}%"


def _version(impl):
    return f"{impl['version'] or '?'} (profile {impl['profile'] or '?'})"


# -- Markdown -------------------------------------------------------------------------------------

def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(m):
    out = ["# mmap conformance", "",
           f"Run on {m['date'] or 'an unknown date'} with:", "", "```",
           m["command"] or "(command not recorded)", "```", "",
           "Conformance = pass / (pass + diverge + crash), over clauses; a clause with several "
           "results for one implementation counts its worst.", "",
           "## Implementations", "",
           "| implementation | version | status | conformance | pass | diverge | crash | na | note |",
           "|---|---|---|---|---|---|---|---|---|"]
    for i in m["implementations"]:
        c = i["counts"]
        out.append(f"| {_md(i['spec'])} | {_md(_version(i))} | {i['status']} | "
                   f"{_pct(i['conformance'])} | {c['pass']} | {c['diverge']} | {c['crash']} | "
                   f"{c['na']} | {_md(i['reason'] or '')} |")
    specs = [i["spec"] for i in m["implementations"]]
    out += ["", "## Clauses by implementation", "",
            "| clause | group | " + " | ".join(_md(s) for s in specs) + " |",
            "|---|---|" + "---|" * len(specs)]
    for c in m["clauses"]:
        out.append(f"| `{c['id']}` | {c['group']} | "
                   + " | ".join(c["cells"][s] or "—" for s in specs) + " |")
    touched = len({(d["impl"], d["clause"]) for d in m["divergences"]})
    out += ["", f"## Findings ({len(m['findings'])} causes over {touched} diverging clauses)", "",
            "Divergences of one implementation with one cause (the same op with the same expected "
            "and actual kinds of outcome, a missing attribute, a constructor that raises) are one "
            "finding, with every clause it touches; each links its issue text (what an upstream "
            "tracker wants: what CPython does and why, the script, its output) and its shortest "
            f"reproducer, in `{FINDINGS}/`. Every row is in the results JSON.", ""]
    if not m["findings"]:
        out.append("None.")
    for d in m["findings"]:
        out += [f"### {d['impl']}: {_md(d['title'])}", "",
                f"{d['status']} on {len(d['clauses'])} clause(s), {d['rows']} result(s):", ""]
        out += [f"- `{c['id']}`: {c['text'] or '(clause text not in the results)'}"
                for c in d["clauses"]]
        out += ["", d["detail"] or "(no detail)", ""]
        if d["expected"]:
            out += [f"Known divergence: {d['expected']}", ""]
        out += [f"Issue text: [{_md(d['issue'])}]({d['text']})"
                + (f"; reproducer: [`{d['script']}`]({d['script']})" if d["script"] else ""),
                ""]
    return "\n".join(out) + "\n"


# -- HTML -----------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:40em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#fafafa}
td.s{text-align:center;font-weight:600}
.pass{background:#e3f6e3;color:#1b5e20}.diverge{background:#fde8c8;color:#8a4b00}
.crash{background:#f9d0d0;color:#8b0000}.na{background:#eee;color:#666}.none{color:#aaa}
#filters{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ddd;z-index:2}
#filters label{margin-right:1em}
details{margin:.3em 0;border:1px solid #ddd;padding:.3em .6em}
summary{cursor:pointer}
.known{color:#555;font-style:italic}
[hidden]{display:none!important}
"""

JS = r"""
(function () {
  var keys = ["impl", "group", "status"];
  function read() {
    var q = {}, h = (location.hash || "").replace(/^#/, "") || (location.search || "").replace(/^\?/, "");
    h.split("&").forEach(function (p) {
      var kv = p.split("=");
      if (kv[0] && keys.indexOf(kv[0]) >= 0) q[kv[0]] = decodeURIComponent(kv[1] || "");
    });
    return q;
  }
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function apply() {
    var q = read(), impl = q.impl || "", group = q.group || "", status = q.status || "";
    keys.forEach(function (k) { var s = document.getElementById("f-" + k); if (s) s.value = q[k] || ""; });
    all("[data-impl]").forEach(function (el) {
      if (el.closest && el.closest("#findings")) return;
      el.hidden = !!impl && el.getAttribute("data-impl") !== impl;
    });
    var shown = 0;
    all("#matrix tbody tr").forEach(function (tr) {
      var ok = !group || tr.getAttribute("data-group") === group;
      if (ok && status) {
        ok = Array.prototype.slice.call(tr.querySelectorAll("td[data-impl]")).some(function (td) {
          return !td.hidden && td.getAttribute("data-status") === status;
        });
      }
      tr.hidden = !ok;
      if (ok) shown++;
    });
    var dshown = 0;
    all("#findings details").forEach(function (d) {
      var ok = (!impl || d.getAttribute("data-impl") === impl) &&
        (!group || d.getAttribute("data-group").split(" ").indexOf(group) >= 0) &&
        (!status || d.getAttribute("data-status") === status);
      d.hidden = !ok;
      if (ok) dshown++;
    });
    document.getElementById("shown").textContent = shown + " clauses, " + dshown + " findings shown";
  }
  function write() {
    var parts = [];
    keys.forEach(function (k) {
      var v = document.getElementById("f-" + k).value;
      if (v) parts.push(k + "=" + encodeURIComponent(v));
    });
    location.hash = parts.join("&");
    apply();
  }
  keys.forEach(function (k) { document.getElementById("f-" + k).addEventListener("change", write); });
  window.addEventListener("hashchange", apply);
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""


def _e(text):
    return html.escape("" if text is None else str(text))


def _select(key, label, values):
    opts = ['<option value="">all</option>'] + [
        f'<option value="{_e(v)}">{_e(v)}</option>' for v in values]
    return (f'<label>{label} <select id="f-{key}">' + "".join(opts) + "</select></label>")


def _cell(status):
    if status is None:
        return '<span class="none">—</span>', "none"
    return _e(status), status


def page(m):
    specs = [i["spec"] for i in m["implementations"]]
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>mmap conformance</title>", f"<style>{CSS}</style></head><body>",
             "<h1>mmap conformance</h1>",
             f'<p>Run on <span id="date">{_e(m["date"] or "an unknown date")}</span> with '
             f'<code id="command">{_e(m["command"] or "(command not recorded)")}</code></p>',
             "<p>Conformance = pass / (pass + diverge + crash), over clauses; a clause with several "
             "results for one implementation counts its worst.</p>",
             '<div id="filters">', _select("impl", "Implementation", specs),
             _select("group", "Clause group", m["groups"]),
             _select("status", "Status", STATUSES), ' <span id="shown"></span></div>',
             "<h2>Implementations</h2>", '<table id="summary"><thead><tr><th>implementation</th>'
             "<th>version</th><th>status</th><th>conformance</th><th>pass</th><th>diverge</th>"
             "<th>crash</th><th>na</th><th>note</th></tr></thead><tbody>"]
    for i in m["implementations"]:
        c = i["counts"]
        parts.append(
            f'<tr data-impl="{_e(i["spec"])}"><td>{_e(i["spec"])}</td><td>{_e(_version(i))}</td>'
            f'<td>{_e(i["status"])}</td><td class="pct">{_pct(i["conformance"])}</td>'
            + "".join(f"<td>{c[k]}</td>" for k in KINDS) + f'<td>{_e(i["reason"] or "")}</td></tr>')
    parts += ["</tbody></table>", "<h2>Clauses by implementation</h2>",
              '<table id="matrix"><thead><tr><th>clause</th><th>group</th>']
    parts += [f'<th data-impl="{_e(s)}">{_e(s)}</th>' for s in specs]
    parts.append("</tr></thead><tbody>")
    for n, c in enumerate(m["clauses"]):
        parts.append(f'<tr id="c{n}" data-clause="{_e(c["id"])}" data-group="{_e(c["group"])}">'
                     f'<td><code title="{_e(c["text"])}">{_e(c["id"])}</code></td>'
                     f'<td>{_e(c["group"])}</td>')
        for s in specs:
            text, cls = _cell(c["cells"][s])
            parts.append(f'<td class="s {cls}" data-impl="{_e(s)}" data-status="{cls}">{text}</td>')
        parts.append("</tr>")
    parts += ["</tbody></table>",
              f'<h2>Findings ({len(m["findings"])})</h2><div id="findings">']
    if not m["findings"]:
        parts.append("<p>None.</p>")
    for d in m["findings"]:
        known = (f'<p class="known">Known divergence: {_e(d["expected"])}</p>'
                 if d["expected"] else "")
        ids = " ".join(c["id"] for c in d["clauses"])
        parts.append(
            f'<details data-impl="{_e(d["impl"])}" data-group="{_e(" ".join(d["groups"]))}" '
            f'data-status="{_e(d["status"])}" data-clause="{_e(ids)}"><summary>'
            f'<b>{_e(d["impl"])}</b>: <span class="{_e(d["status"])}">{_e(d["status"])}</span> '
            f'{_e(d["title"])} ({len(d["clauses"])} clause(s))</summary><ul>'
            + "".join(f'<li><code>{_e(c["id"])}</code>: '
                      f'{_e(c["text"] or "(clause text not in the results)")}</li>'
                      for c in d["clauses"])
            + f'</ul><p>{_e(d["detail"])}</p>{known}'
            + f'<p>Issue text: <a href="{_e(d["text"])}">{_e(d["issue"])}</a>'
            + (f'; reproducer: <a href="{_e(d["script"])}"><code>{_e(d["script"])}</code></a>'
               if d["script"] else "") + "</p>"
            + "</details>")
    parts += ["</div>", f"<script>{JS}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"


# -- command line ---------------------------------------------------------------------------------

def build(results_path, out_dir=DEFAULT_OUT, *, run=False):
    """Write compat.md, compat.html and compat.json into out_dir, and the findings' scripts and
    issue texts into out_dir/findings (with `run`, each script's output on both sides); returns
    the documents' paths, then that folder's. Nothing is written unless the results read cleanly (BadResults
    otherwise)."""
    doc = load(results_path)
    m = model(doc)
    folder = os.path.join(out_dir, FINDINGS)
    written = issues.write(doc, folder, run=run)
    keep = {f["name"] + ext for f in written for ext in (".md", ".py", ".trace.py")}
    for name in os.listdir(folder):  # an earlier build's findings that are gone
        if name.endswith((".md", ".py")) and name not in keep:
            os.remove(os.path.join(folder, name))
    documents = {"compat.md": markdown(m), "compat.html": page(m),
                 "compat.json": json.dumps(m, indent=1) + "\n"}
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, text in documents.items():
        path = os.path.join(out_dir, name)
        write_atomically(path, text)
        paths.append(path)
    return paths + [folder]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise BadResults(message)


def main(argv=None):
    parser = _Parser(prog="python -m conformance.report",
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
        print(f"python -m conformance.report: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"python -m conformance.report: error: cannot write {exc.filename or args.out}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
