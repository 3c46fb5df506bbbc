"""`SqliteStateStore`: the state kept in one SQLite file (WAL, named migrations, a file lock)."""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import timedelta
from pathlib import Path

from connector.errors import ConfigError, FatalError, LeaseLostError, RetriableError
from connector.state.fence import Fence, fenced_out
from connector.state.sql import Cursor, Dialect, Params
from connector.state.store import SqlStateStore

_MEMORY = {":memory:", ""}
# How long a write waits while another connection writes (a CLI command beside the
# service, say) before giving up with a RetriableError.
_BUSY_TIMEOUT_SECONDS = 5.0
# link(2) failing because the file system has no hard links (some network and FUSE ones).
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


class SqliteDatabase:
    """The `Database` on one sqlite3 connection in autocommit mode (we say BEGIN ourselves,
    so a transaction is exactly what `transaction()` says, migrations' DDL included)."""

    def __init__(self, connection: sqlite3.Connection, location: str) -> None:
        self._conn = connection
        self._location = location
        self._depth = 0  # inside translated(): errors are translated there, with its words

    @property
    def dialect(self) -> Dialect:
        return "sqlite"

    @property
    def location(self) -> str:
        return self._location

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        if self._depth:
            return self._conn.execute(sql, params)
        with self.translated("query"):
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        if self._depth:
            self._conn.executemany(sql, rows)
            return
        with self.translated("write"):
            self._conn.executemany(sql, rows)

    @contextmanager
    def translated(self, doing: str) -> Iterator[None]:
        """Turn sqlite3 errors into the error tree: busy is retriable, the rest is fatal."""
        self._depth += 1
        try:
            yield
        except sqlite3.Error as error:
            name = getattr(error, "sqlite_errorname", "") or ""
            message = f"state database {self._location}: {doing} failed: {error}"
            if fenced_out(error):
                raise LeaseLostError(message) from error
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
                raise RetriableError(message) from error
            raise FatalError(message) from error
        finally:
            self._depth -= 1

    @contextmanager
    def transaction(self, doing: str = "write") -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any failure. IMMEDIATE takes the write
        lock up front, so a busy database fails here, before any work."""
        with self.translated(doing):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                # Some errors (disk full, I/O) already rolled back; a second ROLLBACK would fail.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: WAL readers see one snapshot and never block the writer."""
        with self.translated("reading"):
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


def connect(location: str, *, busy_timeout: float = _BUSY_TIMEOUT_SECONDS,
            read_only: bool = False, any_thread: bool = False) -> SqliteDatabase:
    """A connection to the file (created if missing, unless `read_only`); with `any_thread`,
    usable from every thread (its user serialises the calls)."""
    try:
        if read_only:
            conn = sqlite3.connect(f"{Path(location).as_uri()}?mode=ro", uri=True,
                                   isolation_level=None, timeout=busy_timeout)
        else:
            conn = sqlite3.connect(location, timeout=busy_timeout, isolation_level=None,
                                   check_same_thread=not any_thread)
    except sqlite3.Error as error:
        raise FatalError(f"state database {location}: open failed: {error}") from None
    return SqliteDatabase(conn, location)


def refuse_empty(path: Path) -> None:
    """An existing 0-byte file is not a state to start afresh in silently: a truncated copy or
    a botched restore would forget which mail, changes and messages were already handled, and
    the next run would mirror anew as if nothing had happened. Only `--new-state` may."""
    if path.is_file() and path.stat().st_size == 0:
        raise ConfigError([
            f"{path}: the state file is empty (0 bytes), not a ticketflow state; expected the "
            "state database (restore it from a backup, or check TICKETFLOW_STATE_DB), or "
            "--new-state on `run` or `once` to start a new state in this file"])


