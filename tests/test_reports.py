# SPDX-License-Identifier: MIT
"""conformance/reporting/report.py: a results JSON becomes compat.md, compat.html and compat.json; what a reader
of the HTML page sees is checked in headless Chromium when it is installed."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from conformance.reporting import report as build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPRO = "import mmap\nm = mmap.mmap(-1, 1)\nassert m.read_byte() == 0  # <got 1>\n"


def results():
    rows = [
        ("stdlib", "read_byte", "pass"), ("stdlib", "read_byte", "pass"),
        ("stdlib", "seek.oob", "pass"), ("stdlib", "find.basic", "na"),
        ("mutant", "read_byte", "pass"), ("mutant", "read_byte", "diverge"),  # worst: diverge
        ("mutant", "seek.oob", "crash"), ("mutant", "find.basic", "pass"),
        ("mutant", "find.basic", "na"),
    ]
    clauses = [
        {"id": "read_byte", "source": "de-facto", "text": "read_byte() returns an int", "group": "read"},
        {"id": "seek.oob", "source": "de-facto", "text": "seek past the end <raises>", "group": "seek"},
        {"id": "find.basic", "source": "documented", "text": "find returns the lowest index",
         "group": "find"},
    ]
    out = []
    for impl, clause, status in rows:
        failing = status in ("diverge", "crash")
        out.append({"impl": impl, "clause": clause, "status": status,
                    "detail": f"step 2 m.{clause}(): differs" if failing else "",
                    "repro": REPRO if failing else None})
    return {
        "schema": 1, "date": "2025-06-01T12:00:00+00:00",
        "command": "python -m conformance --impl stdlib --impl mutant --impl ghost --seed 3",
        "implementations": [
            {"spec": "stdlib", "name": "stdlib", "version": "3.11.7", "profile": "3.11",
             "status": "conformant", "reason": None},
            {"spec": "mutant", "name": "mutant", "version": "3.11.7", "profile": "3.11",
             "status": "crashed", "reason": None},
            {"spec": "ghost", "name": "ghost", "version": None, "profile": None,
             "status": "unavailable", "reason": "ghost is not installed"},
        ],
        "clauses": clauses, "results": out}


@pytest.fixture
def built(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results()))
    out = tmp_path / "out"
    build.build(str(path), str(out))
    return out


def test_model_counts_clauses_by_their_worst_row():
    m = build.model(results())
    impls = {i["spec"]: i for i in m["implementations"]}
    counted = ("pass", "diverge", "crash", "na", "error", "new", "known")
    assert {k: impls["stdlib"]["counts"][k] for k in counted} == {
        "pass": 2, "diverge": 0, "crash": 0, "na": 1, "error": 0, "new": 0, "known": 0}
    assert impls["stdlib"]["conformance"] == 100.0
    assert {k: impls["mutant"]["counts"][k] for k in counted} == {
        "pass": 1, "diverge": 1, "crash": 1, "na": 0, "error": 0, "new": 2, "known": 0}
    assert impls["mutant"]["conformance"] == 33.3
    assert impls["mutant"]["verdict"] == "crashed (1 new)"
    assert impls["ghost"]["conformance"] is None and impls["ghost"]["status"] == "unavailable"
    cells = {c["id"]: c["cells"] for c in m["clauses"]}
    assert cells["read_byte"] == {"stdlib": "pass", "mutant": "diverge", "ghost": None}
    assert cells["find.basic"]["mutant"] == "pass"  # na says nothing about the row that applied
    assert [(d["impl"], d["clause"], d["status"]) for d in m["divergences"]] == [
        ("mutant", "read_byte", "diverge"), ("mutant", "seek.oob", "crash")]


def test_build_writes_markdown_html_and_json(built):
    assert sorted(os.listdir(built)) == ["clauses", "compat.html", "compat.json", "compat.md",
                                         "findings"]
    assert sorted(os.listdir(built / "clauses")) == [
        "find.basic.html", "read_byte.html", "seek.oob.html"]
    md = (built / "compat.md").read_text()
    assert "python -m conformance --impl stdlib --impl mutant --impl ghost --seed 3" in md
    assert "2025-06-01T12:00:00+00:00" in md
    assert ("| mutant | crashed (1 new) | 1 | 1 | 1 | 2 | 0 | own 2 | 33.3% | "
            "3.11.7 (profile 3.11) |  |") in md
    assert ("| ghost | unavailable | 0 | 0 | 0 | 0 | 0 | — | — | ? (profile ?) | "
            "ghost is not installed |") in md
    # Worst first: the new crash, then the conformant, then the one that did not run.
    assert md.index("| mutant |") < md.index("| stdlib |") < md.index("| ghost |")
    assert "| [`read_byte`](clauses/read_byte.html) | read | diverge (new) | pass | — |" in md
    assert "| read | 1 | 0/1, 1 new | 1/1 | — |" in md
    assert "### mutant: crash on seek.oob\n\ncrash (new) on 1 clause(s), 1 result(s):" in md
    assert "- [`seek.oob`](clauses/seek.oob.html): seek past the end <raises>" in md
    assert REPRO not in md  # linked, not inlined
    assert "; reproducer: [`findings/mutant-read-byte.py`](findings/mutant-read-byte.py)" in md
    page = (built / "compat.html").read_text()
    assert page.count("<details") == 2 and "&lt;raises&gt;" in page and REPRO not in page
    assert '<a href="findings/mutant-read-byte.md">' in page
    # Static files: nothing loaded from elsewhere.
    for text in [page] + [p.read_text() for p in (built / "clauses").iterdir()]:
        assert "<script src" not in text and "<link" not in text and "http" not in text
    data = json.loads((built / "compat.json").read_text())
    assert data["command"].startswith("python -m conformance") and len(data["divergences"]) == 2
    assert [f["title"] for f in data["findings"]] == ["crash on seek.oob", "diverge on read_byte"]


def test_every_link_of_the_report_points_at_a_written_file(built):
    """Each finding links its issue text and script in findings/; nothing else is there, and
    the script is the finding's reproducer unchanged. Built without --run: the issue text says
    its output was not run, never an invented one."""
    import re

    md = (built / "compat.md").read_text()
    page = (built / "compat.html").read_text()
    links = set(re.findall(r"\]\((findings/[^)]+)\)", md))
    assert links == set(re.findall(r'href="(findings/[^"]+)"', page))
    assert sorted(links) == sorted(f"findings/{n}" for n in os.listdir(built / "findings"))
    assert len(links) == 4  # two findings, a .md and a .py each
    pages = set(re.findall(r"\]\((clauses/[^)]+)\)", md))
    assert pages == {re.sub("#.*", "", h) for h in re.findall(r'href="(clauses/[^"]+)"', page)}
    assert sorted(pages) == sorted(f"clauses/{n}" for n in os.listdir(built / "clauses"))
    for name in os.listdir(built / "clauses"):  # the clause pages' own links, back and out
        text = (built / "clauses" / name).read_text()
        for href in re.findall(r'href="([^"#]+)', text):
            assert (built / "clauses" / href).resolve().is_file(), (name, href)
    assert (built / "findings" / "mutant-read-byte.py").read_text() == REPRO
    text = (built / "findings" / "mutant-read-byte.md").read_text()
    assert "- `read_byte` (holds for versions not recorded): read_byte() returns an int" in text
    assert "Not run (built without running the scripts)." in text
    assert "[`mutant-read-byte.py`](mutant-read-byte.py)" in text


def test_a_rebuild_drops_the_findings_that_are_gone(tmp_path, built):
    (built / "findings" / "old-finding.md").write_text("gone\n")
    doc = results()
    doc["results"] = [r for r in doc["results"] if r["clause"] != "seek.oob"]
    (tmp_path / "fewer.json").write_text(json.dumps(doc))
    build.build(str(tmp_path / "fewer.json"), str(built))
    assert sorted(os.listdir(built / "findings")) == ["mutant-read-byte.md", "mutant-read-byte.py"]


def run_build(*args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", "report", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content, says", [
    (json.dumps(results())[:300], "not valid JSON, truncated?"),
    (json.dumps(dict(results(), schema=2)), "results schema 2"),
    (json.dumps({"schema": 1}), "needs a list under 'implementations'"),
    (None, "cannot read it"),
])
def test_bad_results_are_one_line_exit_2_and_write_nothing(tmp_path, content, says):
    if content is not None:
        (tmp_path / "results.json").write_text(content)
    result = run_build("results.json", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_results_leave_an_earlier_report_alone(tmp_path, built):
    def files():
        return {str(p.relative_to(built)): p.read_text() for p in built.rglob("*") if p.is_file()}

    before = files()
    (tmp_path / "cut.json").write_text(json.dumps(results())[:500])
    assert run_build("cut.json", "--out", str(built), cwd=tmp_path).returncode == 2
    assert files() == before and len(before) == 3 + 4 + 3  # documents, findings, clause pages


def test_reports_never_import_pytest(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(results()))
    code = ("import sys, runpy; sys.argv = ['conformance', 'report', 'results.json', '--out', 'out']\n"
            "try:\n    runpy.run_module('conformance', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "assert 'pytest' not in sys.modules and '_pytest' not in sys.modules\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "compat.html").exists()


def test_a_real_run_builds(tmp_path):
    """A tiny run of the reference goes through unchanged: schema, rows, a 100% summary."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-m", "conformance", "--impl", "reference",
                          "--examples", "5", "--seed", "1", "--json", "r.json"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    result = run_build("r.json", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    md = (tmp_path / "out" / "compat.md").read_text()
    import re

    row = re.search(r"^\| reference \| conformant \| \d+ \| 0 \| 0 \| 0 \| 0 \| — \| 100% \| "
                    r"(\S+) \(profile (\S+)\) \|", md, re.M)
    assert row, md[:2000]
    assert "### CPython: the reference" in md  # the reference is one of the CPython group


# -- what a reader sees: headless Chromium ---------------------------------------------------------

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium; .ci/run does)")


