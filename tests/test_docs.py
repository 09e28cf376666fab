# SPDX-License-Identifier: MIT
"""The commands README.md and docs/ show name things that exist: the CLI's subcommands, the
project's modules, scripts and nox sessions; no made-up URL to install from."""

import ast
import importlib.util
import os
import re

import pytest

from conformance.cli.run import build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ["README.md", "docs/your-implementation.md"]


def text(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def nox_sessions():
    names = set()
    for node in ast.walk(ast.parse(text("noxfile.py"))):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                call = deco if isinstance(deco, ast.Call) else None
                target = call.func if call else deco
                if ast.unparse(target) == "nox.session":
                    given = [k.value.value for k in (call.keywords if call else [])
                             if k.arg == "name"]
                    names.add(given[0] if given else node.name)
    return names


@pytest.mark.parametrize("doc", DOCS)
def test_subcommands_modules_scripts_and_sessions_shown_exist(doc):
    body = text(doc)
    choices = next(a.choices for a in build_parser()._actions if a.dest == "command")
    for sub in re.findall(r"(?:python -m conformance|mmap-conformance) ([a-z][a-z-]*)", body):
        assert sub in choices, f"{doc}: `python -m conformance {sub}` is no subcommand"
    for module in set(re.findall(r"python -m (conformance\.[a-z_.]+[a-z])", body)):
        assert importlib.util.find_spec(module), f"{doc}: no module {module}"
    for script in set(re.findall(r"python ((?:tools|native|benchmarks)/[\w/]+\.py)", body)):
        assert os.path.isfile(os.path.join(ROOT, script)), f"{doc}: no {script}"
    sessions = nox_sessions()
    for session in set(re.findall(r"nox -s ([a-z][a-z-]*(?: [a-z][a-z-]*)*)", body)):
        for name in session.split():
            assert name in sessions, f"{doc}: no nox session {name!r}"


@pytest.mark.parametrize("doc", DOCS)
def test_no_placeholder_url_and_apt_get_update_first(doc):
    body = text(doc)
    assert "OWNER" not in body and "git+https://" not in body
    for line in body.splitlines():
        if "apt-get install" in line and ("run:" in line or line.startswith("    ")):
            assert "apt-get update" in line.split("apt-get install")[0], line
