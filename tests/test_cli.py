# SPDX-License-Identifier: MIT
"""The command line: usage errors are one line and exit 2; runs write honest results."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, cwd=None, timeout=300):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, says", [
    (["--impl", "no-such-impl"], "unknown --impl 'no-such-impl'"),
    (["--impl", "json:nope"], "no attribute 'nope'"),
    (["--examples", "0"], "must be at least 1"),
    (["--examples", "many"], "expected a whole number"),
    (["--step-timeout", "-3"], "must be more than 0"),
    (["--json", "/nonexistent-folder/out.json"], "does not exist"),
    (["-n", "x"], "-n/--workers"),
    (["--bogus"], "unrecognized arguments"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, says):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_factory_with_wrong_signature_is_a_usage_error(tmp_path):
    (tmp_path / "wrongsig.py").write_text("def factory(fileno):\n    return None\n")
    result = run_cli("--impl", "wrongsig:factory", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot be called as factory(fileno, length)" in result.stderr


def test_conformant_run_exits_0_and_writes_the_results_json(tmp_path):
    out = tmp_path / "results.json"
    result = run_cli("--impl", "reference", "--examples", "5", "--seed", "1", "--json", str(out),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    assert doc["schema"] == 1
    assert [i["status"] for i in doc["implementations"]] == ["conformant"]
    assert doc["results"] and {r["status"] for r in doc["results"]} <= {"pass", "na"}
    assert sorted(os.listdir(tmp_path)) == ["results.json"]


def test_a_divergence_exits_1_with_a_runnable_reproducer(tmp_path):
    (tmp_path / "offbyone.py").write_text(textwrap.dedent("""
        import mmap
        class M(mmap.mmap):
            def read_byte(self):
                value = mmap.mmap.read_byte(self)
                return (value + 1) % 256
        def factory(*a, **k):
            return M(*a, **k)
    """))
    out = tmp_path / "results.json"
    result = run_cli("--impl", "offbyone:factory", "--only", "machine", "--examples", "300",
                     "--seed", "3", "--json", str(out), "--repro-dir", str(tmp_path / "repro"),
                     cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(out.read_text())
    bad = [r for r in doc["results"] if r["clause"] == "read_byte" and r["status"] == "diverge"]
    assert bad, result.stdout
    script = tmp_path / "repro.py"
    script.write_text(bad[0]["repro"])
    shown = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert "<-- differs" in shown.stdout and "read_byte()" in shown.stdout
    assert shown.returncode == 1, shown.stdout + shown.stderr
    on_cpython = subprocess.run([sys.executable, str(script), "--stdlib"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
    assert on_cpython.returncode == 0, on_cpython.stdout + on_cpython.stderr
    assert "0 step(s) differ" in on_cpython.stdout
    assert os.listdir(tmp_path / "repro")


def test_a_missing_interpreter_asked_by_name_is_unavailable_and_exit_1(tmp_path):
    result = run_cli("--impl", "python:/nonexistent/python", cwd=tmp_path)
    assert result.returncode == 1
    assert "unavailable" in result.stdout and "/nonexistent/python" in result.stdout


def test_import_failure_of_a_named_impl_is_unavailable_and_exit_1(tmp_path):
    (tmp_path / "explodes.py").write_text("raise ImportError('backend missing')\n")
    result = run_cli("--impl", "explodes:factory", "--examples", "5", cwd=tmp_path)
    assert result.returncode == 1
    assert "unavailable" in result.stdout and "backend missing" in result.stdout


def stub_reference(tmp_path, body):
    """A folder that, first on PYTHONPATH, replaces impls._refmmap (and nothing else of impls)
    with a module made of `body`: the extension as if not built, or built from other sources.
    The real build in the checkout is untouched."""
    package = tmp_path / "stub" / "impls"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"__path__.append({os.path.join(ROOT, 'impls')!r})\n")
    (package / "_refmmap.py").write_text(textwrap.dedent(body))
    return str(tmp_path / "stub")


@pytest.mark.parametrize("body, says", [
    ('raise ImportError("No module named \'impls._refmmap\'")\n', "missing or broken"),
    ("""
        class ffi:
            @staticmethod
            def string(value):
                return value
        class lib:
            @staticmethod
            def refmmap_version():
                return b"0.0.0+0123456789abcdef"
     """, "built from other sources"),
], ids=["not-built", "stale"])
def test_no_usable_reference_exits_3_with_the_fix_in_one_line(tmp_path, body, says):
    stub = stub_reference(tmp_path, body)
    run_in = tmp_path / "run"
    run_in.mkdir()
    env = dict(os.environ, PYTHONPATH=stub + os.pathsep + ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", "stdlib", "--examples", "5",
         "--json", str(run_in / "results.json")],
        cwd=run_in, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0] and "python native/build_refmmap.py" in lines[0], lines
    assert "pip install ." in lines[0]
    assert "conformant" not in result.stdout
    assert os.listdir(run_in) == []  # nothing ran: no results file claiming anything


def test_help_documents_exit_status_3():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "3 the run could" in " ".join(result.stdout.split())


OFF_BY_ONE = textwrap.dedent("""
    import mmap
    class M(mmap.mmap):
        def read_byte(self):
            return (mmap.mmap.read_byte(self) + 1) % 256
        def tell(self):  # one too far, on maps longer than 3 bytes
            return mmap.mmap.tell(self) + (len(self) > 3)
    def factory(*a, **k):
        return M(*a, **k)
