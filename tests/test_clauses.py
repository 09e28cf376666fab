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


SEEKABLE_EARLY = '''\
from tests.mutants import Faithful


class SeekableEarly(Faithful):
    """seekable() on a 3.11 map, a method CPython only has from 3.13."""

    def seekable(self):
        return True
'''


def test_a_clause_outside_its_versions_is_na_only_where_every_step_agreed(tmp_path):
    """`seekable` holds from 3.13: at the host's 3.11 profile a faithful map records `na`, but
    one that answers m.seekable() where CPython 3.11 has no such method diverges there."""
    import json
    import subprocess
    import sys

    (tmp_path / "seekable_early.py").write_text(SEEKABLE_EARLY)
    out = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    subprocess.run([sys.executable, "-m", "conformance", "--impl", "seekable_early:SeekableEarly",
                    "--impl", "tests.mutants:faithful", "--only", "clauses", "-k", "seekable",
                    "--json", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                   timeout=600)
    rows = json.loads(out.read_text())["results"]
    statuses = {(r["impl"], r["status"]) for r in rows if r["clause"] == "seekable"}
    profile = json.loads(out.read_text())["implementations"][0]["profile"]
    if profile not in ("3.11", "3.12"):
        pytest.skip(f"the host's profile {profile} has seekable(): no version to be outside")
    assert ("seekable_early:SeekableEarly", "diverge") in statuses, statuses
    assert {s for i, s in statuses if i == "tests.mutants:faithful"} == {"na"}, statuses
