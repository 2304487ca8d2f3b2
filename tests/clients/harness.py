"""A tiny check runner shared by the Python client scripts.

Each script registers checks with ``@check``; ``run()`` runs them in order,
prints ``PASS name`` / ``FAIL name: reason`` for each and a closing
``N passed, N failed`` line, and exits non-zero when any check failed.
A failed check does not stop the others (each one uses its own tables).

Connection settings come from the libpq environment variables that
tools/clients.sh exports (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
DRIFTDB_TARGET=postgres runs the same script against a real PostgreSQL 15
(to check the script itself): checks marked ``driftdb_only`` (time travel)
are skipped there, with a note.
"""

import asyncio
import inspect
import os
import sys
import traceback

HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = int(os.environ.get("PGPORT", "5433"))
USER = os.environ.get("PGUSER", "driftdb")
PASSWORD = os.environ.get("PGPASSWORD", "")
DATABASE = os.environ.get("PGDATABASE", "driftdb")
ON_POSTGRES = os.environ.get("DRIFTDB_TARGET") == "postgres"

_CHECKS = []


def check(fn=None, *, driftdb_only=False):
    """Registers a check (a plain or async function taking no arguments)."""

    def register(f):
        _CHECKS.append((f.__name__, f, driftdb_only))
        return f

    return register(fn) if fn is not None else register


def eq(actual, expected, what=""):
    """Fails the current check unless ``actual == expected`` (and, for
    values that are not None, of the same Python type)."""
    same_type = actual is None or expected is None or type(actual) is type(expected)
    if actual != expected or not same_type:
        raise AssertionError(
            f"{what}: expected {expected!r} ({type(expected).__name__}), "
            f"got {actual!r} ({type(actual).__name__})"
        )


def raises(exc_type, fn, *args, **kwargs):
    """Calls ``fn`` and returns the exception of ``exc_type`` it raised."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:  # noqa: PERF203
        return e
    raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


async def araises(exc_type, coro):
    """Awaits ``coro`` and returns the exception of ``exc_type`` it raised."""
    try:
        await coro
    except exc_type as e:
        return e
    raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


def run():
    """Runs every registered check; exits 1 if any failed."""
    passed = failed = skipped = 0
    for name, fn, driftdb_only in _CHECKS:
        if driftdb_only and ON_POSTGRES:
            print(f"SKIP {name} (DriftDB only: time travel)")
            skipped += 1
            continue
        try:
            result = fn()
            if inspect.iscoroutine(result):
                asyncio.run(result)
            print(f"PASS {name}")
            passed += 1
        except Exception as e:  # a check's failure is reported, not fatal
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            tb = traceback.extract_tb(e.__traceback__)
            for frame in tb[1:]:
                print(f"    at {os.path.basename(frame.filename)}:{frame.lineno} {frame.line}")
            failed += 1
    sys.stdout.flush()
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}")
    sys.exit(1 if failed else 0)
