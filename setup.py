# SPDX-License-Identifier: MIT
"""Only here to hand cffi_modules to setuptools; all metadata lives in pyproject.toml."""
from setuptools import setup

setup(cffi_modules=["native/build_refmmap.py:ffibuilder"])
