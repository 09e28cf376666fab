# SPDX-License-Identifier: MIT
"""conformance/report.py: a results JSON becomes compat.md, compat.html and compat.json; what a reader
of the HTML page sees is checked in headless Chromium when it is installed."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from conformance import report as build

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
    assert impls["stdlib"]["counts"] == {"pass": 2, "diverge": 0, "crash": 0, "na": 1}
    assert impls["stdlib"]["conformance"] == 100.0
    assert impls["mutant"]["counts"] == {"pass": 1, "diverge": 1, "crash": 1, "na": 0}
    assert impls["mutant"]["conformance"] == 33.3
    assert impls["ghost"]["conformance"] is None and impls["ghost"]["status"] == "unavailable"
    cells = {c["id"]: c["cells"] for c in m["clauses"]}
    assert cells["read_byte"] == {"stdlib": "pass", "mutant": "diverge", "ghost": None}
    assert cells["find.basic"]["mutant"] == "pass"  # na says nothing about the row that applied
    assert [(d["impl"], d["clause"], d["status"]) for d in m["divergences"]] == [
        ("mutant", "read_byte", "diverge"), ("mutant", "seek.oob", "crash")]


def test_build_writes_markdown_html_and_json(built):
    assert sorted(os.listdir(built)) == ["compat.html", "compat.json", "compat.md", "findings"]
    md = (built / "compat.md").read_text()
    assert "python -m conformance --impl stdlib --impl mutant --impl ghost --seed 3" in md
    assert "2025-06-01T12:00:00+00:00" in md
    assert "| mutant | 3.11.7 (profile 3.11) | crashed | 33.3% | 1 | 1 | 1 | 0 |" in md
    assert "| ghost | ? (profile ?) | unavailable | — | 0 | 0 | 0 | 0 | ghost is not installed |" in md
    assert "| `read_byte` | read | pass | diverge | — |" in md
    assert "### mutant: crash on seek.oob\n\ncrash on 1 clause(s), 1 result(s):" in md
    assert "- `seek.oob`: seek past the end <raises>" in md
    assert REPRO not in md  # linked, not inlined
    assert "; reproducer: [`findings/mutant-read-byte.py`](findings/mutant-read-byte.py)" in md
    page = (built / "compat.html").read_text()
    assert page.count("<details") == 2 and "&lt;raises&gt;" in page and REPRO not in page
    assert '<a href="findings/mutant-read-byte.md">' in page
    # One static file: nothing loaded from elsewhere.
    assert "<script src" not in page and "<link" not in page and "http" not in page
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
    return subprocess.run([sys.executable, "-m", "conformance.report", *args], cwd=cwd, env=env,
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
    assert files() == before and len(before) == 3 + 4


def test_reports_never_import_pytest(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(results()))
    code = ("import sys, runpy; sys.argv = ['build', 'results.json', '--out', 'out']\n"
            "try:\n    runpy.run_module('conformance.report', run_name='__main__')\n"
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
    assert "| reference | 3.11 (profile 3.11) | conformant | 100% |" in md.replace(
        f"{sys.version_info[0]}.{sys.version_info[1]}", "3.11")


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


def visible(html_text, marker):
    """How many elements whose opening tag contains `marker` are not hidden."""
    count = 0
    for chunk in html_text.split("<")[1:]:
        tag = chunk.split(">", 1)[0]
        if marker in tag and " hidden" not in tag:
            count += 1
    return count


@needs_chromium
def test_the_page_unfiltered_shows_everything(built):
    text = dom(built / "compat.html", "")
    assert visible(text, 'data-impl="ghost"') == 1 + 1 + 3  # summary row, header, 3 cells
    assert visible(text, "details ") == 2
    assert "3 clauses, 2 findings shown" in text


@needs_chromium
def test_filtering_to_one_implementation_hides_the_others(built):
    text = dom(built / "compat.html", "impl=stdlib")
    assert visible(text, 'data-impl="mutant"') == 0 and visible(text, 'data-impl="ghost"') == 0
    assert visible(text, 'data-impl="stdlib"') == 1 + 1 + 3
    assert visible(text, "details ") == 0  # stdlib has no finding
    assert "3 clauses, 0 findings shown" in text


@needs_chromium
def test_filtering_by_group_and_status(built):
    text = dom(built / "compat.html", "group=seek")
    assert visible(text, "data-clause=") == 1 + 1  # the seek row and its divergence
    assert "1 clauses, 1 findings shown" in text
    text = dom(built / "compat.html", "impl=mutant&status=crash")
    assert "1 clauses, 1 findings shown" in text
    assert visible(text, 'data-clause="seek.oob"') == 2
    text = dom(built / "compat.html", "impl=stdlib&status=diverge")
    assert "0 clauses, 0 findings shown" in text


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
                              "diverge on 2 clause(s), 2 result(s):\n\n- `resize.a`: ")
    section = section.split("\n### ")[0]
    assert "reproducer: [`findings/mutant-resize-oserror-not-returns-none.py`]" in section
    from conformance import issues

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
