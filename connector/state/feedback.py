"""Customer feedback answers in the state database: one per ticket and resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from connector.state.migrate import write_transaction
from connector.state.sql import Database
from connector.state.timestamps import from_text, to_text


@runtime_checkable
class HasDatabase(Protocol):
    """A state store that lets modules keep their own tables (SqlStateStore, any dialect)."""

    @property
    def db(self) -> Database: ...


@dataclass(frozen=True)
class Answer:
    """What a customer said about one resolution of a ticket."""

    issue_key: str
    resolution: int
    score: int
    comment: str
    answers: int
    written_back: bool
    first_at: datetime
    updated_at: datetime


_COLUMNS = "issue_key, resolution, score, comment, answers, written_back, first_at, updated_at"
_LINK = "issue_key = ? AND resolution = ?"


def _answer(row: tuple[object, ...]) -> Answer:
    key, resolution, score, comment, answers, written, first, updated = row
    return Answer(str(key), int(str(resolution)), int(str(score)), str(comment),
                  int(str(answers)), bool(written), from_text(str(first)),
                  from_text(str(updated)))


def answer_for(store: HasDatabase, issue_key: str, resolution: int) -> Answer | None:
    """The stored answer, or None."""
    row = store.db.execute(f"SELECT {_COLUMNS} FROM feedback WHERE issue_key = ? "  # noqa: S608
                           "AND resolution = ?", (issue_key, resolution)).fetchone()
    return None if row is None else _answer(row)


def record(store: HasDatabase, issue_key: str, resolution: int, *, score: int, comment: str,
           at: datetime) -> tuple[Answer, bool]:
    """Store an answer; a later one replaces it. Returns (the answer, whether it changed):
    the same answer sent twice (a double click) changes nothing and is not written back."""
    with write_transaction(store.db):
        before = answer_for(store, issue_key, resolution)
        if before is not None and (before.score, before.comment) == (score, comment):
            return before, False
        store.db.execute(
            "INSERT INTO feedback (issue_key, resolution, score, comment, first_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issue_key, resolution) DO UPDATE SET "
            "score = excluded.score, comment = excluded.comment, answers = feedback.answers + 1, "
            "written_back = 0, updated_at = excluded.updated_at",
            (issue_key, resolution, score, comment, to_text(at), to_text(at)))
    after = answer_for(store, issue_key, resolution)
    assert after is not None
    return after, True


def mark_written(store: HasDatabase, answer: Answer) -> None:
    """The tracker has this answer (unless a newer one arrived meanwhile)."""
    with write_transaction(store.db):
        store.db.execute("UPDATE feedback SET written_back = 1 WHERE issue_key = ? AND "
                         "resolution = ? AND updated_at = ?",
                         (answer.issue_key, answer.resolution, to_text(answer.updated_at)))


@dataclass(frozen=True)
class Written:
    """What the tracker was last given for one answer: the satisfaction field's value, and
    the (score, comment) the last internal comment told the team. Kept apart, since a
    write-back may stop between the two."""

    field: int | None = None
    told: tuple[int, str] | None = None


def written(store: HasDatabase, issue_key: str, resolution: int) -> Written:
    row = store.db.execute(f"SELECT field_written, told_score, told_comment FROM feedback "  # noqa: S608
                           f"WHERE {_LINK}", (issue_key, resolution)).fetchone()
    if row is None:
        return Written()
    field, score, comment = row
    told = None if score is None else (int(score), str(comment or ""))
    return Written(None if field is None else int(field), told)


def remember_written(store: HasDatabase, issue_key: str, resolution: int,
                     now: Written) -> None:
    """Record what the tracker holds now, right after each write to it succeeded."""
    score, comment = now.told if now.told else (None, None)
    with write_transaction(store.db):
        store.db.execute(f"UPDATE feedback SET field_written = ?, told_score = ?, "  # noqa: S608
                         f"told_comment = ? WHERE {_LINK}",
                         (now.field, score, comment, issue_key, resolution))


def admit_post(store: HasDatabase, issue_key: str, resolution: int, *, now: datetime,
               limit: int, window: timedelta) -> datetime | None:
    """Count one answer sent from a link; None when it is within `limit` per `window`, else
    when the next one will be (and this one is not counted)."""
    link = (issue_key, resolution)
    with write_transaction(store.db):
        # Posts out of the window count no more: forgotten, so a link keeps few rows.
        store.db.execute(f"DELETE FROM feedback_posts WHERE {_LINK} AND posted_at <= ?",  # noqa: S608
                         (*link, to_text(now - window)))
        rows = store.db.execute(f"SELECT posted_at FROM feedback_posts WHERE {_LINK} "  # noqa: S608
                                "AND posted_at <= ? ORDER BY posted_at", (*link, to_text(now)))
        recent = [from_text(at) for (at,) in rows.fetchall()]
        if len(recent) >= limit:
            return recent[-limit] + window
        store.db.execute("INSERT INTO feedback_posts (issue_key, resolution, posted_at) "
                         "VALUES (?, ?, ?)", (*link, to_text(now)))
    return None


def unwritten(store: HasDatabase) -> list[Answer]:
    """Answers not yet written back to the tracker, oldest first (to retry)."""
    sql = f"SELECT {_COLUMNS} FROM feedback WHERE written_back = 0 ORDER BY updated_at"  # noqa: S608
    return [_answer(row) for row in store.db.execute(sql).fetchall()]
