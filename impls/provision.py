# SPDX-License-Identifier: MIT
"""`python -m conformance provision`: current CPythons (3.13, 3.14, 3.15) and PyPy from Debian
unstable into a private folder, for a machine whose own Debian release has none of them; with
`--pyodide`, the pinned Pyodide from npm into the same folder instead.

The packages of Debian's `sid` suite are downloaded with apt-get (a private sources.list naming
this machine's own Debian mirror, private state and cache folders: the system's apt is not
touched) and unpacked with dpkg-deb into one root folder. They need sid's C library, so each
interpreter runs through sid's own dynamic loader; a launcher script per interpreter
(`bin/python3.15`, `bin/pypy3.11`...) does that. `interpreters.json` lists what was checked to
start: name, version, launcher. The conformance suite finds them there (impls/interpreters.py).
Each standard library is byte-compiled once (the packages ship no .pyc, and a sandboxed worker
cannot write them): workers then start in about 40 ms, not 150.

    python -m conformance provision [--dest DIR] [--refresh] [--mirror URI] [-q] [--pyodide]

DIR is $MMAPCONF_INTERPRETERS if set, else ${XDG_CACHE_HOME:-~/.cache}/mmap-conformance/
interpreters. A second run with everything present does nothing (but byte-compile what an
earlier version of this tool left uncompiled). Stdlib only (tools/provision_interpreters.py runs
it before anything is installed). Exit status: 0 done (or already there), 1 it could not be
done (one line says why), 2 a usage error.
"""

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

CPYTHONS = ("3.13", "3.14", "3.15")
PACKAGES = [p for v in CPYTHONS for p in (f"python{v}-minimal", f"libpython{v}-minimal",
                                          f"libpython{v}-stdlib", f"libpython{v}-testsuite")]
PACKAGES += ["pypy3", "pypy3-lib", "pypy3-lib-testsuite",
             # what the interpreters link against, from the same suite
             "libc6", "libexpat1", "libgcc-s1", "libzstd1", "zlib1g", "libssl3t64", "libbz2-1.0",
             "libffi8", "liblzma5", "libncursesw6", "libtinfo6", "libsqlite3-0", "libuuid1",
             "libgdbm6t64", "libreadline8t64", "libmpdec4"]
# dpkg architecture -> (multiarch folder, dynamic loader)
ARCHES = {"amd64": ("x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
          "arm64": ("aarch64-linux-gnu", "ld-linux-aarch64.so.1")}
MANIFEST = "interpreters.json"
ENV = "MMAPCONF_INTERPRETERS"
# The Pyodide that impls/pyodide_runner.js runs: keep in step with package.json (a checkout's
# `npm ci` installs that one; tests/test_provision.py checks they agree).
PYODIDE_PIN = "314.0.7"
# Prints "implementation full-version language-version"; runs under CPython and PyPy alike.
PROBE = ("import platform, sys; print(sys.implementation.name, platform.python_implementation() "
         "== 'PyPy' and '%d.%d.%d' % sys.pypy_version_info[:3] or platform.python_version(), "
         "platform.python_version())")
TIMEOUT = 900  # seconds for apt-get update / download: slow mirrors are fine, dead ones are not


class Failed(Exception):
    """It could not be done: the one-line reason."""


def default_dest():
    if os.environ.get(ENV):
        return os.environ[ENV]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "mmap-conformance", "interpreters")


def machine_mirror(folder="/etc/apt"):
    """(URI, Signed-By or None) of this machine's Debian archive, from its apt sources."""
    stanzas = []
    for path in sorted(glob.glob(os.path.join(folder, "sources.list.d", "*.sources"))):
        with open(path) as f:
            for block in re.split(r"\n\s*\n", f.read()):
                fields = dict(re.findall(r"^([\w-]+):[ \t]*(.*)$", block, re.M))
                if "deb" in fields.get("Types", "").split() and fields.get("Enabled") != "no":
                    signed_by = fields.get("Signed-By")
                    stanzas += [(uri, signed_by) for uri in fields.get("URIs", "").split()]
    lists = [os.path.join(folder, "sources.list")]
    lists += sorted(glob.glob(os.path.join(folder, "sources.list.d", "*.list")))
    for path in lists:
        if os.path.isfile(path):
            with open(path) as f:
                for line in f:
                    m = re.match(r"\s*deb\s+(?:\[([^\]]*)\]\s*)?(\S+)", line)
                    if m:
                        signed = re.search(r"signed-by=(\S+)", m.group(1) or "")
                        stanzas.append((m.group(2), signed and signed.group(1)))
    for uri, signed_by in stanzas:  # the archive itself, not debian-security or a vendor's
        if uri.rstrip("/").rsplit("/", 1)[-1] == "debian":
            return uri.rstrip("/"), signed_by
    raise Failed(f"no Debian mirror (a URI ending in /debian) in {folder}/sources.list.d: "
                 "pass --mirror URI")


