"""A known state for the report tests: one working week of the shipped workflow, by hand.

Calendar: America/Chicago, Mon-Fri 08:00-17:00, Thu 26 Nov 2026 a holiday. The period is
Mon 30 Nov 00:00 to Fri 4 Dec 17:00 CST. Timeframes: tier 1 first response 4h (wall time),
resolve 2 business days; tier 2 resolve 5 business days.

- HELP-1 (Access), created Mon 08:00: Pending -> Reviewing 09:00 -> Assigned tier 2 11:00 ->
  In Progress Tue 10:00 -> Complete Wed 11:00. Answered 4, "Quick fix".
- HELP-2 (Data export), created Mon 08:10: Pending -> Reviewing Mon 13:10 (5h: first response
  late), still there: resolution due Wed 08:10, not met.
- HELP-3 (Project setup), created Wed 25 Nov (before the period), first seen in Reviewing,
  Complete Mon 09:30. Answered 2, no comment.
- HELP-4 (no category), created Fri 14:30, first seen in Reviewing from Fri 15:00.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.domain import Ticket
from connector.report.records import AnswerRow, MailRow, ReportState, Scope, StayRow, TicketRow
from connector.state.base import Transaction
from connector.state.feedback import record
from connector.state.intake import IntakeStore
from connector.state.location import open_state

CHICAGO = ZoneInfo("America/Chicago")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


SINCE, NOW = at(11, 30, 0), at(12, 4, 17)


def ticket(n: int, status: str, since: datetime, created: datetime, *, tier: int | None,
           category: str | None, is_open: bool = True) -> Ticket:
    return Ticket(issue_id=str(10000 + n), key=f"HELP-{n}", project="HELP", status=status,
                  status_since=since, created=created, updated=since,
                  summary=f"Request {n}", text=f"Text of request {n}", tier=tier,
                  category=category, customer=f"c{n}@uni.example.edu", open=is_open)


TICKETS = [
    ticket(1, "Complete", at(12, 2, 11), at(11, 30, 8), tier=2, category="Access",
           is_open=False),
    ticket(2, "Reviewing", at(11, 30, 13, 10), at(11, 30, 8, 10), tier=1,
           category="Data export"),
    ticket(3, "Complete", at(11, 30, 9, 30), at(11, 25, 10), tier=1, category="Project setup",
           is_open=False),
    ticket(4, "Reviewing", at(12, 4, 15), at(12, 4, 14, 30), tier=1, category=None),
]
STAYS = [
    StayRow("HELP-1", None, "Pending", 1, at(11, 30, 8), at(11, 30, 9)),
    StayRow("HELP-1", "Pending", "Reviewing", 1, at(11, 30, 9), at(11, 30, 11)),
    StayRow("HELP-1", "Reviewing", "Assigned", 2, at(11, 30, 11), at(12, 1, 10)),
    StayRow("HELP-1", "Assigned", "In Progress", 2, at(12, 1, 10), at(12, 2, 11)),
    StayRow("HELP-1", "In Progress", "Complete", 2, at(12, 2, 11), None),
    StayRow("HELP-2", None, "Pending", 1, at(11, 30, 8, 10), at(11, 30, 13, 10)),
    StayRow("HELP-2", "Pending", "Reviewing", 1, at(11, 30, 13, 10), None),
    StayRow("HELP-3", None, "Reviewing", 1, at(11, 25, 10), at(11, 30, 9, 30)),
    StayRow("HELP-3", "Reviewing", "Complete", 1, at(11, 30, 9, 30), None),
    StayRow("HELP-4", None, "Reviewing", 1, at(12, 4, 15), None),
]
ANSWERS = [
    AnswerRow("HELP-1", 1, 4, "Quick fix", at(12, 2, 14), at(12, 2, 14)),
    AnswerRow("HELP-3", 1, 2, "", at(12, 1, 9), at(12, 1, 9)),
    AnswerRow("HELP-9", 1, 5, "before the period", at(11, 20, 9), at(11, 20, 9)),
]
MAIL = [
    MailRow(at(11, 30, 7, 52), True, "ticket", "ordinary", False, "HELP-1"),
    MailRow(at(11, 30, 9, 2), True, "comment", "bounce", False, "HELP-3"),
    MailRow(at(12, 1, 14, 2), True, "comment", "ordinary", False, "HELP-1"),
    MailRow(at(12, 2, 9), True, "comment", "auto_reply", False, "HELP-2"),
    MailRow(at(12, 4, 10, 15), True, "comment", "ordinary", True, "HELP-1"),
    MailRow(at(12, 4, 11), True, "quarantine", "own", False, None),
    MailRow(at(12, 4, 16), False, None, "ordinary", False, None),
    MailRow(at(11, 27, 9), True, "ticket", "ordinary", False, "HELP-8"),
]
OPEN = [t for t in TICKETS if t.open]


def row(ticket: Ticket) -> TicketRow:
    return TicketRow(ticket.key, ticket.summary, ticket.status, ticket.category, ticket.tier,
                     ticket.created, ticket.open)


def state(*, project: str | None = None) -> ReportState:
    """The known state as a source would give it for the week."""
    return ReportState(Scope(SINCE, NOW, project), [row(t) for t in TICKETS], list(STAYS),
                       list(ANSWERS), list(MAIL), list(OPEN), at(11, 25, 10))


def _versions() -> list[list[Ticket]]:
    """The known tickets as successive polls saw them (each list is one commit)."""
    one, two, three, four = TICKETS
    return [
        [replace(one, status="Pending", status_since=at(11, 30, 8), tier=1, open=True),
         replace(two, status="Pending", status_since=at(11, 30, 8, 10)),
         replace(three, status="Reviewing", status_since=at(11, 25, 10), open=True)],
        [replace(one, status="Reviewing", status_since=at(11, 30, 9), tier=1, open=True),
         replace(three)],
        [replace(one, status="Assigned", status_since=at(11, 30, 11), open=True),
         replace(two)],
        [replace(one, status="In Progress", status_since=at(12, 1, 10), open=True)],
        [one, four],
    ]


def fill(location: Path | str) -> None:
    """Write the known week into a state (a SQLite file or a PostgreSQL URL) through the
    store, intake and feedback APIs."""
    store = open_state(location)
    try:
        for tickets in _versions():
            store.commit(Transaction(tickets=tickets))
        for answer in ANSWERS:
            record(store, answer.issue_key, answer.resolution, score=answer.score,
                   comment=answer.comment, at=answer.first_at)
        intake = IntakeStore(store.db)
        for number, mail in enumerate(MAIL):
            key = f"mail-{number}"
            intake.begin(key, message_id=f"<{number}@example.edu>", mailbox="INBOX",
                         ref=str(number), kind=mail.kind, sender="x@example.edu",
                         automatic=mail.kind != "ordinary", at=mail.received_at)
            if mail.reopened:
                intake.mark(key, "reopened")
            if mail.done:
                assert mail.outcome is not None
                intake.finish(key, outcome=mail.outcome,  # type: ignore[arg-type]
                              at=mail.received_at, issue_key=mail.issue_key)
    finally:
        store.close()
