# SPDX-License-Identifier: MIT
"""Entry point for `python -m conformance`."""

import sys

from conformance.cli.main import main

sys.exit(main())