def dom(page, query):
    """The page's DOM after its script ran, opened at `page#query`."""
    with tempfile.TemporaryDirectory(prefix="mmapconf-chromium-") as profile:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--dump-dom",
             f"file://{page}#{query}"],
            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-ready="1"' in result.stdout, "the page's script did not run"
    return result.stdout


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


def visible(html_text, marker):
    """How many elements whose opening tag contains `marker` are shown: neither they nor an
    element around them is hidden."""
    import html.parser

    class Counter(html.parser.HTMLParser):
        count, stack = 0, []

        def handle_starttag(self, tag, attrs):
            source = self.get_starttag_text()
            hidden = any(k == "hidden" for k, _ in attrs) or any(h for _, h in self.stack)
            if marker in source and not hidden:
                self.count += 1
            if tag not in VOID:
                self.stack.append((tag, hidden))

        def handle_endtag(self, tag):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    parser = Counter()
    parser.feed(html_text)
    return parser.count


@needs_chromium
def test_the_page_unfiltered_shows_every_group_folded(built):
    text = dom(built / "compat.html", "")
    assert visible(text, 'class="grp"') == 3 and visible(text, 'class="cl"') == 0
    assert visible(text, 'data-impl="ghost"') == 1 + 1 + 3  # summary row, header, 3 groups
    assert visible(text, "details ") == 2
    assert "3 clauses, 2 findings shown" in text


