# SPDX-License-Identifier: MIT
"""tools/provision_interpreters.py's own steps that need no download."""

import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import provision_interpreters as provision  # noqa: E402


def installation(tmp_path):
    """A provisioned folder as an earlier version of the tool left it (no "compiled" in the
    manifest), with one launcher whose standard library is a folder of two modules."""
    stdlib = tmp_path / "lib"
    stdlib.mkdir()
    (stdlib / "good.py").write_text("X = 1\n")
    (stdlib / "broken.py").write_text("def (:\n")  # as the test suite's deliberate ones
    launcher = tmp_path / "bin" / "python9.9"
    launcher.parent.mkdir()
    # The real interpreter, but its sysconfig names the folder above as the standard library.
    launcher.write_text(f'#!/bin/sh\nif [ "$1" = -c ]; then echo {stdlib}; exit; fi\n'
                        f'exec {sys.executable} "$@"\n')
    launcher.chmod(0o755)
    (tmp_path / "root").mkdir()
    entries = [{"name": "python9.9", "launcher": str(launcher)}]
    (tmp_path / provision.MANIFEST).write_text(json.dumps({"source": "x", "interpreters": entries}))
    return stdlib


def compiled(stdlib):
    return sorted(os.path.basename(p).split(".")[0]
                  for p in glob.glob(str(stdlib / "__pycache__" / "*.pyc")))


def test_an_installation_is_byte_compiled_once(tmp_path):
    """Workers cannot write .pyc in their sandbox, and Debian's packages ship none: the tool
    compiles each standard library (a file that does not compile is left as it is), notes it
    in the manifest, and does not compile again."""
    stdlib = installation(tmp_path)
    said = []
    entries = provision.present(str(tmp_path), said.append)
    assert [e["name"] for e in entries] == ["python9.9"]
    assert compiled(stdlib) == ["good"]
    assert json.loads((tmp_path / provision.MANIFEST).read_text())["compiled"] is True
    assert said == ["byte-compiling the standard libraries of 1 interpreters ..."]
    for pyc in glob.glob(str(stdlib / "__pycache__" / "*.pyc")):
        os.remove(pyc)
    assert provision.present(str(tmp_path), said.append) == entries
    assert compiled(stdlib) == [] and len(said) == 1


def test_a_standard_library_that_cannot_be_found_is_said_not_fatal(tmp_path):
    stdlib = installation(tmp_path)
    stdlib.rename(tmp_path / "elsewhere")
    said = []
    assert provision.present(str(tmp_path), said.append)
    assert said[-1].startswith("python9.9: standard library not byte-compiled (no standard "
                               "library folder")
