# SPDX-License-Identifier: MIT
"""The C tools: tools/mutate_c.py's mutants and tools/coverage_c.py's reading of gcov (no
compiler needed)."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tools", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mutate():
    return load("mutate_c")


@pytest.fixture(scope="module")
def coverage():
    return load("coverage_c")


C = """/* a < b in a comment */
#define LIMIT (1 < 2)
static const struct { const char *name; long value; } table[] = {{"a<b", 1}};

int f(int a, int b)
{
    if (a < 0 && b != 0)
        return -1;
    return a >= b ? 2 : '<';
}
"""


def test_mutants_cover_the_operators_in_function_bodies_only(mutate):
    found = mutate.mutants(C)
    changes = sorted((m.kind, m.mutated) for m in found)
    assert ("relational", "if (a <= 0 && b != 0)") in changes
    assert ("relational", "if (a >= 0 && b != 0)") in changes
    assert ("relational", "if (a < 0 && b == 0)") in changes
    assert ("logical", "if (a < 0 || b != 0)") in changes
    assert ("negated", "if (!(a < 0 && b != 0))") in changes
    assert ("deleted", ";") in changes
    assert ("constant", "return -2;") in changes and ("constant", "return -0;") in changes
    assert ("relational", "return a > b ? 2 : '<';") in changes
    # Nothing from the comment, the macro, the table or the character literal.
    assert all(m.function == "f" for m in found)
    assert not any("'<=" in m.mutated or "'>" in m.mutated for m in found)
    assert len({m.key for m in found}) == len(found)


def test_each_mutant_changes_the_source_once(mutate):
    for m in mutate.mutants(C):
        mutated = m.apply(C)
        assert mutated != C and mutated.replace(m.replacement, "", 1) != C


def test_the_reference_has_mutants_of_every_kind(mutate):
    with open(os.path.join(ROOT, "native", "refmmap.c")) as f:
        kinds = {m.kind for m in mutate.mutants(f.read())}
    assert kinds == {"relational", "logical", "negated", "constant", "deleted"}


def test_mutate_rejects_a_zero_budget_in_one_line(mutate, capsys):
    assert mutate.main(["--budget", "0"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


@pytest.mark.parametrize("shard", ["2/2", "1", "a/b", "3/1"])
def test_mutate_rejects_a_bad_shard_in_one_line(mutate, capsys, shard):
    with pytest.raises(SystemExit) as exit_:
        mutate.main(["--shard", shard, "--list"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(f"got {shard!r}")


def test_shards_split_the_mutants_between_them(mutate, capsys):
    counts = []
    for shard in ("0/1", "0/2", "1/2"):
        assert mutate.main(["--shard", shard, "--list"]) == 0
        counts.append(int(capsys.readouterr().out.strip().splitlines()[-1].split()[0]))
    assert counts[0] == counts[1] + counts[2] and abs(counts[1] - counts[2]) <= 1



def test_the_sanitized_stage_builds_as_nox_sanitize_does(mutate):
    """The mutants' ASan+UBSan build takes build_refmmap.py's own flags (read, not copied)."""
    import sys

    sys.path.insert(0, os.path.join(ROOT, "native"))
    try:
        import build_refmmap
    finally:
        sys.path.remove(os.path.join(ROOT, "native"))
    assert mutate.sanitize_flags() == build_refmmap.SANITIZE_FLAGS


def test_a_sanitizer_report_names_the_kill(mutate):
    """A mutant the sanitizer stops is killed by what it found, not by pytest's last line."""
    output = ("....\n/tmp/x/refmmap.c:548:9: runtime error: null pointer passed as argument 1, "
              "which is declared to never be null\n")
    assert mutate._first_failure(output).startswith("null pointer passed as argument 1")
    output = "==9==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd\n"
    assert mutate._first_failure(output) == "stack-buffer-overflow on address 0x7ffd"

GCOV = """        -:    0:Source:refmmap.c
        -:    1:/* header */
        5:    2:int f(int a)
        -:    3:{
        5:    4:    if (a < 0)
branch  0 taken 0 (fallthrough)
branch  1 taken 5
    #####:    5:        return -1;
       5*:    6:    return a;
branch  0 never executed
        -:    7:}
"""


def test_gcov_text_is_read_into_lines_and_branches(coverage):
    parsed = coverage.parse_gcov(GCOV)
    assert parsed["lines"] == {2: 5, 4: 5, 5: 0, 6: 5}
    assert parsed["branches"] == {4: [0, 5], 6: [0]}
    run, total, taken, branches, uncovered, partial = coverage.summary(parsed)
    assert (run, total, taken, branches, uncovered, partial) == (3, 4, 1, 3, [5], [4, 6])
    lines, line_pct, branch_pct = coverage.report(parsed, "refmmap.c")
    assert lines[0] == "refmmap.c: lines 3/4 (75.0%), branches taken 1/3 (33.3%)"
    assert "  refmmap.c:5: return -1;" in lines


def test_every_listed_equivalent_is_a_mutant_of_the_reference(mutate):
    """A stale entry (its line changed) would excuse nothing and mislead the reader."""
    with open(os.path.join(ROOT, "native", "refmmap.c")) as f:
        keys = {m.key for m in mutate.mutants(f.read())}
    stale = sorted(set(mutate.load_equivalents()) - keys)
    assert not stale, f"tools/mutation_equivalents.json names no current mutant: {stale}"


def test_rescore_marks_survivors_listed_since_as_equivalent(mutate, tmp_path, monkeypatch):
    row = {"line": 7, "function": "f", "kind": "relational", "original": "a < b",
           "mutated": "a <= b", "detail": ""}
    doc = {"args": {"budget": 9.0, "timeout": 3.0, "seed": 0, "resume": None}, "total": 3,
           "seconds": 5.0, "results": [
               {**row, "key": "f: a < b => a <= b", "status": "survived"},
               {**row, "key": "f: a < b => a > b", "status": "survived"},
               {**row, "key": "f: a < b => a >= b", "status": "killed", "detail": "native: t"}]}
    path, out = tmp_path / "r.json", tmp_path / "m.md"
    path.write_text(__import__("json").dumps(doc))
    monkeypatch.setattr(mutate, "load_equivalents", lambda: {"f: a < b => a <= b": "the same"})
    assert mutate.main(["--rescore", str(path), "--out", str(out)]) == 0
    text = out.read_text()
    assert "| equivalent (no behaviour to detect; reason below) | 1 |" in text
    assert "| survived (a gap in the suite) | 1 |" in text
    assert "Mutation score: 1/2 = 50.0%" in text and "| equivalent | the same |" in text