def pyodide_dir(dest):
    """Where `--pyodide` puts the pinned Pyodide: an npm package folder of its own in DEST."""
    return os.path.join(dest, "pyodide", "node_modules", "pyodide")


def telling(lines):
    """The line of apt's or npm's output that says what went wrong ("" if none)."""
    lines = [ln.strip() for ln in lines if ln.strip()]
    for good in (lambda ln: ln.startswith(("E:", "npm ERR!", "npm error"))
                 or "Failed to fetch" in ln,
                 lambda ln: ln.startswith("W:") and "unsandboxed" not in ln, bool):
        found = [ln for ln in lines if good(ln)]
        if found:
            return found[0]
    return ""


def run(argv, what, timeout=TIMEOUT, cwd=None):
    """Run a command; return (stdout, stderr), or raise Failed with its most telling line."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=timeout, cwd=cwd)
    except FileNotFoundError:
        raise Failed(f"{argv[0]} not found: this needs a Debian-like system (apt, dpkg)") from None
    except subprocess.TimeoutExpired:
        raise Failed(f"{what}: no answer in {timeout} s") from None
    except OSError as exc:
        raise Failed(f"{what}: {exc}") from None
    if proc.returncode != 0:
        lines = (proc.stderr + "\n" + proc.stdout).splitlines()
        raise Failed(f"{what}: {telling(lines) or f'exit status {proc.returncode}'}")
    return proc.stdout, proc.stderr


def apt_options(apt):
    return ["-o", f"Dir::Etc::SourceList={apt}/sources.list",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={apt}/lists", "-o", f"Dir::Cache::Archives={apt}/archives",
            "-o", f"Dir::State::Status={apt}/status", "-o", f"Dir::Cache={apt}/cache",
            "-o", "Debug::NoLocking=1", "-q"]


def download(apt, mirror, signed_by):
    """apt-get update + download into `apt` (a fresh folder); return the .deb paths."""
    for sub in ("lists/partial", "archives/partial", "cache", "debs"):
        os.makedirs(os.path.join(apt, sub))
    option = f"[signed-by={signed_by}] " if signed_by and os.path.isfile(signed_by) else ""
    with open(os.path.join(apt, "sources.list"), "w") as f:
        f.write(f"deb {option}{mirror} sid main\n")
    open(os.path.join(apt, "status"), "w").close()
    opts = apt_options(apt)
    _, err = run(["apt-get", *opts, "update"], f"apt-get update from {mirror} sid")
    # apt-get update exits 0 when the mirror cannot be reached (warnings only): no index, no run.
    if not glob.glob(os.path.join(apt, "lists", "*_dists_sid_*Packages*")):
        warning = telling(err.splitlines())
        raise Failed(f"apt-get update from {mirror} sid fetched no package index (no network, "
                     f"or the mirror is down){': ' + warning if warning else ''}")
    names = run(["apt-cache", *opts, "pkgnames"], "apt-cache pkgnames")[0].split()
    missing = sorted(set(PACKAGES) - set(names))
    if missing:
        raise Failed(f"{mirror} sid has no package {', '.join(missing)}: this script's package "
                     "list needs updating")
    debs = os.path.join(apt, "debs")  # apt-get download writes into the current folder
    run(["apt-get", *opts, "download", *PACKAGES], f"apt-get download from {mirror} sid", cwd=debs)
    return sorted(glob.glob(os.path.join(debs, "*.deb")))


def probe(argv):
    """(implementation, version, language version) that an interpreter reports, or Failed."""
    out = run([*argv, "-c", PROBE], f"{argv[-1]} did not start", timeout=60)[0].split()
    if len(out) != 3:
        raise Failed(f"{argv[-1]} did not report its version (printed {' '.join(out)!r})")
    return tuple(out)


def interpreters(root, arch):
    """[(launcher name, binary)] for the unpacked root, after checking each one starts."""
    triplet, loader = ARCHES[arch]
    lib = os.path.join(root, "usr", "lib", triplet)
    found = []
    for binary in [f"python{v}" for v in CPYTHONS] + ["pypy3"]:
        path = os.path.join(root, "usr", "bin", binary)
        impl, version, language = probe([os.path.join(lib, loader), "--library-path", lib, path])
        name = binary if impl == "cpython" else "pypy" + ".".join(language.split(".")[:2])
        found.append((name, binary))
    return found


def write_launchers(dest, arch, found):
    """bin/<name> for each interpreter, checked to start; return the manifest's entries."""
    triplet, loader = ARCHES[arch]
    root = os.path.join(dest, "root")
    lib = os.path.join(root, "usr", "lib", triplet)
    os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
    entries = []
    for name, binary in found:
        launcher = os.path.join(dest, "bin", name)
        command = [os.path.join(lib, loader), "--library-path", lib,
                   os.path.join(root, "usr", "bin", binary)]
        with open(launcher + ".tmp", "w") as f:
            f.write(f"#!/bin/sh\n# Debian sid's {binary}, through sid's own dynamic loader "
                    f"(python -m conformance provision)\nexec {shlex.join(command)} \"$@\"\n")
        os.chmod(launcher + ".tmp", 0o755)
        os.replace(launcher + ".tmp", launcher)
        impl, version, language = probe([launcher])
        entries.append({"name": name, "implementation": impl, "version": version,
                        "language": language, "launcher": launcher})
    return entries


