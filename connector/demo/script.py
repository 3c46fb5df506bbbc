"""The demo's working week: when each sample mail arrives and what the engineers do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2026, 11, 30, 7, 0, tzinfo=CHICAGO)   # Monday, after the Thanksgiving break
END = datetime(2026, 12, 4, 18, 0, tzinfo=CHICAGO)     # Friday evening


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Day 0 is Monday 30 November 2026, in the team's time zone."""
    return (START + timedelta(days=day)).replace(hour=hour, minute=minute)


@dataclass(frozen=True)
class MailArrives:
    """A sample mail lands in the helpdesk mailbox."""

    when: datetime
    file: str


@dataclass(frozen=True)
class EngineerMoves:
    """A person moves a ticket in the tracker's own screens (here: with their own login).
    `ticket` is the n-th ticket the week made (HELP-n on Jira, #n on Zendesk); `status` a
    workflow status; `who` an address, or "{assignee}" for whoever has the ticket."""

    when: datetime
    who: str
    ticket: int
    status: str
    why: str


Step = MailArrives | EngineerMoves

WEEK: tuple[Step, ...] = (
    MailArrives(at(0, 7, 52), "01-locked-out.eml"),
    MailArrives(at(0, 8, 10), "02-export-timeout.eml"),
    MailArrives(at(0, 8, 31), "03-new-project.eml"),
    EngineerMoves(at(0, 9, 0), "alice@example.edu", 1, "Reviewing", "triage"),
    EngineerMoves(at(0, 9, 5), "alice@example.edu", 2, "Reviewing", "triage"),
    EngineerMoves(at(0, 9, 10), "alice@example.edu", 3, "Reviewing", "triage"),
    MailArrives(at(0, 9, 2), "06-bounce.eml"),
    EngineerMoves(at(0, 9, 30), "alice@example.edu", 3, "In Progress",
                  "assigns it to herself: a long-running setup"),
    EngineerMoves(at(1, 10, 0), "{assignee}", 1, "In Progress",
                  "picks up the escalated ticket"),
    MailArrives(at(1, 14, 2), "04-pat-replies.eml"),
    MailArrives(at(2, 9, 0), "05-out-of-office.eml"),
    EngineerMoves(at(2, 11, 0), "{assignee}", 1, "Complete",
                  "final comment, marks it complete"),
    EngineerMoves(at(2, 15, 0), "alice@example.edu", 3, "Complete", "project is set up"),
    EngineerMoves(at(3, 10, 0), "{assignee}", 2, "In Progress",
                  "starts on the export timeout"),
    MailArrives(at(4, 10, 15), "07-pat-follow-up.eml"),
    EngineerMoves(at(4, 11, 0), "{assignee}", 2, "Complete",
                  "export fixed: chunked exports enabled"),
    EngineerMoves(at(4, 14, 0), "alice@example.edu", 1, "Complete",
                  "unlocks Jo's account too"),
)


def ticks() -> list[datetime]:
    """When cycles run: every 15 minutes in the working day, hourly at night."""
    moments, now = [], START
    while now <= END:
        moments.append(now)
        working = 7 <= now.hour < 19 and now.weekday() < 5
        now += timedelta(minutes=15 if working else 60)
    return moments
