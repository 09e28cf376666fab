# SPDX-License-Identifier: MIT
"""`python -m conformance [COMMAND ...]`: the run, or the subcommand named first. Only the one
asked for is imported: `report` needs nothing beyond the standard library."""

import importlib
import sys

from conformance.cli.commands import SUBCOMMANDS


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
    from conformance.cli.run import main as run

    return run(argv)
