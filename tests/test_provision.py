# SPDX-License-Identifier: MIT
"""`python -m conformance provision`'s own steps (impls/provision.py) that need no download."""

import glob
import json
import os
import subprocess
import sys

import pytest

from impls import interpreters, provision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def test_the_pyodide_pin_is_the_one_package_json_pins():
    with open(os.path.join(ROOT, "package.json")) as f:
        assert json.load(f)["dependencies"]["pyodide"] == provision.PYODIDE_PIN
    with open(os.path.join(ROOT, "package-lock.json")) as f:
        lock = json.load(f)["packages"]["node_modules/pyodide"]
    assert lock["version"] == provision.PYODIDE_PIN


# A stand-in for npm: `npm install --prefix P ... pyodide@V` makes P/node_modules/pyodide as the
# real one does (pyodide.mjs, package.json with the version), and logs its arguments.
FAKE_NPM = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/npm.log"
prefix="$3"; version="${6#pyodide@}"
mkdir -p "$prefix/node_modules/pyodide" && : > "$prefix/node_modules/pyodide/pyodide.mjs"
printf '{"version": "%s"}' "$version" > "$prefix/node_modules/pyodide/package.json"
"""


def provision_cli(*args, path):
    env = dict(os.environ, PATH=path,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", "provision", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_pyodide_is_installed_with_npm_where_the_suite_finds_it(tmp_path, monkeypatch):
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "npm").write_text(FAKE_NPM)
    (tools / "npm").chmod(0o755)
    (tools / "node").symlink_to("/bin/true")
    dest = tmp_path / "dest"
    done = provision_cli("--pyodide", "--dest", str(dest), path=f"{tools}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    folder = dest / "pyodide" / "node_modules" / "pyodide"
    assert done.stdout.splitlines()[-1] == (f"python -m conformance provision: Pyodide "
                                            f"{provision.PYODIDE_PIN} in {folder}")
    assert (tools / "npm.log").read_text() == (f"install --prefix {dest / 'pyodide'} --no-audit "
                                               f"--no-fund pyodide@{provision.PYODIDE_PIN}\n")
    again = provision_cli("--pyodide", "--dest", str(dest), path=f"{tools}:/usr/bin:/bin")
    assert again.returncode == 0 and "up to date" in again.stdout, again.stderr
    assert len((tools / "npm.log").read_text().splitlines()) == 1
    # The adapter looks there too, from a folder with no node_modules above it.
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setenv("MMAPCONF_INTERPRETERS", str(dest))
    monkeypatch.delenv("MMAPCONF_PYODIDE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    if os.path.isdir(os.path.join(ROOT, "node_modules", "pyodide")):
        pytest.skip("this checkout's own node_modules/pyodide is found first")
    node, found, version = interpreters.find_pyodide()
    assert (found, version) == (str(folder), provision.PYODIDE_PIN)


def test_pyodide_without_npm_fails_in_one_line_and_leaves_nothing(tmp_path):
    done = provision_cli("--pyodide", "--dest", str(tmp_path / "dest"), path=str(tmp_path))
    assert done.returncode == 1
    assert done.stderr == ("python -m conformance provision: npm not found on PATH: install "
                           "Node.js >= 18 with npm\n")
    assert os.listdir(tmp_path) == []
