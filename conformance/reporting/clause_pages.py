# SPDX-License-Identifier: MIT
"""The report's page per clause, clauses/ID.html (a permalink: named by the clause id), from
conformance/reporting/report.py's model: the clause and where it comes from, every implementation's result
and detail, and each finding that touches it with its upstream issues, issue text and reproducer.
Stdlib only."""

from __future__ import annotations

import html
import os

from conformance.reporting.site import (
    anchor,
    code,
    cpython_title,
    finding_class,
    head,
    mark,
    version,
)

ORIGIN_SAID = {"implementation": "own", "host": "the host's mmap"}
LONG_SCRIPT = 40  # lines: a longer reproducer is folded


def _e(text):
    return html.escape("" if text is None else str(text))


def _result_row(impl, r, findings):
    spec = impl["spec"]
    if r is None:
        cells = '<td class="s none">—</td><td></td><td></td><td>no result</td><td></td>'
    else:
        known = {None: "", True: "known", False: "new"}[r.get("known")]
        details = "" if r["status"] == "pass" else _details(r)
        links = "".join(f'<li><a href="#f-{_e(f["name"])}">{_e(f["title"])}</a></li>'
                        for f in findings)
        cells = (f'<td class="s {mark(r)}">{_e(r["status"])}</td><td>{known}</td>'
                 f'<td>{_e(ORIGIN_SAID.get(r.get("origin"), ""))}</td>'
                 f'<td>{f"<ul>{details}</ul>" if details else ""}</td>'
                 f'<td>{f"<ul>{links}</ul>" if links else ""}</td>')
    return (f'<tr id="{_e(anchor(spec))}" data-impl="{_e(spec)}"><th scope="row">{_e(spec)}'
            f"<small>{_e(version(impl))}</small></th>{cells}</tr>")


def _details(r):
    """A result's details, the shortest first (the rows of one finding differ in length)."""
    shown = sorted(r["details"], key=len)[:3]
    more = len(r["details"]) - len(shown) + r["more"]
    return "".join(f"<li><code>{_e(d)}</code></li>" for d in shown) + (
        f"<li>... and {more} more</li>" if more else "")


def _results_table(m, c, findings):
    impls = {i["spec"]: i for i in m["implementations"]}
    out = ['<table class="results"><thead><tr><th>implementation</th><th>result</th>'
           "<th>new or known</th><th>origin</th><th>detail</th><th>finding</th></tr></thead>"
           "<tbody>"]
    for fam in ("other", "cpython"):
        specs = m["order"][fam]
        if fam == "cpython" and specs:
            out.append(f'<tr id="cpython" class="sub"><th colspan="6">CPython: '
                       f"{_e(cpython_title(specs))}</th></tr>")
        out += [_result_row(impls[s], c["results"].get(s),
                            [f for f in findings if f["impl"] == s]) for s in specs]
    return out + ["</tbody></table>"]


def _tracker(url):
    """owner/repo#N of an issue's URL."""
    parts = url.rstrip("/").split("/")
    return f"{parts[-4]}/{parts[-3]}#{parts[-1]}" if len(parts) >= 7 else url


def _upstream(d, checked):
    if not d["upstream"]:
        return f"<p>Upstream: none recorded as of {_e(checked)}.</p>"
    said = "; ".join(f'<a href="{_e(u["url"])}">{_e(_tracker(u["url"]))}</a> ({_e(u["status"])}'
                     + (f', fixed in {_e(u["fixed_in"])}' if u.get("fixed_in") else "")
                     + f'): {_e(u["about"])}' for u in d["upstream"])
    return f"<p>Upstream (as of {_e(checked)}): {said}</p>"


def _script(d, scripts):
    text = scripts.get(d["name"])
    if text is None:
        return ""
    block = f'<pre class="script"><code>{_e(text)}</code></pre>'
    lines = text.count("\n") + 1
    if lines <= LONG_SCRIPT:
        return block
    return f"<details><summary>The reproducer ({lines} lines)</summary>{block}</details>"


def _clause_finding(d, scripts, checked):
    tags = ("known" if d["known"] else "new") + (", the host's mmap" if d["origin"] == "host"
                                                  else "")
    links = [f'issue text <a href="../{_e(d["text"])}">{_e(os.path.basename(d["text"]))}</a>']
    if d["script"]:
        links.append(f'reproducer <a href="../{_e(d["script"])}">'
                     f'{_e(os.path.basename(d["script"]))}</a>')
    return "".join([
        f'<section class="finding" id="f-{_e(d["name"])}"><h3>{_e(d["impl"])}: {code(d["issue"])}'
        f'</h3><p><span class="badge {finding_class(d)}">'
        f'{_e(d["status"])}, {_e(tags)}</span> on {len(d["clauses"])} clause(s)</p>',
        f'<p><code>{_e(d["detail"])}</code></p>',
        f'<p class="known">Known divergence: {_e(d["expected"])}</p>' if d["expected"] else "",
        _upstream(d, checked), f"<p>{'; '.join(links)}</p>", _script(d, scripts), "</section>"])


def clause_page(m, c, scripts):
    """clauses/ID.html: the clause, where it comes from, every implementation's result and the
    findings that touch it with their reproducers (`scripts`: {finding name: its NAME.py})."""
    findings = [d for d in m["findings"] if any(x["id"] == c["id"] for x in d["clauses"])]
    cite = [("Group", _e(c["group"])), ("Source", code(c.get("citation") or c.get("source"))),
            ("Holds for", _e(c.get("versions") or "versions not recorded")),
            ("Platform", _e(c.get("platform") or "not recorded"))]
    parts = head(f"{c['id']} — mmap conformance") + [
        f'<header class="clause-head"><nav><a href="../compat.html#group={_e(c["group"])}">'
        f'mmap conformance</a> › {_e(c["group"])}</nav><h1><code>{_e(c["id"])}</code></h1>',
        f'<p class="clause">{_e(c["text"] or "(clause text not in the results)")}</p></header>',
        '<dl class="cite">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in cite) + "</dl>",
        "<h2>Results</h2>"]
    parts += _results_table(m, c, findings)
    parts.append(f"<h2>Findings on this clause ({len(findings)})</h2>")
    parts += [_clause_finding(d, scripts, m["upstream_checked"]) for d in findings] or [
        "<p>None.</p>"]
    return "\n".join(parts + ["</body></html>"]) + "\n"


def pages(m, scripts):
    """{path relative to the report folder (clauses/ID.html): HTML} of every clause page."""
    return {c["page"]: clause_page(m, c, scripts) for c in m["clauses"]}
