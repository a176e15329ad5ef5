"""A throw-away PostgreSQL for the tests, and the `database_url` fixture that runs a test on
SQLite and again on PostgreSQL.

When the server binaries are installed (initdb, pg_ctl, postgres: on PATH, or Debian's
/usr/lib/postgresql/*/bin), the first test that needs PostgreSQL starts one server for the
session: a fresh cluster in a temporary directory, on 127.0.0.1 and a free port, without
fsync; the session's end stops it and deletes the directory. As root the server runs as the
`postgres` user (PostgreSQL refuses to run as root). Each test gets an empty database.
Without the binaries the PostgreSQL variants are skipped.

DARCY_TEST_POSTGRES_URL=postgresql://user:pass@host:port/db uses that server instead (a
CI service container); DARCY_TEST_POSTGRES_URL=off skips PostgreSQL.

tests/conftest.py loads this module as a plugin: every test can ask for these fixtures.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from integrations.db.database import Database

ENV = "DARCY_TEST_POSTGRES_URL"
USER = "darcy"
BINARIES = ("initdb", "pg_ctl", "postgres")


class Unavailable(Exception):
    """No PostgreSQL here; the reason says why."""


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, if this machine has them."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    candidates += [Path(p) for p in sorted(glob.glob("/usr/pgsql-*/bin"), reverse=True)]
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in BINARIES):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalPostgres:
    """One cluster in a temporary directory, started with pg_ctl and stopped at the end."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="darcy-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.url = ""
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses root: run it as the `postgres` user
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                shutil.rmtree(self.root, ignore_errors=True)
                raise Unavailable("running as root and there is no `postgres` user") from exc
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            runuser = shutil.which("runuser") or shutil.which("setpriv")
            if runuser is None:
                shutil.rmtree(self.root, ignore_errors=True)
                raise Unavailable("running as root without runuser or setpriv")
            if runuser.endswith("runuser"):
                self.prefix = [runuser, "-u", "postgres", "--"]
            else:
                ids = [f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups"]
                self.prefix = [runuser, *ids]

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if result.returncode != 0:
            said = (result.stderr or result.stdout).strip()[-800:]
            raise Unavailable(f"{Path(args[0]).name} failed: {said}")

    def start(self) -> str:
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", USER,
            "-A", "trust",
            "-E", "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        options = " ".join(
            (
                "-c listen_addresses=127.0.0.1",
                f"-k {self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            )
        )
        for _attempt in range(3):  # a free port can be taken between the probe and the bind
            self.port = _free_port()
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D", str(self.data),
                    "-l", str(self.root / "server.log"),
                    "-o", f"-p {self.port} {options}",
                    "-w", "-t", "30",
                    "start",
                )  # fmt: skip
                break
            except Unavailable:
                if _attempt == 2:
                    raise
        atexit.register(self.stop)
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(Exception):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def run_sync(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion from synchronous code, beside any running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


TEST_DATABASE = "darcy_test"


async def _empty_database(url: str, name: str) -> None:
    """Create database `name` once, then empty it: dropping its schema is ~100 times faster than
    a new database (which copies a template)."""
    import asyncpg

    admin = await asyncpg.connect(url, timeout=10)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
        # An engine a failed test left open must not block the reset.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    conn = await asyncpg.connect(_with_database(url, name), timeout=10)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def _with_database(url: str, name: str, driver: str = "postgresql") -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{name}", parts.query, ""))


_server: LocalPostgres | None = None
_unavailable: str | None = None


def _shared_server() -> str:
    """One server per test session, however many modules import the fixtures (each import is a
    fixture definition of its own, so the server lives here, not in a fixture's value)."""
    global _server, _unavailable
    if _server is None and _unavailable is None:
        bindir = find_bindir()
        if bindir is None:
            _unavailable = "PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed"
        else:
            try:
                server = LocalPostgres(bindir)
                server.url = server.start()
                _server = server
            except (Unavailable, OSError, subprocess.TimeoutExpired) as exc:
                _unavailable = f"could not start a throw-away PostgreSQL: {exc}"
    if _server is None:
        pytest.skip(_unavailable or "no PostgreSQL")
    return _server.url


def _stop_shared_server() -> None:
    global _server
    server, _server = _server, None
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The session's PostgreSQL server: its admin URL (libpq form, database `postgres`)."""
    configured = os.environ.get(ENV, "").strip()
    if configured.lower() in ("off", "0", "no", "false"):
        pytest.skip(f"PostgreSQL disabled by {ENV}")
    if configured:
        yield configured
        return
    yield _shared_server()
    _stop_shared_server()  # at the end of the session (idempotent)


@pytest.fixture
def postgres_url(postgres: str) -> str:
    """An empty database on the session's server, as Darcy's DATABASE_URL (asyncpg driver).
    It is `darcy_test`, emptied before each test (never the database the server URL names)."""
    run_sync(_empty_database(postgres, TEST_DATABASE))
    return _with_database(postgres, TEST_DATABASE, "postgresql+asyncpg")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test once on a SQLite file and once on PostgreSQL (skipped when there is none)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'darcy.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """Darcy's database, migrated, on SQLite and again on PostgreSQL."""
    from integrations.db.database import Database

    database = Database(database_url)
    await database.create_schema()
    try:
        yield database
    finally:
        await database.close()
