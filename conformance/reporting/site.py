# SPDX-License-Identifier: MIT
"""The report as a static offline site, from conformance/reporting/report.py's model: compat.html (the
implementations worst first, the clause groups x implementations matrix, the findings), and what
the clause pages (conformance/reporting/clause_pages.py) share with it. site.css and site.js are inlined:
every page stands alone, nothing is loaded from elsewhere. Stdlib only."""

from __future__ import annotations

import hashlib
import html
import os
import re

CLAUSES = "clauses"  # the clause pages' folder, beside compat.html
HERE = os.path.dirname(os.path.abspath(__file__))
SEVERITY_SAID = {"vandal": "vandals", "new-crash": "with new crashes", "new-diverge": "with new divergences",
                 "incomplete": "incomplete", "known": "failing, all known", "ok": "conformant",
                 "unavailable": "unavailable"}
LEGEND = ("New: a failing clause that no expectation lists and that the host interpreter's own "
          "mmap does not do too; known: the others. Origin: whose the failing clauses are, the "
          "implementation's own or the host's mmap. Conformance = pass / (pass + diverge + "
          "crash) over clauses, each clause counting its worst result.")


def _safe(text):
    """`text` as a file name or element id: itself where it is plain, else its plain characters
    and a hash of it (two ids never share one)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")
    if safe == text and safe:
        return safe
    return f"{safe[:60]}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"


def page_of(cid):
    """The clause page of clause `cid`, relative to compat.html: clauses/ID.html, a permalink."""
    return f"{CLAUSES}/{_safe(cid)}.html"


def anchor(spec):
    """The id of an implementation's row on a clause page."""
    return "i-" + _safe(spec)


# -- words shared with compat.md ------------------------------------------------------------------

def pct(value):
    return "—" if value is None else f"{value:g}%"


def version(impl):
    said = impl["version"] or "?"
    if impl.get("package_version"):
        said = f"{impl['package_version']} on Python {said}"
    return f"{said} (profile {impl['profile'] or '?'})"


def origin_text(counts):
    """Whose an implementation's failing clauses are: "own 12, host 5"; "—" for none."""
    return ", ".join(f"{k} {counts[k]}" for k in ("own", "host") if counts[k]) or "—"


def group_text(cell):
    """A clause group's cell: pass / judged, with its new failures ("12/14, 1 new")."""
    judged = cell["pass"] + cell["diverge"] + cell["crash"]
    if not judged:
        return "error" if cell["error"] else "na" if cell["na"] else "—"
    return f"{cell['pass']}/{judged}" + (f", {cell['new']} new" if cell["new"] else "")


def cpython_title(specs):
    """The CPython group's name: "the reference and 14 CPythons", "3 CPythons"."""
    n = sum(not s.startswith("reference") for s in specs)
    said = [("the reference" if n < len(specs) else ""),
            (f"{n} CPython{'s' if n != 1 else ''}" if n else "")]
    return " and ".join(p for p in said if p)


# -- pieces ---------------------------------------------------------------------------------------

def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _e(text):
    return html.escape("" if text is None else str(text))


