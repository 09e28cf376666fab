# SPDX-License-Identifier: MIT
"""The clause catalogue and its users agree: every clause id used exists in clauses.toml, and
every clause is checked by at least one test."""

import ast
import glob
import os

import pytest

from conformance import clauses
from conformance.engine import ops
from impls import reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOGUE = clauses.load()


def marked_ids():
    """{clause id: [test file, ...]} from @pytest.mark.clause("id") in conformance/clause_tests."""
    found = {}
    for path in glob.glob(os.path.join(ROOT, "conformance", "clause_tests", "test_*.py")):
        for node in ast.walk(ast.parse(open(path).read())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "clause" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.setdefault(node.args[0].value, []).append(os.path.basename(path))
    return found


def test_catalogue_is_well_formed():
    """Every clause has the fields the report and these checks rely on."""
    assert len(CATALOGUE) > 200
    for cid, c in CATALOGUE.items():
        assert c["source"] in ("documented", "de-facto"), cid
        assert c["platform"] in ("unix", "windows", "both"), cid
        assert c["text"] and c["versions"] and c["group"], cid
        if c["source"] == "documented":
            assert c["doc"] in ("000_7715153f72b30a8b.txt", "001_2e1b07f0d1402ecb.tex"), cid
            assert isinstance(c["line"], int), cid
        assert "/" not in cid and " " not in cid, cid


@pytest.mark.parametrize("where, ids", [
    ("conformance/clause_tests @pytest.mark.clause", sorted(marked_ids())),
    ("ops.METHOD_CLAUSES", sorted({c for cs in ops.METHOD_CLAUSES.values() for c in cs})),
    ("ops.NAME_CLAUSES", sorted({c for cs in ops.NAME_CLAUSES.values() for c in cs})),
    ("ops.HELPERS", sorted({c for _, cs in ops.HELPERS.values() for c in cs})),
    ("impls/reference.py reported_clauses (native/refmmap.c's table and the Python layer's)",
     sorted(reference.reported_clauses())),
])
def test_every_used_id_is_in_the_catalogue(where, ids):
    """A clause id anywhere in the suite names a clause of conformance/clauses.toml."""
    unknown = [cid for cid in ids if cid not in CATALOGUE]
    assert not unknown, f"{where} uses ids missing from conformance/clauses.toml: {unknown}"


def test_every_clause_has_a_clause_test():
    """Each clause is checked by a test in conformance/clause_tests, which ships in the package."""
    used = marked_ids()
    missing = sorted(cid for cid in CATALOGUE if cid not in used)
    assert not missing, f"clauses without a @pytest.mark.clause test: {missing}"


def test_windows_clauses_are_checked_on_the_windows_profile_only():
    """The Windows clauses' tests are conformance/clause_tests/test_windows.py's (the reference's Windows
    profile), and that file checks nothing else."""
    used = marked_ids()
    windows = {cid for cid, c in CATALOGUE.items() if c["platform"] == "windows"}
    assert {cid for cid in windows if used[cid] != ["test_windows.py"]} == set()
    assert {cid for cid, files in used.items() if "test_windows.py" in files} == windows


def test_the_reference_names_every_c_check():
    """Each C error code the Python layer turns into an exception carries the clause its C check
    names (native/refmmap.c), and only OK, BADARG, OS and the Windows constructor's file
    preparation (what the OS or argument conversion raises there, no mmap check) go unnamed in C."""
    from impls.reference import _CLAUSES, _ERRORS, lib

    codes = {key for key in _ERRORS if type(key) is int}  # the rest: the Python layer's checks
    assert codes - set(_CLAUSES) == {lib.REFMMAP_E_BADARG, lib.REFMMAP_E_WIN_TOO_BIG,
                                     lib.REFMMAP_E_TAG_NUL}
    assert set(_CLAUSES.values()) <= reference.reported_clauses()



def test_a_clause_is_held_to_the_interpreters_own_release():
    """reent.close holds from 3.11.4: an interpreter at 3.11.7 is checked on it, one at 3.11.2
    (the same 3.11 profile) and the reference at its 3.11 profile are not."""
    entry = clauses.load()["reent.close"]
    assert entry["versions"] == ">=3.11.4"
    assert clauses.holds(entry, "3.11.7") and not clauses.holds(entry, "3.11.2")
    assert not clauses.holds(entry, "3.11")


def test_the_clause_tests_hold_the_host_to_its_own_release(tmp_path):
    """The running interpreter is checked on reent.close where its own release is 3.11.4 or
    later (whatever its profile), and records na for it before."""
    import json
    import platform
    import subprocess
    import sys

    out = tmp_path / "r.json"
    subprocess.run([sys.executable, "-m", "conformance", "--impl", "stdlib", "--only", "clauses",
                    "-k", "reent.close and not seek", "--json", str(out)], cwd=ROOT,
                   capture_output=True, text=True, timeout=600)
    statuses = {r["status"] for r in json.loads(out.read_text())["results"]
                if r["clause"] == "reent.close"}
    release = tuple(int(n) for n in platform.python_version().split(".")[:3] if n.isdigit())
    assert statuses == ({"na"} if release < (3, 11, 4) else {"pass"}), statuses