@needs_chromium
def test_filtering_to_one_implementation_hides_the_others(built):
    text = dom(built / "compat.html", "impl=stdlib")
    matrix = text[text.index('id="matrix"'):]
    assert visible(matrix, 'data-impl="mutant"') == 0 and visible(matrix, 'data-impl="ghost"') == 0
    assert visible(matrix, 'data-impl="stdlib"') == 1 + 3  # header, 3 group cells
    assert 'data-impl="stdlib" data-severity="ok" class="sel"' in text  # its summary row marked
    assert visible(text, "details ") == 0  # stdlib has no finding
    assert "3 clauses, 0 findings shown" in text


@needs_chromium
def test_filtering_by_group_and_status(built):
    text = dom(built / "compat.html", "group=seek")
    assert visible(text, "data-clause=") == 1 + 1  # the seek row, opened, and its finding
    assert "1 clauses, 1 findings shown" in text
    text = dom(built / "compat.html", "impl=mutant&status=crash")
    assert "1 clauses, 1 findings shown" in text
    assert visible(text, 'data-clause="seek.oob"') == 2
    text = dom(built / "compat.html", "impl=stdlib&status=diverge")
    assert "0 clauses, 0 findings shown" in text
    text = dom(built / "compat.html", "status=new")  # new failures, whatever their status
    assert "2 clauses, 2 findings shown" in text
    text = dom(built / "compat.html", "status=crash&open=")  # opened by hand: none
    assert visible(text, 'class="cl"') == 0 and "1 clauses" in text