def code(text):
    """Markdown-ish text (`code` spans) as HTML."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _asset(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def head(title):
    return ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>", f"<style>{_asset('site.css')}</style></head><body>"]


def mark(result):
    """The CSS classes of one result: its status, and new or known when it fails."""
    if result is None:
        return "none"
    known = result.get("known")
    return result["status"] + ("" if known is None else " known" if known else " new")


def _badge(impl):
    return f'<span class="badge sev-{impl["severity"]}">{_e(impl["verdict"])}</span>'


# -- compat.html: the first screen ----------------------------------------------------------------

IMPL_COLUMNS = (("implementation", "w-impl"), ("verdict", "w-verdict"),
                ("conformance", "w-pct"), ("pass", "w-n"), ("diverge", "w-n"), ("crash", "w-n"),
                ("new", "w-n"), ("known", "w-n"), ("origin", "w-origin"), ("note", "w-note"))


def _impl_table(impls, specs, *, table_id, head=True):
    cols = "".join(f'<col class="{cls}">' for _, cls in IMPL_COLUMNS)
    out = [f'<table class="impls" id="{table_id}"><colgroup>{cols}</colgroup>']
    if head:
        out.append("<thead><tr>" + "".join(f"<th>{name}</th>" for name, _ in IMPL_COLUMNS)
                   + "</tr></thead>")
    out.append("<tbody>")
    out += [_impl_row(impls[s]) for s in specs]
    return out + ["</tbody></table>"]


def _impl_row(i):
    c, spec = i["counts"], _e(i["spec"])
    bar = (f'<span class="bar"><span style="width:{i["conformance"]}%"></span></span> '
           if i["conformance"] is not None else "")
    new = (f'<a href="#impl={spec}&amp;status=new" class="jump">{c["new"]}</a>' if c["new"]
           else "0")
    return (f'<tr data-impl="{spec}" data-severity="{i["severity"]}">'
            f'<th scope="row"><a href="#impl={spec}" class="jump">{spec}</a>'
            f'<small title="{_e(version(i))}">{_e(version(i))}</small></th><td>{_badge(i)}</td>'
            f'<td class="pct">{bar}{pct(i["conformance"])}</td>'
            + "".join(f'<td class="n">{c[k]}</td>' for k in ("pass", "diverge", "crash"))
            + f'<td class="n{" hot" if c["new"] else ""}">{new}</td><td class="n">{c["known"]}'
            f'</td><td>{_e(origin_text(c))}</td><td class="note" title="{_e(i["reason"] or "")}">'
            f'{_e(i["reason"] or "")}</td>'
            "</tr>")


def _cpython_summary(impls, specs):
    """The folded CPython group's one line: how many of them fare how, the worst named."""
    parts = []
    for severity, said in SEVERITY_SAID.items():
        mine = [s for s in specs if impls[s]["severity"] == severity]
        if mine:
            names = (" (" + ", ".join(mine[:3]) + (" ..." if len(mine) > 3 else "") + ")"
                     if severity.startswith("new") else "")
            parts.append(f'<span class="badge sev-{severity}">{len(mine)} {said}{_e(names)}'
                         "</span>")
    return (f"<summary><b>CPython</b>: {_e(cpython_title(specs))} "
            + " ".join(parts) + "</summary>")


def _first_screen(m, impls):
    order = m["order"]
    out = ['<section id="implementations"><h2>Implementations, worst first</h2>']
    if order["other"]:
        out += _impl_table(impls, order["other"], table_id="summary")
    if order["cpython"]:
        out += [f'<details id="cpython">{_cpython_summary(impls, order["cpython"])}']
        out += _impl_table(impls, order["cpython"], table_id="summary-cpython",
                           head=not order["other"])
        out.append("</details>")
    return out + [f'<p class="legend">{_e(LEGEND)} In the matrix below a known failure is pale, '
                  "with a dashed edge; a new one is bold.</p></section>"]


# -- compat.html: the matrix ----------------------------------------------------------------------

STATUS_FILTER = ("pass", "diverge", "crash", "na", "error", "new")


def _select(key, label, options):
    opts = ['<option value="">all</option>'] + [
        f'<option value="{_e(v)}">{_e(v)}</option>' if not isinstance(v, tuple) else
        f'<optgroup label="{_e(v[0])}">' + "".join(f'<option value="{_e(o)}">{_e(o)}</option>'
                                                   for o in v[1]) + "</optgroup>"
        for v in options]
    return f'<label>{label} <select id="f-{key}">' + "".join(opts) + "</select></label>"


def _filters(m):
    order = m["order"]
    impl_options = list(order["other"]) + ([("CPython", order["cpython"])]
                                           if order["cpython"] else [])
    return ['<div id="filters">', _select("impl", "Implementation", impl_options),
            _select("group", "Clause group", [g["name"] for g in m["groups"]]),
            _select("status", "Result", STATUS_FILTER),
            '<label><input type="checkbox" id="f-cpython"> each CPython</label>',
            '<span id="shown"></span></div>']


