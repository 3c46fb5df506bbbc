"""Mail intake's own tables: each message's outcome and progress, IMAP UIDs, mail comments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from connector.state.delivery import first_known_issue
from connector.state.migrate import write_transaction
from connector.state.sql import Database, rows_in
from connector.state.timestamps import from_text, to_text

Outcome = Literal["ticket", "comment", "quarantine"]
Side = Literal["customer", "staff"]

_COLUMNS = (
    "mail_key", "message_id", "mailbox", "ref", "kind", "sender", "state", "step", "attempts",
    "outcome", "issue_key", "comment_id", "reason", "automatic", "received_at", "done_at",
    "waits", "last_error", "write_sent_at", "released_at", "rowid",
)  # fmt: skip
_TIMES = ("received_at", "done_at", "write_sent_at", "released_at")


@dataclass(frozen=True)
class MailRecord:
    """What intake knows about one message: where it got to, and how it ended."""

    mail_key: str
    message_id: str | None
    mailbox: str
    ref: str
    kind: str
    sender: str | None
    state: str  # "started" until the outcome is committed, then "done"
    step: str  # milestones reached, comma-separated: "creating,created,attached:2"
    attempts: int  # how often the tracker refused the mail itself (outages do not count)
    outcome: Outcome | None
    issue_key: str | None
    comment_id: str | None
    reason: str
    automatic: bool
    received_at: datetime
    done_at: datetime | None
    waits: int = 0  # passes postponed because the tracker was unavailable
    last_error: str = ""  # why it is still waiting
    write_sent_at: datetime | None = None  # a create sent whose answer never came
    released_at: datetime | None = None  # released from the quarantine by an operator
    number: int = 0  # a short handle for operators (`ticketflow mail list`, `release`)

    @property
    def done(self) -> bool:
        return self.state == "done"

    def reached(self, milestone: str) -> bool:
        return milestone in self.step.split(",")

    def count(self, name: str) -> int:
        """A counted milestone's number (`attached:2` -> 2), 0 if not reached."""
        counts = [m.partition(":")[2] for m in self.step.split(",") if m.startswith(name + ":")]
        return int(counts[0]) if counts and counts[0].isdigit() else 0


@dataclass(frozen=True)
class MailComment:
    """A comment ticketflow posted for a mail: who sent the mail, and on which side they are."""

    comment_id: str
    issue_key: str
    sender: str
    side: Side


def _record(row: Sequence[object]) -> MailRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["automatic"] = bool(values["automatic"])
    for name in _TIMES:
        when = values[name]
        values[name] = None if when is None else from_text(str(when))
    values["number"] = values.pop("rowid")
    return MailRecord(**values)  # type: ignore[arg-type]