def test_findings_group_one_cause_over_clauses_with_one_reproducer(tmp_path):
    doc = results()
    detail = ("step 2 m.resize(0): expected returns None, got raises OSError [errno ENOMEM]: "
              "no (out differ)")
    doc["results"] += [
        {"impl": "mutant", "clause": c, "status": "diverge", "detail": detail, "repro": repro}
        for c, repro in (("resize.a", "x = 1\n" * 9), ("resize.b", "short = 1\n"))]
    md = build.markdown(build.model(doc))
    assert "## Findings (3 causes over 4 diverging clauses)" in md
    section = md[md.index("### mutant: resize: expected returns None, got raises OSError"):]
    assert section.startswith("### mutant: resize: expected returns None, got raises OSError\n\n"
                              "diverge (new) on 2 clause(s), 2 result(s):\n\n"
                              "- [`resize.a`](clauses/resize.a.html): ")
    section = section.split("\n### ")[0]
    assert "reproducer: [`findings/mutant-resize-oserror-not-returns-none.py`]" in section
    from conformance.reporting import issues

    issues.write(doc, str(tmp_path), run=False)
    script = tmp_path / "mutant-resize-oserror-not-returns-none.py"
    assert script.read_text() == "short = 1\n"  # one reproducer, the shortest


def test_the_checkout_shim_still_builds(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(results()))
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", "reports.build", "results.json", "--out", "o"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "compat.md").exists()


# -- a run shaped like the published one: many CPythons, the others after them ---------------------

CPYTHONS = ["cpython2.7", "cpython3.6", "cpython3.7", "cpython3.8", "cpython3.9", "cpython3.10",
            "cpython3.11.2", "cpython3.12", "cpython3.13", "cpython3.13.0", "cpython3.14",
            "cpython3.15"]
GROUPS = ["access", "buffer", "close", "ctor", "find", "read", "resize", "seek"]
KNOWN_CRASH = "CPython's resize crashes with SIGBUS (a known CPython bug)"
FLEET_REPRO = "import mmap\nm = mmap.mmap(-1, 4)\nm.seek(9)  # pypy3: no ValueError\n"


def fleet():
    """The reference and 12 CPythons listed first, as `--impl all` lists them, then stdlib,
    fmmap, pypy3, pyodide and one that is not installed. Every CPython and stdlib crash on
    resize.c0, known; cpython3.11.2 also diverges on find.c1, new; fmmap's divergence on find.c0
    is its host's (origin host), its crash on seek.c1 new; pypy3 crashes (new) on seek.c0 and
    diverges (new) on 6 clauses; pyodide diverges (new) on read.c2."""
    clauses = [{"id": f"{g}.c{n}", "group": g, "source": "de-facto", "versions": ">=3.0",
                "platform": "unix", "text": f"the {g} clause number {n} holds, in a sentence "
                "as long as the catalogue's longer ones: a reader sees it beside the clause id"}
               for g in GROUPS for n in range(4)]
    specs = ["reference"] + CPYTHONS + ["stdlib", "fmmap", "pypy3", "pyodide"]
    failing = {(s, "resize.c0"): ("crash", {"expected": KNOWN_CRASH})
               for s in CPYTHONS + ["stdlib"]}
    failing[("cpython3.11.2", "find.c1")] = ("diverge", {})
    failing[("fmmap", "find.c0")] = ("diverge", {"origin": "host"})
    failing[("fmmap", "seek.c1")] = ("crash", {})
    failing[("pypy3", "seek.c0")] = ("crash", {"repro": FLEET_REPRO})
    failing.update({("pypy3", f"{g}.c2"): ("diverge", {}) for g in GROUPS[:6]})
    failing[("pyodide", "read.c2")] = ("diverge", {})
    rows = []
    for spec in specs:
        for c in clauses:
            status, extra = failing.get((spec, c["id"]), ("pass", {}))
            row = {"impl": spec, "clause": c["id"], "status": status, "repro": None,
                   "detail": f"step 1 m.{c['id']}(): {spec} differs" if status != "pass" else ""}
            if status != "pass":
                row["repro"] = f"print({spec!r}, {c['id']!r})\n"
            rows.append(dict(row, **extra))
    infos = [{"spec": s, "name": s, "version": "3.11.7", "profile": "3.11",
              "status": "conformant" if s == "reference" else "crashed"} for s in specs]
    infos.append({"spec": "ghost", "name": "ghost", "version": None, "profile": None,
                  "status": "unavailable", "reason": "ghost is not installed"})
    return {"schema": 1, "date": "2025-06-01T12:00:00+00:00", "command": "python -m conformance "
            "--impl all", "implementations": infos, "clauses": clauses, "results": rows}