def _statuses(results):
    """A cell's data-status: every status of `results` and "new" where one is new."""
    said = {r["status"] for r in results if r}
    said |= {"new" for r in results if r and r.get("known") is False}
    return " ".join(sorted(said)) or "none"


def combined(results):
    """Several results (one implementation's over a group, or the CPythons' on one clause) as
    one: the worst status, known only when every failing one is; None when there is none."""
    from conformance.results import RANK

    there = [r for r in results if r]
    if not there:
        return None
    failing = [r["known"] for r in there if r.get("known") is not None]
    return {"status": max((r["status"] for r in there), key=RANK.__getitem__),
            **({"known": all(failing)} if failing else {})}


def _fold_cell(results, specs, *, href=""):
    """The folded CPython column: how many of its implementations fail here, the worst class."""
    failing = [(s, r) for s, r in zip(specs, results) if r and r.get("known") is not None]
    title = "; ".join(f"{s}: {r['status']} ({'known' if r['known'] else 'new'})"
                      for s, r in failing) or "none fails"
    text = f"{len(failing)}/{len(specs)}" if failing else (
        "pass" if any(r and r["status"] == "pass" for r in results) else "na")
    body = f'<a href="{href}">{text}</a>' if href else text
    return (f'<td class="s {mark(combined(results))}" data-fold="cpython" '
            f'data-status="{_statuses(results)}" title="{_e(title)}">{body}</td>')


def _columns(order, cell, fold):
    """A matrix row's cells in the columns' order: the other implementations, then the CPythons
    folded into one (`fold()`), then each CPython (`cell(spec, family=True)`, shown unfolded)."""
    out = [cell(s) for s in order["other"]]
    if order["cpython"]:
        out.append(fold())
        out += [cell(s, family=True) for s in order["cpython"]]
    return out


def _matrix_head(m, impls):
    order = m["order"]

    def cell(s, family=False):
        if family:
            return (f'<th data-impl="{_e(s)}" data-family="cpython" class="col">{_e(s)}'
                    f'<i class="sev-{impls[s]["severity"]}"></i></th>')
        return (f'<th data-impl="{_e(s)}" class="col"><a href="#impl={_e(s)}" class="jump">'
                f'{_e(s)}</a><i class="sev-{impls[s]["severity"]}"></i></th>')

    def fold():
        worst = min((impls[s]["severity"] for s in order["cpython"]),
                    key=lambda sev: list(SEVERITY_SAID).index(sev))
        return (f'<th data-fold="cpython" class="col">CPython <small>×{len(order["cpython"])}'
                f'</small><i class="sev-{worst}"></i></th>')

    return (['<table id="matrix"><thead><tr><th class="corner">clause group</th>']
            + _columns(order, cell, fold) + ["</tr></thead>"])


def _group_rows(m, g, clauses):
    order = m["order"]
    name = _e(g["name"])
    out = [f'<tbody data-group="{name}"><tr class="grp" data-group="{name}"><th scope="row">'
           f'<button type="button" class="tog" aria-expanded="false" data-group="{name}">'
           f'{name}</button> <small>{_plural(len(g["clauses"]), "clause")}</small></th>']
    def results(s):
        return [clauses[c]["results"].get(s) for c in g["clauses"]]

    out += _columns(
        order, lambda s, family=False: _group_cell(s, results(s), g["cells"][s], family=family),
        lambda: _fold_cell([combined(results(s)) for s in order["cpython"]], order["cpython"]))
    out.append("</tr>")
    for cid in g["clauses"]:
        out.append(_clause_row(m, clauses[cid]))
    return out + ["</tbody>"]


def _group_cell(spec, results, cell, *, family=False):
    fam = ' data-family="cpython"' if family else ""
    return (f'<td class="s {mark(combined(results))}" data-impl="{_e(spec)}"{fam} '
            f'data-status="{_statuses(results)}" title="{_e(_group_title(cell))}">'
            f"{_e(group_text(cell))}</td>")


def _group_title(cell):
    return ", ".join(f"{cell[k]} {k}" for k in ("pass", "diverge", "crash", "na", "error", "new")
                     if cell[k]) or "no results"


