#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checkout shim for `python -m conformance provision` (impls/provision.py), which .ci/run and
`nox -s interpreters` run before the suite and pytest are installed: stdlib only."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from impls.provision import main  # noqa: E402

sys.exit(main(prog="tools/provision_interpreters.py"))