class IntakeStore:
    """The intake tables on the state database's connection (`SqlStateStore.db`), in SQL
    both dialects accept."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- messages ------------------------------------------------------------------------

    def record(self, mail_key: str) -> MailRecord | None:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM mail_intake WHERE mail_key = ?"  # noqa: S608
        row = self._db.execute(sql, (mail_key,)).fetchone()
        return None if row is None else _record(row)

    def begin(self, mail_key: str, *, message_id: str | None, mailbox: str, ref: str,
              kind: str, sender: str | None, automatic: bool, at: datetime) -> MailRecord:
        """Start (or resume) a message: a new row, or the unfinished one where it is now."""
        with write_transaction(self._db):
            self._db.execute(
                "INSERT INTO mail_intake (mail_key, message_id, mailbox, ref, kind, sender, "
                "state, attempts, automatic, received_at) VALUES (?, ?, ?, ?, ?, ?, 'started', "
                "0, ?, ?) ON CONFLICT (mail_key) DO UPDATE SET ref = excluded.ref, "
                "kind = excluded.kind WHERE mail_intake.state = 'started'",
                (mail_key, message_id, mailbox, ref, kind, sender, int(automatic), to_text(at)))
        return self._existing(mail_key)

    def refused(self, mail_key: str, error: str) -> MailRecord:
        """The tracker refused the mail itself (a field it rejects, a ticket gone): one more
        attempt counted, towards the quarantine."""
        return self._waiting(mail_key, "attempts", error)

    def postponed(self, mail_key: str, error: str) -> MailRecord:
        """The tracker was unavailable or refused our credentials: the mail waits for the next
        pass, and no attempt is counted (an outage is nobody's verdict on the mail)."""
        return self._waiting(mail_key, "waits", error)

    def _waiting(self, mail_key: str, counter: Literal["attempts", "waits"], error: str
                 ) -> MailRecord:
        with write_transaction(self._db):
            self._db.execute(
                f"UPDATE mail_intake SET {counter} = {counter} + 1, last_error = ? "  # noqa: S608
                "WHERE mail_key = ? AND state = 'started'", (error[:500], mail_key))
        return self._existing(mail_key)

    def _existing(self, mail_key: str) -> MailRecord:
        found = self.record(mail_key)
        assert found is not None, f"no intake record for {mail_key}"
        return found

    def mark(self, mail_key: str, milestone: str, *, issue_key: str | None = None,
             comment_id: str | None = None, comment: MailComment | None = None,
             sent_at: datetime | None = None) -> None:
        """Add a milestone to the message's progress ("creating" before a tracker write,
        "created" after it), so a message resumed after a crash skips what was done. A
        counted milestone (`attached:N`) replaces the previous count. `sent_at` records when
        a write whose result may be lost (a create) is sent."""
        record = self.record(mail_key)
        prefix = milestone.partition(":")[0] + ":" if ":" in milestone else None
        done = [m for m in (record.step.split(",") if record and record.step else [])
                if m and not (prefix and m.startswith(prefix))]
        steps = ",".join(dict.fromkeys([*done, milestone]))
        with write_transaction(self._db):
            self._db.execute(
                "UPDATE mail_intake SET step = ?, issue_key = coalesce(?, issue_key), "
                "comment_id = coalesce(?, comment_id), "
                "write_sent_at = coalesce(?, write_sent_at) WHERE mail_key = ?",
                (steps, issue_key, comment_id or (comment.comment_id if comment else None),
                 None if sent_at is None else to_text(sent_at), mail_key))
            if comment is not None:
                self._insert_comment(comment)

    def settled(self, mail_key: str) -> None:
        """The last write sent for the mail was refused, so none is pending in the tracker."""
        with write_transaction(self._db):
            self._db.execute("UPDATE mail_intake SET write_sent_at = NULL WHERE mail_key = ?",
                             (mail_key,))

    def finish(self, mail_key: str, *, outcome: Outcome, at: datetime, issue_key: str | None = None,
               reason: str = "", message_ids: Sequence[str] = (),
               participants: Iterable[str] = ()) -> None:
        """The outcome, committed with the Message-IDs threading needs, in one transaction."""
        with write_transaction(self._db):
            self._db.execute(
                "UPDATE mail_intake SET state = 'done', outcome = ?, issue_key = coalesce(?, "
                "issue_key), reason = ?, done_at = ? WHERE mail_key = ?",
                (outcome, issue_key, reason, to_text(at), mail_key))
            if issue_key is not None:
                # The same table and rule as StateStore.commit: a Message-ID keeps its first
                # ticket. Written here so the outcome and the threading record stand together.
                self._db.executemany(
                    "INSERT INTO message_ids (message_id, issue_key, direction, created_at) "
                    "VALUES (?, ?, 'in', ?) ON CONFLICT (message_id) DO NOTHING",
                    [(mid, issue_key, to_text(at)) for mid in dict.fromkeys(message_ids)])
                self._db.executemany(
                    "INSERT INTO mail_participants (issue_key, address) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [(issue_key, a.lower()) for a in dict.fromkeys(participants)])

    def quarantined(self, limit: int = 100) -> list[MailRecord]:
        """The newest quarantine entries, with their reasons (for operators and tests)."""
        return self._where("outcome = 'quarantine' ORDER BY done_at DESC LIMIT ?", limit)

    def waiting(self, limit: int = 100) -> list[MailRecord]:
        """Mail read but not finished (waiting for the tracker, or released and not read again),
        oldest first."""
        return self._where("state = 'started' ORDER BY received_at, rowid LIMIT ?", limit)

    def by_handle(self, handle: str) -> MailRecord | None:
        """A record by the number `ticketflow mail list` shows, or by its Message-ID."""
        if handle.isdigit():
            found = self._where("rowid = ?", int(handle))
            return found[0] if found else None
        return self.record(handle if handle.startswith(("<", "gen:")) else f"<{handle}>")

    def release(self, mail_key: str, *, at: datetime) -> bool:
        """Forget a quarantined mail's outcome, so the next pass that reads it handles it
        anew (what it had done in the tracker stays done: its milestones are kept). False
        when it was not in quarantine (released already, or never there)."""
        with write_transaction(self._db):
            changed = self._db.execute(
                "UPDATE mail_intake SET state = 'started', outcome = NULL, reason = '', "
                "attempts = 0, last_error = '', done_at = NULL, released_at = ? "
                "WHERE mail_key = ? AND outcome = 'quarantine'",
                (to_text(at), mail_key)).rowcount
        return changed > 0

    def _where(self, condition: str, *values: object) -> list[MailRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM mail_intake WHERE {condition}"  # noqa: S608
        return [_record(row) for row in self._db.execute(sql, values)]

    def counts(self) -> dict[str, int]:
        """How many messages ended each way (for the demo and the benchmark)."""
        sql = "SELECT coalesce(outcome, 'unfinished'), count(*) FROM mail_intake GROUP BY 1"
        return {str(k): int(v) for k, v in self._db.execute(sql).fetchall()}

    # -- threading helpers ---------------------------------------------------------------

    def sent_by_us(self, message_ids: Sequence[str]) -> bool:
        """Whether any of these is a Message-ID of mail ticketflow sent."""
        return self.issue_for_sent_ids(message_ids) is not None

    def issue_for_sent_ids(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the first of these that is a Message-ID of mail ticketflow sent."""
        return first_known_issue(self._db, message_ids, sent_only=True)

    def participants(self, issue_key: str) -> set[str]:
        """Addresses that wrote to, or were copied on, the ticket's mail."""
        sql = "SELECT address FROM mail_participants WHERE issue_key = ?"
        return {str(a) for (a,) in self._db.execute(sql, (issue_key,))}

    def comment_sides(self, comment_ids: Sequence[str]) -> dict[str, Side]:
        """For comments ticketflow posted from mail: which side wrote them."""
        rows = rows_in(self._db, "SELECT comment_id, side FROM mail_comments WHERE comment_id IN "
                             "({marks})", comment_ids)
        return {str(c): cast("Side", s) for c, s in rows}

    def created_tickets(self, issue_keys: Sequence[str]) -> set[str]:
        """Which of these tickets intake created from mail (not those it only commented on)."""
        rows = rows_in(self._db, "SELECT issue_key FROM mail_intake WHERE issue_key IN ({marks}) "
                             "AND ',' || step || ',' LIKE '%,created,%'", issue_keys)
        return {str(key) for (key,) in rows}

    def _insert_comment(self, comment: MailComment) -> None:
        self._db.execute(
            "INSERT INTO mail_comments (comment_id, issue_key, sender, side) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (comment_id) DO NOTHING",
            (comment.comment_id, comment.issue_key, comment.sender.lower(), comment.side))

    # -- IMAP folders --------------------------------------------------------------------

    def folder(self, mailbox: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, highest UID handled) of a folder, or None the first time."""
        row = self._db.execute("SELECT uidvalidity, last_uid FROM mail_folders WHERE "
                               "mailbox = ?", (mailbox,)).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def reset_folder(self, mailbox: str, uidvalidity: int) -> None:
        """A new UIDVALIDITY: every UID remembered for the folder means nothing any more."""
        with write_transaction(self._db):
            self._db.execute("DELETE FROM mail_uids WHERE mailbox = ?", (mailbox,))
            self._db.execute(
                "INSERT INTO mail_folders (mailbox, uidvalidity, last_uid) VALUES (?, ?, 0) "
                "ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
                "last_uid = 0", (mailbox, uidvalidity))

    def uid_target(self, mailbox: str, uidvalidity: int, uid: int) -> str | None:
        """Where a message already handled should go (its move had not happened yet)."""
        row = self._db.execute(
            "SELECT target FROM mail_uids WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
            (mailbox, uidvalidity, uid)).fetchone()
        return None if row is None else str(row[0])

    def remember_uid(self, mailbox: str, uidvalidity: int, uid: int, mail_key: str,
                     target: str) -> None:
        """A handled message's UID and destination, written before it is moved there."""
        with write_transaction(self._db):
            self._db.execute(
                "INSERT INTO mail_uids (mailbox, uidvalidity, uid, mail_key, target) VALUES "
                "(?, ?, ?, ?, ?) ON CONFLICT (mailbox, uidvalidity, uid) DO UPDATE SET "
                "target = excluded.target",
                (mailbox, uidvalidity, uid, mail_key, target))
            self._db.execute(
                "UPDATE mail_folders SET last_uid = ? WHERE mailbox = ? AND uidvalidity = ? "
                "AND last_uid < ?", (uid, mailbox, uidvalidity, uid))

    def forget_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        """The message left the folder: its UID will not be seen there again."""
        with write_transaction(self._db):
            self._db.execute("DELETE FROM mail_uids WHERE mailbox = ? AND uidvalidity = ? AND "
                             "uid = ?", (mailbox, uidvalidity, uid))