def _clause_row(m, c):
    order = m["order"]
    page = _e(c["page"])
    out = [f'<tr class="cl" data-group="{_e(c["group"])}" data-clause="{_e(c["id"])}">'
           f'<th scope="row"><a href="{page}"><code>{_e(c["id"])}</code></a>'
           f'<span class="text">{_e(c["text"])}</span></th>']
    out += _columns(
        order, lambda s, family=False: _clause_cell(c, s, family=family),
        lambda: _fold_cell([c["results"].get(s) for s in order["cpython"]], order["cpython"],
                           href=f"{c['page']}#cpython"))
    return "".join(out) + "</tr>"


def _clause_cell(c, spec, *, family=False):
    r = c["results"].get(spec)
    fam = ' data-family="cpython"' if family else ""
    if r is None:
        return (f'<td class="s none" data-impl="{_e(spec)}"{fam} data-status="none">—</td>')
    href = f'{c["page"]}#{anchor(spec)}'
    return (f'<td class="s {mark(r)}" data-impl="{_e(spec)}"{fam} '
            f'data-status="{_statuses([r])}"><a href="{_e(href)}">{_e(r["status"])}</a></td>')


def _matrix(m, impls):
    clauses = {c["id"]: c for c in m["clauses"]}
    out = ['<section id="clauses"><h2>Clause groups × implementations</h2>',
           '<p class="legend">Each group row shows the clauses passed out of those that applied; '
           "open a group for its clauses; each result links its clause's page. The CPythons are "
           "one column until <i>each CPython</i> is ticked.</p>"]
    out += _filters(m) + _matrix_head(m, impls)
    for g in m["groups"]:
        out += _group_rows(m, g, clauses)
    return out + ["</table></section>"]


# -- compat.html: the findings --------------------------------------------------------------------

def finding_class(d):
    """A finding's badge: grey when known, else the colour of a new crash or divergence."""
    return "sev-known" if d["known"] else f"sev-new-{d['status']}"


def _finding(d):
    tags = (f'<span class="badge {finding_class(d)}">'
            f'{"known" if d["known"] else "new"}</span>'
            + (' <span class="badge sev-known">the host\'s</span>' if d["origin"] == "host"
               else ""))
    known = (f'<p class="known">Known divergence: {_e(d["expected"])}</p>'
             if d["expected"] else "")
    ids = " ".join(c["id"] for c in d["clauses"])
    return (f'<details data-impl="{_e(d["impl"])}" data-group="{_e(" ".join(d["groups"]))}" '
            f'data-status="{_e(d["status"])}{"" if d["known"] else " new"}" '
            f'data-clause="{_e(ids)}"><summary>'
            f'<b>{_e(d["impl"])}</b>: <span class="{_e(d["status"])}">{_e(d["status"])}</span> '
            f'{tags} {_e(d["title"])} ({len(d["clauses"])} clause(s))</summary><ul>'
            + "".join(f'<li><a href="{_e(c["page"])}"><code>{_e(c["id"])}</code></a>: '
                      f'{_e(c["text"] or "(clause text not in the results)")}</li>'
                      for c in d["clauses"])
            + f'</ul><p>{_e(d["detail"])}</p>{known}'
            + f'<p>Issue text: <a href="{_e(d["text"])}">{_e(d["issue"])}</a>'
            + (f'; reproducer: <a href="{_e(d["script"])}"><code>{_e(d["script"])}</code></a>'
               if d["script"] else "") + "</p></details>")


def page(m):
    """compat.html."""
    impls = {i["spec"]: i for i in m["implementations"]}
    parts = head("mmap conformance") + [
        "<header><h1>mmap conformance</h1>",
        f'<p class="run">Run on <span id="date">{_e(m["date"] or "an unknown date")}</span> with '
        f'<code id="command">{_e(m["command"] or "(command not recorded)")}</code></p></header>']
    parts += _first_screen(m, impls) + _matrix(m, impls)
    parts += [f'<section><h2>Findings ({len(m["findings"])})</h2><div id="findings">']
    parts += [_finding(d) for d in m["findings"]] or ["<p>None.</p>"]
    parts += ["</div></section>", f"<script>{_asset('site.js')}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"