@pytest.fixture
def fleet_built(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(fleet()))
    build.build(str(path), str(tmp_path / "out"))
    return tmp_path / "out"


def test_the_first_table_is_worst_first_and_tells_known_from_new():
    m = build.model(fleet())
    assert m["order"]["other"] == ["pypy3", "fmmap", "pyodide", "stdlib", "ghost"]
    assert m["order"]["cpython"][0] == "cpython3.11.2"  # its new divergence
    assert m["order"]["cpython"][-1] == "reference" and len(m["order"]["cpython"]) == 13
    impls = build.by_spec(m)
    said = {s: impls[s]["verdict"] for s in ("pypy3", "fmmap", "pyodide", "stdlib", "ghost",
                                             "cpython3.9", "cpython3.11.2", "reference")}
    assert said == {
        "pypy3": "crashed (1 new)", "fmmap": "crashed (1 new)", "pyodide": "divergent (1 new)",
        "stdlib": "crashed (all known)", "ghost": "unavailable",
        "cpython3.9": "crashed (all known)", "cpython3.11.2": "divergent (1 new), crashes known",
        "reference": "conformant"}
    fmmap = impls["fmmap"]["counts"]
    assert (fmmap["new"], fmmap["known"], fmmap["own"], fmmap["host"]) == (1, 1, 1, 1)
    assert impls["pypy3"]["counts"]["new"] == 7 and impls["stdlib"]["counts"]["known"] == 1


def test_a_new_row_under_a_known_crash_is_new():
    doc = fleet()
    doc["results"].append({"impl": "cpython3.9", "clause": "resize.c0", "status": "diverge",
                           "detail": "step 1 differs", "repro": None})
    c9 = build.by_spec(build.model(doc))["cpython3.9"]
    assert c9["verdict"] == "divergent (1 new), crashes known" and c9["severity"] == "new-diverge"


def test_the_folded_cpython_group_names_its_new_failures(fleet_built):
    page = (fleet_built / "compat.html").read_text()
    summary = page[page.index('<details id="cpython">'):page.index("</summary>")]
    assert "the reference and 12 CPythons" in summary
    assert "1 with new divergences (cpython3.11.2)" in summary
    assert "11 failing, all known" in summary and "1 conformant" in summary
    md = (fleet_built / "compat.md").read_text()
    assert md.index("## Implementations, worst first") < md.index("| pypy3 | crashed (1 new) |")
    assert md.index("| stdlib | crashed (all known) |") < md.index(
        "### CPython: the reference and 12 CPythons") < md.index("| cpython3.11.2 | divergent")
    assert "| fmmap | crashed (1 new) | 30 | 1 | 1 | 1 | 1 | own 1, host 1 |" in md


def test_a_clause_page_has_the_clause_its_citation_every_result_and_the_reproducer(fleet_built):
    page = (fleet_built / "clauses" / "seek.c0.html").read_text()
    assert "<h1><code>seek.c0</code></h1>" in page and "the seek clause number 0 holds," in page
    assert "<dt>Holds for</dt><dd>&gt;=3.0</dd>" in page and "<dt>Platform</dt><dd>unix</dd>" in page
    for spec in ["reference", "stdlib", "fmmap", "pypy3", "pyodide"] + CPYTHONS:
        assert f'<tr id="i-{spec}" data-impl="{spec}">' in page
    assert "step 1 m.seek.c0(): pypy3 differs" in page
    assert '<a href="../findings/pypy3-seek.c0.py">' in page
    assert html.escape(FLEET_REPRO.strip()) in page
    assert "Upstream: none recorded as of" in page


