"""The dialect-neutral query layer: one SQL text runs on SQLite and on PostgreSQL.

Statements are written once, in the SQL both engines accept, with SQLite's placeholders:
`?` for positional values and `:name` for named ones. `Database.execute` hands SQLite the
text as it is and PostgreSQL a translation (`%s`, `%(name)s`, a literal `%` doubled). Rows
come back as tuples from both. Instants are stored as fixed-width UTC text in both
(`connector.state.timestamps`), so they sort and compare the same everywhere.

Driver errors become the error tree here, once: a busy database, a lock wait that timed out,
a serialization failure or a lost connection is a `RetriableError`; anything else is a
`FatalError` naming the database and what was being done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]
Params = Sequence[object] | Mapping[str, object]
# Well under SQLite's historical limit of 999 bound variables per statement.
CHUNK = 500


class Cursor(Protocol):
    """What a query answers: its rows (tuples), and how many rows a write changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """One connection to the state, in either dialect. Outside `transaction()` every
    statement is its own transaction (autocommit)."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def location(self) -> str:
        """Where the state is, fit for messages and logs (never a password)."""
        ...

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    def transaction(self, doing: str = "write") -> AbstractContextManager[None]:
        """Every statement inside, all or nothing; writers take turns (SQLite's write lock,
        PostgreSQL's SERIALIZABLE isolation)."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state (the report's charts agree with each other)."""
        ...

    def translated(self, doing: str) -> AbstractContextManager[None]:
        """Driver errors inside become RetriableError or FatalError, saying what was done."""
        ...

    def close(self) -> None: ...


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


def chunks(values: Sequence[str]) -> Iterator[list[str]]:
    """The values in slices small enough for one statement's bound variables."""
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def rows_in(db: Database, sql: str, values: Iterable[str], *after: object) -> list[Any]:
    """The rows of `sql` for every one of `values`, `{marks}` standing for one chunk of them
    (a statement's bound values are limited; each value is asked once), and `after` the
    values bound after the chunk."""
    rows: list[Any] = []
    for chunk in chunks(list(dict.fromkeys(values))):
        rows += db.execute(sql.format(marks=placeholders(len(chunk))), (*chunk, *after)).fetchall()
    return rows


def present(db: Database, table: str, column: str, values: Iterable[str]) -> set[str]:
    """Which of `values` the `column` of `table` holds (our own names; asked in chunks)."""
    sql = f"SELECT {column} FROM {table} WHERE {column} IN ({{marks}})"  # noqa: S608
    return {str(value) for (value,) in rows_in(db, sql, values)}


# A quoted literal (kept as it is), a named placeholder, a positional one, or a percent sign.
_TOKENS = re.compile(r"'(?:[^']|'')*'|(?<!:):([A-Za-z_]\w*)|\?|%")


@lru_cache(maxsize=512)
def to_pyformat(sql: str, *, bound: bool) -> str:
    """SQLite's placeholders as psycopg's (none inside a quoted literal). With nothing bound,
    psycopg sends the text as it is, so a `%` stays single; with values bound, every `%` must
    be doubled, in literals too (psycopg reads them there as well)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith("'"):
            return found.replace("%", "%%") if bound else found
        if match.group(1) is not None:
            return f"%({match.group(1)})s"
        if found == "?":
            return "%s"
        return "%%" if bound else "%"

    return _TOKENS.sub(replace, sql)
