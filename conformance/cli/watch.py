# SPDX-License-Identifier: MIT
"""Files outside an implementation's own folder, looked at before and after it runs without a
sandbox: what it changed there is a result of it (`vandal`)."""

from __future__ import annotations

import os
import stat

# Entries looked at under one folder: a run started in a large tree (a home folder) watches
# this many of it, not all of it.
LIMIT = 20000


def snapshot(folders, skip=()):
    """{path: ("dir", inode) or ("file", inode, size, mtime_ns)} of `folders` and everything
    below them (at most LIMIT entries each), leaving out the paths under `skip`. A folder's
    mtime is not kept: the run makes and removes its own files beside watched ones."""
    skip = {os.path.realpath(p) for p in skip}
    ours = _output_files()
    seen = {}
    for top in dict.fromkeys(os.path.realpath(f) for f in folders):
        if any(_under(top, s) for s in skip):
            continue
        count = 0
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if os.path.join(folder, d) not in skip)
            try:
                seen[folder] = ("dir", os.lstat(folder).st_ino)
            except OSError:
                continue
            for name in sorted(files):
                path = os.path.join(folder, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in ours:
                    seen[path] = ("file", st.st_ino, st.st_size, st.st_mtime_ns)
            count += 1 + len(files)
            if count >= LIMIT:
                break
    return seen


def _output_files():
    """{(device, inode)} of the files this process's stdout and stderr go to (`> log.txt` in
    the folder watched): the run writes those itself."""
    found = set()
    for fd in (1, 2):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.add((st.st_dev, st.st_ino))
    return found


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def changes(before, after):
    """What differs between two snapshots, a line each ("removed PATH", "new PATH", "changed
    PATH"), the topmost of a removed or new tree only."""
    out = []
    for path in sorted(set(before) | set(after)):
        if path in before and path in after:
            if before[path] != after[path]:
                out.append(f"changed {path}")
            continue
        word = "removed" if path in before else "new"
        parent = os.path.dirname(path)
        if (parent in before) == (parent in after):  # not inside a tree already said
            out.append(f"{word} {path}")
    return out
