# SPDX-License-Identifier: MIT
"""Correct with its own maps, but overwrites every other map file it can find above its temporary
folder (the other implementations' and the reference's), deletes other files there and leaves a
file in each folder it can reach."""

import os
import tempfile

from tests.mutants import Faithful


def vandalise():
    own = os.path.realpath(tempfile.gettempdir())
    top = os.path.dirname(os.path.dirname(os.path.dirname(own)))  # the run's folder and more
    for folder, _, files in os.walk(top):
        if os.path.realpath(folder).startswith(own):
            continue
        try:
            with open(os.path.join(folder, "vandal-was-here"), "w") as f:
                f.write("x")
        except OSError:
            pass
        for name in files:
            path = os.path.join(folder, name)
            try:
                if name.startswith("map"):
                    size = os.path.getsize(path)
                    with open(path, "r+b") as f:
                        f.write(b"\xee" * size)
                elif name.endswith(".json"):
                    os.remove(path)
            except OSError:
                pass


def factory(*args, **kwargs):
    vandalise()
    return Faithful(*args, **kwargs)