def create_whole(path: Path) -> None:
    """Make a new state file at `path` whole: an empty database in WAL mode is made beside it
    and linked into place, so a process starting at the same moment sees no file or a
    database, never the 0 bytes `refuse_empty` takes for a truncated state. Whoever links
    first made the state; the others open it. A file system without hard links gets the file
    the way SQLite makes it; a folder we cannot write in is left to the open to report."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    try:
        os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))  # SQLite's mode
    except OSError:
        return  # no folder, no right to write there: opening it says so, as it always did
    try:
        with closing(sqlite3.connect(temp)) as made:
            made.execute("PRAGMA journal_mode = WAL")  # writes the header; WAL stays set
        with suppress(FileExistsError):
            os.link(temp, path)
    except sqlite3.Error as error:  # a full disk, say
        raise FatalError(f"state database {path}: cannot create it: {error}") from None
    except OSError as error:
        if not isinstance(error, FileExistsError) and error.errno not in _NO_LINKS:
            raise FatalError(f"state database {path}: cannot create it: {error}") from None
    finally:
        temp.unlink(missing_ok=True)


class SqliteStateStore(SqlStateStore):
    """The `StateStore` on one SQLite file; `":memory:"` gives a private throwaway database.

    An existing empty file is refused (see `refuse_empty`) unless `new_state` is given; a
    missing file is created, as on a first run. `migrate=False` opens without applying
    migrations (a newer database is refused either way)."""

    def __init__(self, path: Path | str, *, busy_timeout: float = _BUSY_TIMEOUT_SECONDS,
                 new_state: bool = False, migrate: bool = True) -> None:
        self._memory = str(path) in _MEMORY
        location = str(path) if self._memory else str(Path(path).resolve())
        if not self._memory:
            if not Path(location).exists():
                create_whole(Path(location))
            elif not new_state:
                refuse_empty(Path(path))  # named as the user gave it
        db = connect(location, busy_timeout=busy_timeout)
        try:
            with db.translated("open"):
                db.execute("PRAGMA journal_mode = WAL")
                # NORMAL under WAL: a power cut may lose the last commits, never corrupt it.
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA foreign_keys = ON")
                super().__init__(db, migrate=migrate)
        except BaseException:
            db.close()
            raise
        self._sqlite = db

    @property
    def connection(self) -> sqlite3.Connection:
        """The sqlite3 connection itself, for what only SQLite has (the lease's fence)."""
        return self._sqlite.connection

    def backup_to(self, path: Path | str) -> None:
        """Copy the whole database, consistently, to a new file (a dry run's scratch state)."""
        with self._sqlite.translated(f"backup to {path}"), \
                closing(sqlite3.connect(path)) as target:
            self._sqlite.connection.backup(target)

    def fence(self, fence: Fence, *, stall_limit: timedelta) -> None:
        """Fence this store's writes by the lease's token: temporary triggers on its
        connection (a stalled SQLite writer holds the file's write lock: `stall_limit` has
        no SQLite counterpart)."""
        fence.install(self.connection)

    def tidy(self) -> None:
        """Copy the WAL back into the database file now, between jobs, so that no cycle's
        commit pays for it: SQLite checkpoints at the commit that takes the WAL past 1,000
        pages (about one steady cycle in six at 100,000 tickets, each ~20 ms slower). PASSIVE:
        it waits for no reader or writer, and whatever it cannot copy now waits for the next
        time. A busy database is no failure: the commit-time checkpoint still stands behind."""
        with suppress(RetriableError):
            self._sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the single-instance lock on this state, or raise FatalError if taken."""
        if self._memory:
            yield  # a private in-memory database cannot be shared, so there is nothing to guard
            return
        with _file_lock(Path(self.location + ".lock"), self.location):
            yield


@contextmanager
def _file_lock(lock_path: Path, location: str) -> Iterator[None]:
    """flock a sidecar file: the kernel drops it when the holder exits, even on a crash."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            raise FatalError(
                f"another ticketflow is already working on state {location} (pid {holder}); "
                "not starting a second one"
            ) from None
        # The pid is for the message above only; the flock, not the file's content, is the lock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def snapshot_file(source: Path, target: Path) -> None:
    """Copy the state for a dry run through a read-only connection: the real file is not
    migrated, locked or touched in any way. A file that is no SQLite database is named."""
    try:
        with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as error:
        raise FatalError(f"state database {source}: cannot be read ({error}); expected a "
                         "ticketflow state file at TICKETFLOW_STATE_DB (restore it from a "
                         "backup)") from None


def open_store(path: Path | str) -> SqliteStateStore:
    """Open (creating and migrating if need be) the state database at `path`."""
    return SqliteStateStore(path)
