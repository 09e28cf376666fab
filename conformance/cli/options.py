# SPDX-License-Identifier: MIT
"""What every command line of the project shares: its usage errors (one line, exit status 2),
"could not check" (exit status 3), the argument types, and the checks of output paths made
before a run rather than after it."""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from conformance.results import not_regular


class Usage(Exception):
    """A usage error: printed as one line, exit status 2."""


class Unchecked(Exception):
    """The run could not check what it was asked to: printed as one line, exit status 3."""


class Parser(argparse.ArgumentParser):
    """The suite's parsers: a usage error is one line (Usage), and an option is taken only by
    its whole name (`--imp` is not `--impl`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        for arg in args:
            if arg == "--":
                break
            name = arg.split("=", 1)[0]
            if name.startswith("--") and name not in self._option_string_actions:
                close = difflib.get_close_matches(name, list(self._option_string_actions), 1)
                self.error(f"unrecognized arguments: {name}"
                           + (f" (did you mean {close[0]}?)" if close else ""))
        return super().parse_args(args, namespace)

    def error(self, message):
        raise Usage(message)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive(unit):
    """An argparse type: a number of `unit` above 0."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {unit}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
        if value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be finite, got {text}")
        return value
    parse.__name__ = unit  # argparse names the type in its messages
    return parse


seconds = positive("seconds")


def _writable_folder(path):
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def check_output_folders(args, *names):
    """A file to write must be a file (or nothing yet) in an existing folder this process can
    write: found before the run, not after it."""
    for name in names:
        path = getattr(args, name)
        if path:
            option = f"--{name.replace('_', '-')} {path}"
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                raise Usage(f"{option}: folder {parent} does not exist")
            problem = not_regular(path)
            if problem:
                raise Usage(f"{option}: {problem}; name a file")
            if not _writable_folder(parent):
                raise Usage(f"{option}: cannot write in folder {parent}")
            if os.path.exists(path) and not os.access(path, os.W_OK):
                raise Usage(f"{option}: the file is read-only")


def check_output_dir(option, path):
    """A folder to write files into: an existing writable folder, or one that can be made."""
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise Usage(f"{option} {path}: not a folder; name a folder")
        if not _writable_folder(path):
            raise Usage(f"{option} {path}: cannot write in this folder")
        return
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not _writable_folder(ancestor):
        raise Usage(f"{option} {path}: cannot create it ({ancestor} is not a writable folder)")