# A row as `python -m conformance` wrote it for PyPy 3.11 (its finding record whole, the long
# step-by-step script cut): conformance/reporting/upstream.toml knows the issue behind it.
PYPY_ROW = {
    "impl": "pypy3", "clause": "buffer.close-exported", "status": "diverge",
    "detail": "step 3 m.close(): expected raises BufferError: cannot close exported pointers "
              "exist, got returns None (out, state open vs closed, len 10 vs None, pos 0 vs None, "
              "data 30313233343536373839 vs None differ)",
    "repro": "# the step-by-step script\n", "origin": "implementation",
    "finding": {
        "impl": "pypy3", "identity": "close @ buffer.close-exported: raises BufferError, got "
        "returns None", "clause": "buffer.close-exported", "kind": "diverge", "op": "close",
        "steps": [["open", [{"data": "30313233343536373839", "mode": "r+"}, [{"fd": "file"}, 0],
                            {}]], ["export", []], ["call", ["close", [], {}]]],
        "expected": {"out": ["exc", "BufferError", None, "cannot close exported pointers exist"],
                     "clause": "buffer.close-exported", "state": "open", "len": 10, "pos": 0,
                     "data": "30313233343536373839", "file": "30313233343536373839"},
        "got": {"out": ["ok", None], "state": "closed", "file": "30313233343536373839"},
        "fields": ["out", "state", "len", "pos", "data"], "origin": "implementation",
        "raised": [None, None, "BufferError"]}}


def test_a_clause_page_links_the_upstream_issue_and_shows_the_plain_reproducer(tmp_path):
    doc = fleet()
    doc["clauses"].append({"id": "buffer.close-exported", "group": "buffer", "source": "de-facto",
                           "versions": "all", "text": "close() with an export raises"})
    doc["results"].append(PYPY_ROW)
    (tmp_path / "r.json").write_text(json.dumps(doc))
    build.build(str(tmp_path / "r.json"), str(tmp_path / "out"))
    page = (tmp_path / "out" / "clauses" / "buffer.close-exported.html").read_text()
    assert ('<a href="https://github.com/pypy/pypy/issues/3723">pypy/pypy#3723</a> (open)'
            in page)
    [name] = re.findall(r'href="\.\./findings/(pypy3-[^"]+)\.py"', page)
    script = (tmp_path / "out" / "findings" / f"{name}.py").read_text()
    assert "import mmap" in script and "the step-by-step script" not in script  # the plain one
    assert html.escape(script.strip()) in page

def test_clause_pages_are_named_by_clause_id_and_never_collide():
    from conformance.reporting import site

    assert site.page_of("seek.oob") == "clauses/seek.oob.html"
    odd = ["tests/test_x.py::test[a]", "tests/test_x.py::test[b]", "..", "a b", "a_b"]
    names = [site.page_of(cid) for cid in odd]
    assert len(set(names)) == len(odd)
    assert all(re.fullmatch(r"clauses/[A-Za-z0-9_-][A-Za-z0-9._-]*\.html", n) for n in names)


def test_a_rebuild_drops_the_clause_pages_that_are_gone(tmp_path, built):
    doc = results()
    doc["results"] = [r for r in doc["results"] if r["clause"] != "seek.oob"]
    doc["clauses"] = [c for c in doc["clauses"] if c["id"] != "seek.oob"]
    (tmp_path / "fewer.json").write_text(json.dumps(doc))
    build.build(str(tmp_path / "fewer.json"), str(built))
    assert sorted(os.listdir(built / "clauses")) == ["find.basic.html", "read_byte.html"]


def test_the_stale_published_results_still_build(tmp_path):
    """reports/results.json predates origins and finding records: it builds, the CPythons
    folded, the one new divergence among them named."""
    out = tmp_path / "out"
    paths = build.build(os.path.join(ROOT, "reports", "results.json"), str(out))
    assert paths[-1] == str(out / "clauses") and len(os.listdir(out / "clauses")) > 200
    m = json.loads((out / "compat.json").read_text())
    specs = [i["spec"] for i in m["implementations"]]
    assert sorted(m["order"]["cpython"]) == sorted(
        s for s in specs if s == "reference" or re.match(r"cpython\d", s))
    assert "stdlib" in m["order"]["other"] and len(m["order"]["other"]) >= 2
    severity = {i["spec"]: build.SEVERITIES.index(i["severity"]) for i in m["implementations"]}
    for family in m["order"].values():  # worst first
        assert [severity[s] for s in family] == sorted(severity[s] for s in family)


# -- what a reader sees and does: Playwright driving Debian's Chromium -----------------------------

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the `test` extra installs it
    sync_playwright = None

