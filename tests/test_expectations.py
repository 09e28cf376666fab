# SPDX-License-Identifier: MIT
"""Expectations files: known divergences keep a run green, a new one or a stale one turns it red,
a broken file is one line and exit 2."""

import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A mutant (read_byte off by one) and its control (the same class without the bug), both built on
# tests.mutants.Faithful so everything else behaves exactly as the stdlib does.
MUTANTS = textwrap.dedent("""
    from tests.mutants import Faithful


    class OffByOne(Faithful):
        __slots__ = ()

        def read_byte(self):
            return (super().read_byte() + 1) % 256


    class Control(Faithful):
        __slots__ = ()
""")
# Clause tests only, a few examples: enough to meet read_byte's clauses, and quick.
QUICK = ("--only", "clauses", "--examples", "5", "--seed", "1")


def run_cli(*args, cwd, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(cwd), ROOT, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def write_known(path, entries, impl=None):
    lines = [] if impl is None else [f"impl = {json.dumps(impl)}"]
    for clause, status, reason in entries:
        lines += ["[[known]]", f"clause = {json.dumps(clause)}", f"status = {json.dumps(status)}",
                  f"reason = {json.dumps(reason)}", ""]
    path.write_text("\n".join(lines))


@pytest.fixture(scope="module")
def mutant_dir(tmp_path_factory):
    """The mutants module, and the expectations --update-expectations wrote for OffByOne."""
    folder = tmp_path_factory.mktemp("expectations")
    (folder / "offbyone.py").write_text(MUTANTS)
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK, "--expectations-dir", "exp",
                     "--update-expectations", cwd=folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "rewritten" in result.stdout
    return folder


def known_of(folder):
    with open(folder / "exp" / "offbyone_OffByOne.toml", "rb") as f:
        return tomllib.load(f)


def test_update_writes_every_divergence_with_a_reason(mutant_dir):
    data = known_of(mutant_dir)
    assert data["impl"] == "offbyone:OffByOne"
    clauses = {k["clause"]: k for k in data["known"]}
    assert "read_byte" in clauses and clauses["read_byte"]["status"] == "diverge"
    assert all(k["reason"].startswith("TODO: why this is accepted.") for k in data["known"])


def test_known_divergences_keep_the_run_green(mutant_dir):
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK, "--expectations-dir", "exp",
                     "--json", "r.json", cwd=mutant_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "0 new" in result.stdout
    rows = json.loads((mutant_dir / "r.json").read_text())["results"]
    assert any(r["clause"] == "read_byte" and r.get("expected") for r in rows)


def test_without_the_expectation_the_run_is_red(mutant_dir, tmp_path):
    entries = [(k["clause"], k["status"], k["reason"]) for k in known_of(mutant_dir)["known"]
               if k["clause"] != "read_byte"]
    write_known(tmp_path / "partial.toml", entries)
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK,
                     "--expectations", str(tmp_path / "partial.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert "NEW diverge on read_byte" in result.stdout


def test_a_fixed_implementation_makes_the_expectation_stale(mutant_dir, tmp_path):
    entries = [(k["clause"], k["status"], k["reason"]) for k in known_of(mutant_dir)["known"]]
    write_known(tmp_path / "control.toml", entries)  # no impl key: it is for the only one
    result = run_cli("--impl", "offbyone:Control", *QUICK,
                     "--expectations", str(tmp_path / "control.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert "STALE read_byte now passes" in result.stdout
    assert "conformant" in result.stdout  # the implementation itself is fine: the file is stale


BAD = [
    ("[[known]]\nclase = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\n",
     "[[known]] #1 has an unknown key 'clase'"),
    ("[[known]]\nclause = 'read_bite'\nstatus = 'diverge'\nreason = 'x'\n",
     "clause 'read_bite' is not in the catalogue"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'fails'\nreason = 'x'\n",
     "status 'fails', expected diverge, crash or crash|diverge"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\n", "needs reason = \"...\""),
    ("[[known]\nclause = 'read_byte'\n", "not valid TOML"),
    ("implementation = 'stdlib'\n", "unknown top-level key 'implementation'"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\n" * 2, "listed twice"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\nversions = '3.11'\n",
     "versions '3.11', expected bounds"),
]


@pytest.mark.parametrize("content, says", BAD, ids=[b[1][:24] for b in BAD])
def test_a_broken_expectations_file_is_one_line_and_exit_2(tmp_path, content, says):
    (tmp_path / "stdlib.toml").write_text(content)
    result = run_cli("--impl", "stdlib", "--expectations", "stdlib.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "stdlib.toml" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, says", [
    (["--expectations", "nope.toml"], "expectations nope.toml: no such file"),
    (["--expectations-dir", "nope"], "--expectations-dir nope: no such folder"),
    (["--update-expectations"], "--update-expectations needs --expectations FILE"),
])
def test_expectation_options_are_checked_before_the_run(tmp_path, args, says):
    result = run_cli("--impl", "stdlib", *args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_a_file_for_another_implementation_is_a_usage_error(tmp_path):
    write_known(tmp_path / "x.toml", [("read_byte", "diverge", "r")], impl="fmmap")
    result = run_cli("--impl", "reference", "--expectations", "x.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "impl 'fmmap' is not one of this run's --impl (reference)" in result.stderr


def test_cpython_expectations_hold_only_crashes_and_cited_fixed_bugs():
    """A real CPython that diverges at its own profile is a reference bug, unless it crashes or
    the bug was fixed in a later patch release: each known divergence of a CPython is one of
    those two, with its gh issue."""
    import re

    from conformance import clauses
    from conformance.expectations import parse

    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "expectations")
    catalogue = clauses.load()
    checked = 0
    for name in sorted(os.listdir(folder)):
        if not name.startswith("cpython"):
            continue
        for clause, entry in parse(os.path.join(folder, name), catalogue)["known"].items():
            reason = entry["reason"]
            assert re.search(r"\bgh-\d+", reason), f"{name} {clause}: no gh issue in {reason!r}"
            assert "crash" in entry["status"].split("|") or re.search(r"fixed in \d+\.\d+\.\d+", reason), (
                f"{name} {clause}: neither a crash nor a bug fixed in a later patch release")
            checked += 1
    assert checked


@pytest.mark.parametrize("versions, release, holds", [
    ("<3.13.8", "3.13.0", True), ("<3.13.8", "3.13.8", False), ("<3.13.8", "3.13.18", False),
    (">=3.11,<3.11.4", "3.11.2", True), (">=3.11,<3.11.4", "3.11.7", False),
    (">=3.11,<3.11.4", "3.10.13", False), (None, "3.15.2", True), ("<3.11.5", None, True),
])
def test_an_entry_holds_for_the_releases_its_versions_name(versions, release, holds):
    from impls.profiles import within

    assert within(versions, release) is holds


def test_entries_for_other_releases_neither_count_nor_go_stale(tmp_path):
    """One file serves every patch release: an entry for older ones is not applied to newer."""
    from argparse import Namespace

    from conformance import clauses
    from conformance.expectations import assign, judge

    path = tmp_path / "cpython3.13.toml"
    path.write_text('[[known]]\nclause = "resize.anon-shared-grow"\nstatus = "crash"\n'
                    'reason = "gh-138204"\nversions = "<3.13.8"\n')
    args = Namespace(expectations=None, expectations_dir=str(tmp_path))
    old = {"spec": "cpython3.13.0", "name": "cpython3.13.0",
           "about": {"implementation": "cpython", "version": "3.13", "full_version": "3.13.0"}}
    new = {"spec": "cpython3.13", "name": "cpython3.13",
           "about": {"implementation": "cpython", "version": "3.13", "full_version": "3.13.18"}}
    assigned = assign(args, [], [old, new], clauses.load())
    rows = [{"impl": "cpython3.13.0", "clause": "resize.anon-shared-grow", "status": "crash"},
            {"impl": "cpython3.13", "clause": "resize.anon-shared-grow", "status": "pass"}]
    import io
    verdicts = judge(assigned, [old, new], rows, io.StringIO())
    assert verdicts["cpython3.13.0"]["known"] and not verdicts["cpython3.13.0"]["new"]
    assert not verdicts["cpython3.13"]["stale"] and not verdicts["cpython3.13"]["known"]


def test_a_divergence_reached_by_chance_that_passes_is_unchecked_and_kept(tmp_path):
    """by_chance: random sequences reach it only sometimes, so a run that passes its clause
    proves no fix: unchecked, not stale, and --update-expectations keeps it."""
    import io
    from argparse import Namespace

    from conformance import clauses
    from conformance.expectations import assign, judge, parse, update

    path = tmp_path / "cpython3.11.toml"
    path.write_text('[[known]]\nclause = "reent.resize"\nstatus = "diverge"\nreason = "gh-105235"\n'
                    'by_chance = true\nversions = "<3.11.5"\n')
    args = Namespace(expectations=None, expectations_dir=str(tmp_path))
    info = {"spec": "cpython3.11.2", "name": "cpython3.11.2",
            "about": {"implementation": "cpython", "version": "3.11", "full_version": "3.11.2"}}
    catalogue = clauses.load()
    assigned = assign(args, [], [info], catalogue)
    rows = [{"impl": "cpython3.11.2", "clause": "reent.resize", "status": "pass"}]
    verdicts = judge(assigned, [info], rows, io.StringIO())
    assert verdicts["cpython3.11.2"]["unchecked"] and not verdicts["cpython3.11.2"]["stale"]
    update(assigned, [info], rows, io.StringIO())
    assert parse(str(path), catalogue)["known"]["reent.resize"]["by_chance"] is True
    path.write_text('[[known]]\nclause = "reent.resize"\nstatus = "diverge"\nreason = "x"\n'
                    'by_chance = "yes"\n')
    with pytest.raises(Exception, match="by_chance must be true or false"):
        parse(str(path), catalogue)


# -- known findings: stored with their identity and steps, replayed first ---------------------

def test_update_stores_each_finding_with_its_identity_and_steps(mutant_dir):
    from conformance.engine.ops import from_json

    entries = known_of(mutant_dir)["known"]
    assert entries and all(k["id"] and k["steps"] for k in entries)
    (entry,) = [k for k in entries if k["id"].startswith("read_byte @ ")]
    ops = [from_json(json.loads(step)) for step in entry["steps"]]
    assert ops[0].name == "open" and ops[-1].args[0] == "read_byte"


def test_a_rerun_replays_the_known_findings_first(mutant_dir):
    """Every known finding is replayed from its steps (a row naming it), whatever the
    exploration meets: none is left "not checked"."""
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK, "--expectations-dir", "exp",
                     "--json", "replayed.json", cwd=mutant_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    rows = json.loads((mutant_dir / "replayed.json").read_text())["results"]
    replayed = {r["replayed"] for r in rows if r.get("replayed")}
    assert replayed == {k["id"] for k in known_of(mutant_dir)["known"]}
    assert "not checked by this run" not in result.stdout


def test_a_fixed_implementation_names_its_stored_finding_stale(mutant_dir, tmp_path):
    """The same implementation with its bug fixed: the finding's stored steps now pass, and the
    run names exactly that finding stale (exit 1)."""
    text = (mutant_dir / "exp" / "offbyone_OffByOne.toml").read_text()
    (tmp_path / "fixed.toml").write_text(
        text.replace('impl = "offbyone:OffByOne"', 'impl = "offbyone:Control"'))
    result = run_cli("--impl", "offbyone:Control", *QUICK,
                     "--expectations", str(tmp_path / "fixed.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    stale = [line for line in result.stdout.splitlines() if "STALE" in line]
    assert stale and all("read_byte @ read_byte" in line for line in stale), stale
    assert "NEW" not in result.stdout


def test_stored_steps_that_fail_otherwise_are_a_changed_finding(mutant_dir, tmp_path):
    text = (mutant_dir / "exp" / "offbyone_OffByOne.toml").read_text()
    (entry,) = [k for k in known_of(mutant_dir)["known"] if k["id"].startswith("read_byte @ ")]
    changed = text.replace(json.dumps(entry["id"]), json.dumps(
        "read_byte @ read_byte: returns int, got raises ValueError"))
    (tmp_path / "changed.toml").write_text(changed)
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK,
                     "--expectations", str(tmp_path / "changed.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert "CHANGED read_byte (read_byte @ read_byte: returns int, got raises ValueError)" \
        in result.stdout
    assert f"NEW diverge on read_byte ({entry['id']})" in result.stdout


def test_an_unseeded_run_uses_the_suites_seed_and_says_so(mutant_dir):
    args = ("--impl", "offbyone:OffByOne", "--only", "clauses", "--examples", "5",
            "--expectations-dir", "exp")
    first = run_cli(*args, "--json", "a.json", cwd=mutant_dir)
    second = run_cli(*args, "--json", "b.json", cwd=mutant_dir)
    assert first.returncode == second.returncode == 0, first.stdout[-2000:] + first.stderr
    seeds = [json.loads((mutant_dir / name).read_text())["seed"] for name in ("a.json", "b.json")]
    assert seeds[0] == seeds[1] and isinstance(seeds[0], int)
    assert f"seed: {seeds[0]} (the suite version's default" in first.stdout
    drawn = run_cli(*args, "--seed", "random", "--json", "c.json", cwd=mutant_dir)
    seed = json.loads((mutant_dir / "c.json").read_text())["seed"]
    assert f"seed: {seed} (--seed random" in drawn.stdout


BARE_SUBCLASS = textwrap.dedent("""
    import mmap


    class M(mmap.mmap):
        __slots__ = ()
""")


def test_what_the_hosts_own_mmap_does_too_is_the_hosts(tmp_path):
    """A bare subclass of the host's mmap.mmap: its crashes are CPython's own (the host's mmap
    dies the same way), and its iteration is every subclass's; each finding says so, and the
    host's known crashes count as known."""
    if sys.version_info[:2] > (3, 13):
        pytest.skip("the host's own mmap crashes on these resizes only up to 3.13")
    (tmp_path / "baresub.py").write_text(BARE_SUBCLASS)
    (tmp_path / "exp").mkdir()
    result = run_cli("--impl", "baresub:M", "--only", "clauses", "-k",
                     "resize.anon-shared-grow or iter.bytes", "--json", "r.json",
                     "--expectations-dir", str(tmp_path / "exp"), cwd=tmp_path)
    doc = json.loads((tmp_path / "r.json").read_text())
    failing = [r for r in doc["results"] if r["status"] in ("diverge", "crash")]
    assert failing, result.stdout[-3000:]
    assert all(r["finding"]["origin"] == "host" for r in failing), failing
    iterate = [r for r in failing if r["clause"] == "iter.bytes"]
    assert iterate and "every Python subclass" in iterate[0]["finding"]["host"]
    # Known to the host (expectations/subclass-of-cpython.toml), though the user lists nothing.
    assert "cpython#70546" in iterate[0]["expected"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    if sys.version_info[:2] <= (3, 13) and platform.python_version() < "3.13.8":
        crash = [r for r in failing if r["status"] == "crash"]
        assert crash and all("gh-138204" in r["expected"] for r in crash)
        assert "crashed (" in result.stdout and "known" in result.stdout
