# SPDX-License-Identifier: MIT
"""`python -m conformance [COMMAND ...]`: the run, or the subcommand named first, and the one
place their errors become one line and an exit status. Only the command asked for is imported:
`report` needs nothing beyond the standard library."""

import importlib
import sys

from conformance.cli.commands import SUBCOMMANDS
from conformance.cli.options import Unchecked, Usage
from conformance.cli.summary import prog
from conformance.results import EXIT_UNCHECKED, EXIT_USAGE


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
        from conformance.cli.run import run

        return run(argv)
    except Usage as exc:
        print(f"{prog()}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Unchecked as exc:
        print(f"python -m conformance: error: {exc}", file=sys.stderr)
        return EXIT_UNCHECKED
    except ImportError as exc:  # something the run needs cannot be loaded: nothing was checked
        print("python -m conformance: error: " + " ".join(str(exc).split()), file=sys.stderr)
        return EXIT_UNCHECKED
    except KeyboardInterrupt:
        print("python -m conformance: interrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"python -m conformance: error: {exc}", file=sys.stderr)
        return 1