def compile_stdlib(entries, log):
    """Byte-compile each interpreter's standard library, once. Debian's packages ship no .pyc
    (they are made at install time) and a sandboxed worker cannot write them, so every worker
    start compiled what it imported: python3.15 took 149 ms to start a worker, 41 ms after.
    A file that does not compile (the test suite's deliberately broken ones) is left alone."""
    log(f"byte-compiling the standard libraries of {len(entries)} interpreters ...")
    for e in entries:
        try:
            stdlib = subprocess.run(
                [e["launcher"], "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60).stdout.strip()
            if not os.path.isdir(stdlib):
                raise OSError(f"no standard library folder ({stdlib!r})")
            # Not -j: its worker processes would start the bare binary, without sid's loader.
            subprocess.run([e["launcher"], "-m", "compileall", "-q", stdlib],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"{e['name']}: standard library not byte-compiled ({exc}); workers start slower")


def write_manifest(dest, mirror, entries):
    with open(os.path.join(dest, MANIFEST + ".tmp"), "w") as f:
        json.dump({"source": mirror, "interpreters": entries, "compiled": True}, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(dest, MANIFEST + ".tmp"), os.path.join(dest, MANIFEST))


def provision(dest, mirror, signed_by, arch, log):
    """Download, unpack, check, then swap the new root in and write launchers and manifest.
    Everything is staged inside DEST; on failure the stage, and any folder this run created,
    are removed again, and a previous installation stays as it was."""
    created = []  # folders this run makes, deepest first
    folder = dest
    while not os.path.isdir(folder):
        if os.path.lexists(folder):
            raise Failed(f"--dest {dest}: {folder} exists and is not a folder")
        created.append(folder)
        folder = os.path.dirname(folder)
    stage = None
    try:
        os.makedirs(dest, exist_ok=True)
        stage = tempfile.mkdtemp(prefix=".stage-", dir=dest)
        log(f"downloading {len(PACKAGES)} packages from {mirror} sid ...")
        debs = download(os.path.join(stage, "apt"), mirror, signed_by)
        log(f"unpacking {len(debs)} packages ...")
        new_root = os.path.join(stage, "root")
        for deb in debs:
            run(["dpkg-deb", "-x", deb, new_root], f"dpkg-deb -x {os.path.basename(deb)}")
        found = interpreters(new_root, arch)
        # Swap the checked root in; the old one (if any) goes with the stage.
        if os.path.isdir(os.path.join(dest, "root")):
            os.rename(os.path.join(dest, "root"), os.path.join(stage, "old-root"))
        os.rename(new_root, os.path.join(dest, "root"))
        entries = write_launchers(dest, arch, found)
        compile_stdlib(entries, log)
        write_manifest(dest, f"{mirror} sid", entries)
        return entries
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise Failed(f"--dest {dest}: {exc.strerror or exc}{where}") from None
    finally:
        if stage:
            shutil.rmtree(stage, ignore_errors=True)
        if not os.path.exists(os.path.join(dest, MANIFEST)):
            for path in created:
                try:
                    os.rmdir(path)
                except OSError:
                    pass


def present(dest, log=lambda msg: None):
    """The manifest's entries if every launcher it names is there, else None. An installation
    made before the standard libraries were byte-compiled is compiled now."""
    try:
        with open(os.path.join(dest, MANIFEST)) as f:
            manifest = json.load(f)
        entries = manifest["interpreters"]
        ok = all(os.access(e["launcher"], os.X_OK) for e in entries)
        if not (ok and os.path.isdir(os.path.join(dest, "root"))):
            return None
        if not manifest.get("compiled"):
            compile_stdlib(entries, log)
            write_manifest(dest, manifest.get("source"), entries)
        return entries
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pyodide_version(folder):
    """The version of the Pyodide package in `folder`, or None if there is none."""
    try:
        with open(os.path.join(folder, "package.json")) as f:
            version = json.load(f).get("version")
    except (OSError, ValueError, AttributeError):
        return None
    return version if os.path.isfile(os.path.join(folder, "pyodide.mjs")) else None


def provision_pyodide(dest, refresh, log):
    """`npm install pyodide@PYODIDE_PIN` into DEST/pyodide; return (version, folder, done now)."""
    folder = pyodide_dir(dest)
    if not refresh and pyodide_version(folder) == PYODIDE_PIN:
        return PYODIDE_PIN, folder, False
    prefix = os.path.dirname(os.path.dirname(folder))
    if not shutil.which("npm"):
        raise Failed("npm not found on PATH: install Node.js >= 18 with npm")
    try:
        os.makedirs(prefix, exist_ok=True)
    except OSError as exc:
        raise Failed(f"--dest {dest}: {exc.strerror or exc}") from None
    log(f"npm install pyodide@{PYODIDE_PIN} into {prefix} ...")
    run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
         f"pyodide@{PYODIDE_PIN}"], f"npm install pyodide@{PYODIDE_PIN}")
    version = pyodide_version(folder)
    if version != PYODIDE_PIN:
        raise Failed(f"npm install pyodide@{PYODIDE_PIN} left no Pyodide {PYODIDE_PIN} in {folder}")
    return version, folder, True


