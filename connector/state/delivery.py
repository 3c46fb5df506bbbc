"""What mail delivery keeps: Message-IDs for threading, suppressions, sends, pauses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from connector.state.concerns import DeliveryPause
from connector.state.sql import Database, chunks, placeholders
from connector.state.timestamps import from_text, to_text

# A Message-ID keeps its first ticket: the same mail seen again cannot move it.
INSERT_MESSAGE_ID = ("INSERT INTO message_ids (message_id, issue_key, direction, created_at) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING")


def first_known_issue(db: Database, message_ids: Sequence[str], *,
                      sent_only: bool = False) -> str | None:
    """The ticket of the first of these Message-IDs we know (only those we sent, with
    `sent_only`), in the order given."""
    direction = "direction = 'out' AND " if sent_only else ""
    for chunk in chunks(message_ids):
        sql = (f"SELECT message_id, issue_key FROM message_ids WHERE {direction}"  # noqa: S608
               f"message_id IN ({placeholders(len(chunk))})")
        found = dict(db.execute(sql, chunk).fetchall())
        for message_id in chunk:
            if message_id in found:
                return str(found[message_id])
    return None


class DeliverySql:
    """`Threading`, `Suppressions`, `SendHistory` and `DeliveryPauses` on one connection."""

    _db: Database

    def issue_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The ticket of the first of these Message-IDs we know, in the order given."""
        return first_known_issue(self._db, message_ids)

    def message_ids_for(self, issue_key: str, direction: str) -> list[str]:
        """A ticket's Message-IDs in one direction, oldest first."""
        sql = ("SELECT message_id FROM message_ids WHERE issue_key = ? AND direction = ? "
               "ORDER BY created_at, rowid")
        return [str(row[0]) for row in self._db.execute(sql, (issue_key, direction)).fetchall()]

    def suppress(self, address: str, *, reason: str, until: datetime, at: datetime) -> None:
        """Send no automatic mail to `address` before `until`; a later call replaces it."""
        sql = ("INSERT INTO suppressions (address, reason, until, created_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, "
               "until = excluded.until")
        with self._db.transaction(f"suppressing {address}"):
            self._db.execute(sql, (address.lower(), reason, to_text(until), to_text(at)))

    def suppression(self, address: str, now: datetime) -> str | None:
        sql = "SELECT reason FROM suppressions WHERE address = ? AND until > ?"
        row = self._db.execute(sql, (address.lower(), to_text(now))).fetchone()
        return None if row is None else str(row[0])

    def record_send(self, address: str, *, at: datetime, keep_after: datetime) -> None:
        """One delivery to `address`; every send before `keep_after` is out of every window."""
        with self._db.transaction(f"counting a message to {address}"):
            self._db.execute("DELETE FROM recipient_sends WHERE sent_at < ?",
                             (to_text(keep_after),))
            self._db.execute("INSERT INTO recipient_sends (address, sent_at) VALUES (?, ?)",
                             (address.lower(), to_text(at)))

    def sends_since(self, address: str, since: datetime) -> list[datetime]:
        sql = ("SELECT sent_at FROM recipient_sends WHERE address = ? AND sent_at > ? "
               "ORDER BY sent_at")
        rows = self._db.execute(sql, (address.lower(), to_text(since))).fetchall()
        return [from_text(at) for (at,) in rows]

    def flood_reported_until(self, address: str) -> datetime | None:
        row = self._db.execute("SELECT until FROM flood_reports WHERE address = ?",
                               (address.lower(),)).fetchone()
        return None if row is None else from_text(row[0])

    def report_flood(self, address: str, *, until: datetime) -> None:
        with self._db.translated(f"reporting a flood to {address}"):
            self._db.execute("INSERT INTO flood_reports (address, until) VALUES (?, ?) "
                             "ON CONFLICT (address) DO UPDATE SET until = excluded.until",
                             (address.lower(), to_text(until)))

    def delivery_pause(self, channel: str) -> DeliveryPause | None:
        row = self._db.execute("SELECT channel, since, failures, until, reason FROM "
                               "delivery_pauses WHERE channel = ?", (channel,)).fetchone()
        if row is None:
            return None
        return DeliveryPause(str(row[0]), from_text(row[1]), int(row[2]), from_text(row[3]),
                             str(row[4]))

    def pause_delivery(self, pause: DeliveryPause) -> None:
        with self._db.translated(f"pausing {pause.channel} delivery"):
            self._db.execute(
                "INSERT INTO delivery_pauses (channel, since, failures, until, reason) VALUES "
                "(?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET since = excluded.since, "
                "failures = excluded.failures, until = excluded.until, reason = excluded.reason",
                (pause.channel, to_text(pause.since), pause.failures, to_text(pause.until),
                 pause.reason))

    def resume_delivery(self, channel: str) -> bool:
        with self._db.translated(f"resuming {channel} delivery"):
            cursor = self._db.execute("DELETE FROM delivery_pauses WHERE channel = ?", (channel,))
        return cursor.rowcount > 0
