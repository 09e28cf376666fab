# SPDX-License-Identifier: MIT
"""Runs one CPython `test/test_mmap.py` with unittest and writes one JSON line per event.

Usage: python cpython_suite_runner.py TEST_FILE OUT_PATH stdlib
       python cpython_suite_runner.py TEST_FILE OUT_PATH reference PROFILE PROJECT_ROOT
Optional last argument: a file of test ids (one a line) not to run (they already ran, or one
of them crashed the process before).

Stdlib only, in the syntax CPython 2.7 to 3.15 all accept: `stdlib` runs under the interpreter
whose test file it is, `reference` under the one that has the reference's C extension, with
`sys.modules["mmap"]` replaced by `impls.reference.module(PROFILE)`.

Events (JSON lines, flushed one by one, so a crash leaves what ran before it):
  {"event": "shims", "names": [...]}            test.support helpers this interpreter lacked
  {"event": "import_error", "message": "..."}   the file could not even be loaded
  {"event": "start", "id": "..."}
  {"event": "result", "id": "...", "status": "pass|fail|error|skip|xfail|xpass", "message": "..."}
  {"event": "done"}
"""

from __future__ import print_function

import json
import os
import platform
import sys
import traceback
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# The runner's own folder must not shadow anything the test file imports.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

MESSAGE_LIMIT = 400


class Out(object):
    def __init__(self, path):
        self.f = open(path, "a")

    def write(self, **event):
        self.f.write(json.dumps(event, sort_keys=True) + "\n")
        self.f.flush()


def _support_shims():
    """test.support helpers a newer test file imports that this interpreter's test.support
    lacks (or keeps elsewhere): stand-ins that do what the real ones do on Linux x86-64. Only
    missing names are added; those the test file names are reported."""
    try:
        from test import support
    except ImportError:
        return []
    added = []

    def moved(name, module_name):
        try:
            module = __import__("test.support." + module_name, fromlist=["_"])
            return getattr(module, name)
        except (ImportError, AttributeError):
            return None

    def subTests(arg_names, arg_values, **_kwargs):  # 3.14+: parametrise with subTest
        if isinstance(arg_names, str):
            arg_names = arg_names.replace(",", " ").split()
            single = len(arg_names) == 1
        else:
            single = False
        arg_values = tuple(arg_values)

        def decorator(func):
            def wrapper(self, *args, **kwargs):
                for values in arg_values:
                    sub = dict(zip(arg_names, (values,) if single else values))
                    with self.subTest(**sub):
                        kw = dict(kwargs)
                        kw.update(sub)
                        func(self, *args, **kw)
            wrapper.__name__ = func.__name__
            wrapper.__doc__ = func.__doc__
            return wrapper
        return decorator

    def requires_linux_version(*_min_version):
        return lambda func: func

    def not_run(*args, **kwargs):
        raise RuntimeError("run_unittest is not used by this runner")

    candidates = [
        ("TESTFN", lambda: moved("TESTFN", "os_helper")),
        ("unlink", lambda: moved("unlink", "os_helper")),
        ("import_module", lambda: moved("import_module", "import_helper")),
        ("run_unittest", lambda: not_run),
        ("is_apple", lambda: sys.platform == "darwin"),
        ("is_emscripten", lambda: sys.platform == "emscripten"),
        ("is_wasi", lambda: sys.platform == "wasi"),
        ("in_systemd_nspawn_sync_suppressed", lambda: (lambda: False)),
        ("linked_to_musl", lambda: (lambda: False)),
        ("requires_linux_version", lambda: requires_linux_version),
        ("subTests", lambda: subTests),
    ]
    for name, make in candidates:
        if not hasattr(support, name):
            value = make()
            if value is not None:
                setattr(support, name, value)
                added.append(name)
    return added


def _support_names(source):
    """Names the test file takes from test.support: `from test.support import X`, `support.X`."""
    import ast
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("test.support", "test.test_support"):
            names.update(alias.name for alias in node.names)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "support"):
            names.add(node.attr)
    return names


def _message(err):
    exc_type, exc, tb = err
    text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
    # Where in the test file it failed: the innermost frame of the test file itself.
    where = ""
    for frame in traceback.extract_tb(tb):
        if frame[0] == TEST_FILE:
            where = " [line %d]" % frame[1]
    text = " ".join(text.split())
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + "..."
    return text + where


class Result(unittest.TestResult):
    def __init__(self, out):
        unittest.TestResult.__init__(self)
        self.out = out
        self.current = {}

    def startTest(self, test):
        unittest.TestResult.startTest(self, test)
        self.current = {"status": "pass", "message": ""}
        self.out.write(event="start", id=test.id())

    def _set(self, status, message):
        if self.current.get("status") in ("pass", "skip"):
            self.current = {"status": status, "message": message}

    def addFailure(self, test, err):
        self._set("fail", _message(err))

    def addError(self, test, err):
        self._set("error", _message(err))

    def addSubTest(self, test, subtest, err):
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._set("fail" if failed else "error",
                      "%s: %s" % (subtest._subDescription(), _message(err)))

    def addSkip(self, test, reason):
        self._set("skip", str(reason))

    def addExpectedFailure(self, test, err):
        self.current = {"status": "xfail", "message": _message(err)}

    def addUnexpectedSuccess(self, test):
        self.current = {"status": "xpass", "message": ""}

    def stopTest(self, test):
        unittest.TestResult.stopTest(self, test)
        self.out.write(event="result", id=test.id(), **self.current)


def _tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            for test in _tests(item):
                yield test
        else:
            yield item


TEST_FILE = None


def main(argv):
    global TEST_FILE
    test_file, out_path, mode = argv[1:4]
    TEST_FILE = test_file
    rest = argv[4:]
    out = Out(out_path)
    if mode == "reference":
        profile, root = rest[:2]
        rest = rest[2:]
        sys.path.insert(0, root)
        from impls import reference
        sys.modules["mmap"] = reference.module(profile)
    elif mode != "stdlib":
        raise SystemExit("unknown mode %r" % mode)
    skip_ids = set()
    if rest:
        with open(rest[0]) as f:
            skip_ids = set(line.strip() for line in f if line.strip())

    with open(test_file, "rb") as f:
        source = f.read()
    out.write(event="shims", names=sorted(set(_support_shims()) & _support_names(source)))
    module = types.ModuleType("test_mmap")
    module.__file__ = test_file
    sys.modules["test_mmap"] = module
    try:
        code = compile(source, test_file, "exec")
        exec(code, module.__dict__)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    except unittest.SkipTest as exc:
        out.write(event="import_error", message="module skipped: %s" % exc)
        return 0
    except BaseException:
        err = sys.exc_info()
        out.write(event="import_error", message="cannot load under Python %s: %s" % (
            platform.python_version(), _message(err)))
        return 0
    result = Result(out)
    for test in _tests(suite):
        if test.id() in skip_ids:
            continue
        test(result)
    out.write(event="done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