needs_playwright = pytest.mark.skipif(
    sync_playwright is None or CHROMIUM is None,
    reason="needs playwright (pip install -e .[test]) and chromium (apt-get install chromium)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser_page():
    """A 1400x900 page of Chromium, the machine's own (Playwright downloads none)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def open_report(page, folder, query=""):
    page.goto(f"file://{folder / 'compat.html'}" + (f"#{query}" if query else ""))
    page.wait_for_selector("body[data-ready='1']")


@needs_playwright
def test_a_failing_cell_leads_to_its_clause_page_and_its_reproducer(fleet_built, browser_page):
    page = browser_page
    open_report(page, fleet_built)
    cell = page.locator('tr[data-clause="seek.c0"] td[data-impl="pypy3"] a')
    assert not cell.is_visible()  # the seek group is folded
    page.click('button.tog[data-group="seek"]')
    assert "open=seek" in page.url  # the opened group is in the URL too
    assert cell.inner_text() == "crash"
    cell.click()
    page.wait_for_url("**/clauses/seek.c0.html#i-pypy3")
    assert page.locator("tr#i-pypy3 td.s").inner_text() == "crash"
    script = page.locator("pre.script")
    assert script.is_visible() and script.inner_text().strip() == FLEET_REPRO.strip()
    assert page.locator("header.clause-head").is_visible()  # the clause stays in view


@needs_playwright
def test_the_first_screen_shows_every_implementation_but_the_cpythons(fleet_built, browser_page,
                                                                      tmp_path):
    page = browser_page
    open_report(page, fleet_built)
    png = tmp_path / "first-screen.png"
    page.screenshot(path=str(png))
    assert png.stat().st_size > 10_000
    for spec in ("pypy3", "fmmap", "pyodide", "stdlib", "ghost"):
        for where in (f'#summary tr[data-impl="{spec}"]', f'#matrix th[data-impl="{spec}"]'):
            box = page.locator(where).bounding_box()
            assert box is not None, where
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1400, (where, box)
            if where.startswith("#summary"):  # the table in full, without scrolling
                assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (where, box)
    assert page.locator("details#cpython > summary").count() == 1
    fold = page.locator("details#cpython > summary").bounding_box()
    assert fold is not None and fold["y"] + fold["height"] <= 900  # the overview, whole
    assert not page.locator('#summary-cpython tr[data-impl="cpython3.9"]').is_visible()
    assert not page.locator('#matrix th[data-impl="cpython3.9"]').is_visible()
    page.click("details#cpython > summary")
    assert page.locator('#summary-cpython tr[data-impl="cpython3.9"]').is_visible()
    page.click('button.tog[data-group="seek"]')  # clause rows, their text beside the id
    for spec in ("pypy3", "fmmap", "pyodide", "stdlib", "ghost"):
        box = page.locator(f'tr[data-clause="seek.c0"] td[data-impl="{spec}"]').bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1400, (spec, box)


@needs_playwright
def test_filters_go_into_the_url_and_come_back_from_it(fleet_built, browser_page):
    page = browser_page
    open_report(page, fleet_built)
    page.select_option("#f-status", "new")
    page.check("#f-cpython")
    assert page.url.endswith("#status=new&cpython=each")
    shown = page.locator("#shown").inner_text()
    # pypy3's 7 (pyodide's read.c2 among them), fmmap's seek.c1, cpython3.11.2's find.c1; not
    # fmmap's find.c0 (its host's) nor the CPythons' known resize.c0.
    assert shown == "9 clauses, 10 findings shown"
    assert page.locator('tr[data-clause="find.c1"] td[data-impl="cpython3.11.2"]').is_visible()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#f-status").input_value() == "new"
    assert page.locator("#shown").inner_text() == shown
    page.click('#summary tr[data-impl="fmmap"] th a')  # an implementation's name filters to it
    assert "impl=fmmap" in page.url
    assert page.locator('#matrix th[data-impl="fmmap"]').is_visible()
    assert not page.locator('#matrix th[data-impl="pypy3"]').is_visible()


def test_the_published_documents_name_no_path_of_this_machine(tmp_path):
    doc = results()
    home, tmp = os.path.expanduser("~"), tempfile.gettempdir()
    doc["command"] = (f"python -m conformance --impl python:{home}/.pyenv/versions/3.12.1/bin/"
                      f"python --json {tmp}/run/results.json --repro-dir {os.getcwd()}/repro")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    build.build(str(path), str(tmp_path / "out"), run=False)
    for name in ("compat.md", "compat.html", "compat.json"):
        text = (tmp_path / "out" / name).read_text()
        assert home not in text and tmp not in text and os.getcwd() not in text, name
        assert "results.json" in text  # the paths' last parts stay