""")


def test_the_run_ends_with_a_summary_of_findings_files_and_next_commands(tmp_path):
    (tmp_path / "offbyone.py").write_text(OFF_BY_ONE)
    result = run_cli("--impl", "offbyone:factory", "--impl", "reference", "--only", "clauses",
                     "-k", "read_byte or tell", "--json", "r.json", "--repro-dir", "repro",
                     cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    # Each divergence line: the clause's text from the catalogue, and the values that differ.
    assert ("diverge on doc.tell.position: tell() returns the current position.\n"
            "  step 1 m = factory(") in out
    assert "pos 0 vs 1 differ" in out
    summary = out[out.index("\nsummary"):]
    doc = json.loads((tmp_path / "r.json").read_text())
    clauses = sorted({r["clause"] for r in doc["results"]
                      if r["impl"] == "offbyone:factory" and r["status"] == "diverge"})
    assert len(clauses) > 2
    # Two causes (tell, read_byte) over many clauses, one line per implementation.
    assert f"offbyone:factory divergent   2 finding(s), {len(clauses)} diverging clause(s)" \
        in summary
    assert "reference        conformant  0 finding(s), 0 diverging clause(s)" in summary
    # One script and one issue text per finding, not per clause.
    assert "results JSON: r.json" in summary and "reproducers:  repro (2 finding(s)" in summary
    made = os.listdir(tmp_path / "repro")  # NAME.md, NAME.py, and beside a plain NAME.py
    assert len([n for n in made if not n.endswith(".trace.py")]) == 4  # its NAME.trace.py
    assert "python -m conformance replay r.json" in summary
    assert "--expectations-dir expectations --update-expectations" in summary
    assert "--only clauses -k" in summary and summary.rstrip().endswith("exit status 1")
    findings = out[out.index("findings of offbyone:factory"):out.index("\nsummary")]
    assert "read_byte: returns int, but another value: read_byte" in findings
    assert "mmap(): returns None as required, but pos differ: " in findings


def test_k_selects_clauses_by_id_and_says_so(tmp_path):
    result = run_cli("--impl", "reference", "--only", "clauses", "-k", "find.not-found",
                     "--json", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert {r["clause"] for r in doc["results"]} == {"doc.find.not-found"}
    assert "summary (on the -k 'find.not-found' selection)" in result.stdout
    assert "-k find.not-found" in doc["command"]


@pytest.mark.parametrize("expr, says", [
    ("find and", "not a pytest -k expression"),
    ("(find", "not a pytest -k expression"),
    ("no_such_test_anywhere", "selects no test"),
])
def test_k_usage_errors_are_one_line_and_exit_2(tmp_path, expr, says):
    result = run_cli("--impl", "reference", "--only", "clauses", "-k", expr, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_the_console_script_is_the_same_cli_and_reports_is_not_installed():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert project["project"]["scripts"] == {"mmap-conformance": "conformance.cli.main:main"}
    assert "reports" not in project["tool"]["setuptools"]["packages"]
    code = ("import sys; sys.argv[0] = '/venv/bin/mmap-conformance'\n"
            "from conformance.cli.main import main; sys.exit(main(['--bogus']))")
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("mmap-conformance: error: unrecognized arguments: --bogus")


def test_version_and_no_option_taken_by_a_prefix_of_its_name(tmp_path):
    version = run_cli("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.split()[-1].count(".") == 2, version
    prefix = run_cli("--imp", "stdlib", cwd=tmp_path)
    assert prefix.returncode == 2
    assert prefix.stderr.strip().splitlines() == [
        "python -m conformance: error: unrecognized arguments: --imp (did you mean --impl?)"]