PROG = "python -m conformance provision"


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (--help for usage)\n")


def main(argv=None, prog=PROG):
    parser = OneLineParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", help=f"the folder (default ${ENV}, else "
                                       "${XDG_CACHE_HOME:-~/.cache}/mmap-conformance/interpreters)")
    parser.add_argument("--refresh", action="store_true",
                        help="download the newest packages even if interpreters are there")
    parser.add_argument("--mirror", help="the Debian mirror URI (default: this machine's, "
                                         "from /etc/apt/sources.list.d)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the outcome")
    parser.add_argument("--pyodide", action="store_true",
                        help=f"instead, install Pyodide {PYODIDE_PIN} with npm into DIR/pyodide "
                        "(what `npm ci` in a checkout of the project installs)")
    args = parser.parse_args(argv)
    if args.pyodide and args.mirror:
        parser.error("--mirror is for the Debian packages, not --pyodide (from npm)")
    dest = os.path.abspath(os.path.expanduser(args.dest or default_dest()))
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    me = prog
    try:
        if args.pyodide:
            version, folder, done = provision_pyodide(dest, args.refresh, say)
            print(f"{me}: Pyodide {version} in {folder}" if done else
                  f"{me}: up to date in {folder} (Pyodide {version}); --refresh installs it again")
            return 0
        entries = None if args.refresh else present(dest, say)
        if entries:
            print(f"{me}: up to date in {dest} ({', '.join(e['name'] for e in entries)}); "
                  "--refresh fetches the newest")
            return 0
        arch = run(["dpkg", "--print-architecture"], "dpkg --print-architecture")[0].strip()
        if arch not in ARCHES:
            raise Failed(f"architecture {arch} is not supported (only {', '.join(ARCHES)})")
        mirror, signed_by = (args.mirror.rstrip("/"), None) if args.mirror else machine_mirror()
        entries = provision(dest, mirror, signed_by, arch, say)
    except Failed as exc:
        print(f"{me}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{me}: interrupted, nothing changed", file=sys.stderr)
        return 1
    for e in entries:
        say(f"{e['name']:<11} {e['implementation']} {e['version']} (Python {e['language']})  "
            f"{e['launcher']}")
    print(f"{me}: {len(entries)} interpreters in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
