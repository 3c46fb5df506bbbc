"""Zendesk's change feed: the cursor-based incremental ticket export, with history from the
ticket events export (or, to compare, from each ticket's audits).

The bookmark is the export's cursor (opaque; Zendesk's own) and the second from which the
events export is read next, as JSON text. An idle cycle is one request: the export, empty.
A page of changed tickets costs one events request more however many tickets it holds (the
audits way costs one per ticket: see bench/steady_state.py --tracker zendesk). Zendesk leaves
out what changed in the last minute; it comes with a later cycle. The backfill reads the
export from the beginning and keeps the open tickets; their history comes from the events
export read from the oldest one's creation, unless that takes as many requests as there are
open tickets, when each one's audits are read instead (their number is bounded by the open
tickets, not by the account's whole history: see bench/backlog.py --tracker zendesk). Its
baseline is the export's cutoff on Zendesk's clock (its `Date`, less the minute left out).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from connector.errors import MalformedAnswerError
from connector.tracker.feed import Change, FeedPage, TicketChanges
from connector.tracker.values import Comment
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import a_list, an_id, an_object, parse_time, reading
from connector.tracker.zendesk.translate import Words

log = logging.getLogger(__name__)

Json = Mapping[str, Any]
History = Literal["events", "audits"]
LAG = timedelta(minutes=1)  # Zendesk leaves out what changed within the last minute
BACKFILL_PAGE = 1000  # tickets a backfill page hands on (the export's own page size)


@dataclass(frozen=True)
class Mark:
    """Where the feed stands: the export's cursor, and the events export's next start."""

    cursor: str
    events: int

    def text(self) -> str:
        return json.dumps({"cursor": self.cursor, "events": self.events})

    @classmethod
    def since(cls, epoch_seconds: int) -> Mark:
        """A mark from which the feed yields every ticket changed since that second: the
        export starts there (no cursor yet) and so do the events."""
        return cls("", epoch_seconds)

    @classmethod
    def parse(cls, text: str) -> Mark:
        try:
            raw = json.loads(text)
            return cls(str(raw["cursor"]), int(raw["events"]))
        except (ValueError, KeyError, TypeError):
            raise MalformedAnswerError(
                f"the Zendesk bookmark in the state is not one this ticketflow wrote: "
                f"{text[:80]!r}") from None


@dataclass(frozen=True)
class Trail:
    """What an audit trail gave for one ticket: its changes and its comments (description
    aside: it is the ticket's text)."""

    changes: list[Change]
    comments: list[Comment]


class ZendeskFeed:
    """`Tracker.changes` for one Zendesk account."""

    def __init__(self, client: ZendeskClient, words: Words, *,
                 history: History = "events") -> None:
        self._client = client
        self._words = words
        self.history_source: History = history

    def changes(self, bookmark: str | None) -> Iterator[FeedPage]:
        if bookmark is None:
            yield from self._backfill()
            return
        mark = Mark.parse(bookmark)
        cursor = mark.cursor
        while True:
            # No cursor yet: a window's start (`ticketflow backtest`), by Zendesk's start_time.
            page = (self._client.export(cursor=cursor) if cursor
                    else self._client.export(start_time=mark.events))
            tickets = self._tickets(page)
            if tickets:
                newest = max(_generated(t) for t in tickets)
                histories = self._histories(tickets, mark.events, newest)
                mark = Mark(str(page["after_cursor"]), newest)
                yield FeedPage(self._changed(tickets, histories, complete=False), mark.text())
            else:
                mark = Mark(str(page["after_cursor"]), mark.events)
                yield FeedPage((), mark.text())
            cursor = mark.cursor
            if page["end_of_stream"]:
                return

    def _backfill(self) -> Iterator[FeedPage]:
        tickets: list[Json] = []
        page = self._client.export(start_time=0)
        while True:
            tickets += [t for t in self._tickets(page) if self._open(t)]
            if page["end_of_stream"]:
                break
            page = self._client.export(cursor=str(page["after_cursor"]))
        served = self._client.api.server_date
        if served is None:
            raise MalformedAnswerError("Zendesk's export answer had no Date header: its clock "
                                       "is needed for the first bookmark")
        baseline = served - LAG
        histories = self._backfill_histories(tickets)
        for start in range(0, len(tickets), BACKFILL_PAGE):
            yield FeedPage(self._changed(tickets[start:start + BACKFILL_PAGE], histories,
                                         complete=True), None)
        mark = Mark(str(page["after_cursor"]), int(baseline.timestamp()))
        yield FeedPage((), mark.text(), baseline=baseline)

    def _backfill_histories(self, tickets: Sequence[Json]) -> dict[str, Trail]:
        """The open tickets' whole histories: from the events export since the oldest one's
        creation while that costs fewer requests than one audits read per ticket."""
        if tickets and self.history_source == "events":
            with reading("exported ticket"):
                oldest = min(int(parse_time(t["created_at"]).timestamp()) for t in tickets)
            trails, complete = self._event_trails(tickets, oldest,
                                                  max(_generated(t) for t in tickets),
                                                  budget=len(tickets))
            if complete:
                return trails
            log.info("backfill: the events export since the oldest open ticket's creation "
                     "takes more requests than the %d open tickets' audits; reading those",
                     len(tickets))
        return {str(t["id"]): self.audit_trail(str(t["id"])) for t in tickets}

    def _tickets(self, page: Json) -> list[Json]:
        with reading("ticket export"):
            tickets = [an_object(t, "exported ticket") for t in a_list(page["tickets"], "tickets")]
            self._words.people.learn(an_object(u, "user") for u in a_list(page.get("users"),
                                                                          "users"))
            self._words.people.need(i for t in tickets for i in self._words.people_of(t))
            # A deleted ticket comes once more, as status "deleted": it has nothing to act on.
            return [t for t in tickets if t.get("status") != "deleted"]

    def _open(self, ticket: Json) -> bool:
        with reading("exported ticket"):
            status = self._words.status(an_id(ticket.get("custom_status_id")))
            return ticket.get("status") != "closed" and status not in self._words.workflow.done

    def _changed(self, tickets: Sequence[Json], histories: Mapping[str, Trail], *,
                 complete: bool) -> tuple[TicketChanges, ...]:
        out = []
        for raw in tickets:
            found = histories.get(str(raw["id"]), Trail([], []))
            ticket = self._words.ticket(raw, found.comments, complete)
            out.append(TicketChanges(ticket, tuple(found.changes)))
        return tuple(out)

    # -- history -----------------------------------------------------------------------------

    def _histories(self, tickets: Sequence[Json], since: int,
                   newest: int) -> dict[str, Trail]:
        if self.history_source == "audits":
            return {str(t["id"]): self.audit_trail(str(t["id"])) for t in tickets}
        return self._event_trails(tickets, since, newest)[0]

    def _event_trails(self, tickets: Sequence[Json], since: int, newest: int, *,
                      budget: int | None = None) -> tuple[dict[str, Trail], bool]:
        """The tickets' changes and comments from the events export since `since`, up to
        each ticket's exported version; whether it read them all (within `budget` requests
        when one is given)."""
        wanted = {str(t["id"]): _generated(t) for t in tickets}
        trails: dict[str, list[Json]] = {key: [] for key in wanted}
        start, made = since, 0
        while True:
            if budget is not None and made >= budget:
                return {}, False
            page = self._client.events(start)
            made += 1
            for item in a_list(page["ticket_events"], "ticket events"):
                audit = an_object(item, "ticket event")
                with reading("ticket event"):
                    key = str(an_id(audit["ticket_id"]))
                    # Later changes than the exported ticket shows come with its next export.
                    if key in wanted and int(audit["timestamp"]) <= wanted[key]:
                        trails[key].append(audit)
            end = int(page["end_time"])
            if page.get("end_of_stream") or end >= newest or end <= start:
                break
            start = end
        return {key: self._trail(audits, "child_events") for key, audits in trails.items()}, True

    def audit_trail(self, key: str) -> Trail:
        """One ticket's whole history and comments from its audits (one request a hundred)."""
        return self._trail(self._client.audits(key), "events")

    def _trail(self, audits: Sequence[Json], events_key: str) -> Trail:
        changes: dict[str, Change] = {}
        comments: dict[str, Comment] = {}
        with reading("audit"):
            for audit in audits:
                events = [an_object(e, "audit event") for e in a_list(audit.get(events_key),
                                                                       "audit events")]
                created = audit.get("created_at") or audit.get("timestamp")
                author = audit.get("author_id", audit.get("updater_id"))
                change = self._words.change(str(an_id(audit["id"])), created, author, events)
                if change is not None:
                    changes[change.id] = change
                if any(_is(e, "Create") for e in events):
                    continue  # the creation's comment is the description
                for event in events:
                    if _is(event, "Comment") and "body" in event:
                        comment = self._words.comment(
                            {**event, "author_id": event.get("author_id", author)},
                            created=created)
                        comments[comment.id] = comment
        return Trail(sorted(changes.values(), key=lambda c: (c.at, int(c.id))),
                        sorted(comments.values(), key=lambda c: (c.created, int(c.id))))


def _is(event: Json, kind: str) -> bool:
    return str(event.get("event_type") or event.get("type") or "") == kind


def _generated(ticket: Json) -> int:
    """When the ticket last changed in the export's order (epoch seconds)."""
    with reading("exported ticket"):
        stamp = ticket.get("generated_timestamp")
        if stamp is None:
            return int(parse_time(ticket["updated_at"]).timestamp())
        return int(stamp)
