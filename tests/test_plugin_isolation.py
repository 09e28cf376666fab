# SPDX-License-Identifier: MIT
"""The pytest plugin loads only where asked (`-p conformance.pytest_plugin`, as the CLI does):
installing the suite leaves other projects' pytest runs and their own options alone."""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFTEST = textwrap.dedent("""
    import pytest

    def pytest_addoption(parser):
        parser.addoption("--impl", default="theirs")

    @pytest.fixture
    def impl(request):
        return request.config.getoption("--impl")
""")


def pytest_in(folder, *args):
    # The suite importable (and its metadata found, were it to declare an entry point) as in
    # an environment where it is installed.
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_a_project_with_its_own_impl_option_runs_beside_the_installed_suite(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_theirs.py").write_text("def test_it(impl):\n    assert impl == 'mine'\n")
    theirs = pytest_in(tmp_path, "--impl", "mine")
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert "1 passed" in theirs.stdout
    # What every such run did while the plugin was autoloaded (a pytest11 entry point):
    asked = pytest_in(tmp_path, "-p", "conformance.pytest_plugin", "--impl", "mine")
    assert asked.returncode != 0
    said = asked.stdout + asked.stderr  # pytest 9.0 lets argparse say it, 9.2 says it itself
    assert ("option dest 'impl' already used" in said
            or "argument --impl: conflicting option string: --impl" in said), said[-2000:]


def test_the_plugin_is_there_when_asked_for(tmp_path):
    plain = pytest_in(tmp_path, "--help")
    asked = pytest_in(tmp_path, "-p", "conformance.pytest_plugin", "--help")
    assert plain.returncode == 0 and asked.returncode == 0, plain.stderr + asked.stderr
    assert "--mmap-json" not in plain.stdout
    assert "--mmap-json" in asked.stdout and "--impl=SPEC" in asked.stdout


def test_the_cli_runs_beside_an_earlier_install_that_autoloaded_the_plugin(tmp_path):
    """An install made before kept `pytest11: mmap_conformance` in its metadata until it is
    reinstalled: the CLI's run must not load the plugin twice."""
    stale = tmp_path / "site" / "mmap_conformance-0.0.dist-info"
    stale.mkdir(parents=True)
    (stale / "METADATA").write_text("Metadata-Version: 2.1\nName: mmap-conformance\nVersion: 0.0\n")
    (stale / "entry_points.txt").write_text("[pytest11]\nmmap_conformance = conformance.pytest_plugin\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), ROOT,
                                                       os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "conformance", "--impl", "reference", "--only",
                          "clauses", "-k", "seek"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "reference" in run.stdout and "conformant" in run.stdout
