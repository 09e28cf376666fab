# SPDX-License-Identifier: MIT
"""The cffi builder's knobs (native/build_refmmap.py), tested without compiling anything."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def build():
    spec = importlib.util.spec_from_file_location(
        "build_refmmap", os.path.join(ROOT, "native", "build_refmmap.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_is_named_ffibuilder_and_targets_impls(build):
    assert build.ffibuilder._assigned_source[0] == "impls._refmmap"


def test_default_flags_have_no_sanitizer(build):
    flags = build.extra_compile_args({})
    assert "-Wall" in flags and not any("sanitize" in f for f in flags)
    assert build.extra_link_args({}) == []


@pytest.mark.parametrize("value,on", [("1", True), ("0", False), ("", False), ("yes", True)])
def test_sanitize_switch(build, value, on):
    env = {"REFMMAP_SANITIZE": value}
    assert ("-fsanitize=address,undefined" in build.extra_compile_args(env)) is on
    assert bool(build.extra_link_args(env)) is on


def test_extra_cflags_are_shell_split(build):
    flags = build.extra_compile_args({"REFMMAP_CFLAGS": "-O0 -DX='a b'"})
    assert flags[-2:] == ["-O0", "-DX=a b"]


def test_extra_ldflags_are_shell_split_after_the_sanitizer(build):
    assert build.extra_link_args({"REFMMAP_LDFLAGS": "--coverage -L'a b'"}) == ["--coverage", "-La b"]
    assert build.extra_link_args({"REFMMAP_SANITIZE": "1", "REFMMAP_LDFLAGS": "--coverage"}) == [
        "-fsanitize=address,undefined", "--coverage"]


def test_package_version_comes_from_pyproject(build, tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text('[project]\nname = "x"\nversion = "9.8.7"\n')
    assert build.package_version(str(p)) == "9.8.7"
    p.write_text("[project]\n")
    with pytest.raises(RuntimeError, match="add one"):
        build.package_version(str(p))


def test_cdef_is_the_header_without_comments(build):
    cdef = build.cdef_source()
    assert "refmmap_open" in cdef and "/*" not in cdef and "#include" not in cdef


def test_header_is_plain(build):
    with open(os.path.join(ROOT, "native", "refmmap.h")) as f:
        text = f.read()
    assert text.startswith("/* SPDX-License-Identifier: MIT */")
    assert "#include" not in text


def test_abi_handshake_rejects_another_version():
    from impls import reference

    reference._verify_abi()
    with pytest.raises(ImportError, match="pip install ."):
        reference._verify_abi(expected="0.0.0-other")


def test_native_paths(build):
    assert build.native_paths(False) == (["native/refmmap.c"], ["native"])
    sources, includes = build.native_paths(True)
    assert os.path.isfile(sources[0]) and os.path.isdir(includes[0])


def test_build_dir_is_absolute_and_defaults_to_the_checkout(build, tmp_path, monkeypatch):
    assert build.build_dir({}) == build.ROOT
    assert build.build_dir({"REFMMAP_BUILD_DIR": ""}) == build.ROOT
    monkeypatch.chdir(tmp_path)
    assert build.build_dir({"REFMMAP_BUILD_DIR": "b"}) == str(tmp_path / "b")


def test_script_build_names_sources_relatively_in_place_only(build, tmp_path):
    """In place, a relative source keeps objects in native/ (ignored); elsewhere an absolute one
    keeps them under the build dir."""
    assert build.script_paths({}) == build.native_paths(False)
    assert build.script_paths({"REFMMAP_BUILD_DIR": str(tmp_path)}) == build.native_paths(True)
