"""What intake's decision needs to know about a mail, from the state and the tracker.

Stored Message-IDs answer most questions without a request; a ticket the mail names is read
from the tracker only when the decision asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.errors import TrackerError
from connector.mail.intake.classify import Classification, bounce_details
from connector.mail.intake.decide import Candidate, TicketFacts
from connector.mail.intake.parse import ParsedMail
from connector.mail.intake.rules import IntakeRules
from connector.mail.intake.thread import Match, find, id_variants
from connector.state.intake import IntakeStore
from connector.state.store import SqlStateStore
from connector.tracker.base import Tracker
from connector.tracker.feed import last_status_entry
from connector.tracker.values import TrackedTicket


@dataclass(frozen=True)
class Facts:
    """Reads the facts for intake's decisions; changes nothing."""

    tracker: Tracker
    store: SqlStateStore
    intake: IntakeStore
    rules: IntakeRules

    def orphan(self, mail: ParsedMail, found: Classification) -> bool:
        """A reply (or a bounce) to mail we do not know: maybe its parent comes later in the
        batch. Only stored ids are consulted, so this costs no tracker request."""
        ids = [*mail.in_reply_to, *mail.references]
        if found.kind == "bounce":
            ids += bounce_details(mail).original_ids
        if not ids or found.kind == "own":
            return False
        known = self.store.issue_for_message_ids
        return not self._find(mail) and not (found.kind == "bounce" and known(id_variants(ids)))

    def candidates(self, mail: ParsedMail) -> Iterator[Candidate]:
        """The tickets the mail names, best first, each read from the tracker only when the
        decision asks for it (it stops at the first one the mail may join)."""
        for match in self._find(mail):
            yield Candidate(match, self.ticket(match.key))

    def _find(self, mail: ParsedMail) -> list[Match]:
        return find(mail, refs=self.tracker.refs, domain=self.rules.signals.own_domain,
                    known=self.store.issue_for_message_ids)

    def ticket(self, key: str) -> TicketFacts | None:
        """A ticket as the tracker and the state know it; None when the tracker has none."""
        try:
            ticket = self.tracker.ticket(key)
        except TrackerError as error:
            if error.status == 404:
                return None  # deleted, moved, or a key that never existed
            raise
        done = ticket.status in self.rules.done_statuses
        # The reopen window counts from when it was completed.
        completed = self._completed_at(ticket) if done else None
        return TicketFacts(
            ticket.key, ticket.status, done, customer=ticket.customer,
            participants=frozenset(self.intake.participants(ticket.key)),
            completed_at=completed, reopen_to=self.rules.reopen_status(ticket.status))

    def _completed_at(self, ticket: TrackedTicket) -> datetime:
        """When the ticket entered its status: the mirror's, else from its history (a
        request only off the mirror)."""
        mirrored = self.store.ticket_by_key(ticket.key)
        if mirrored is not None and mirrored.status == ticket.status:
            return mirrored.status_since
        return last_status_entry(self.tracker.history(ticket.key)) or ticket.updated

    def bounce_key(self, mail: ParsedMail, found: Classification) -> str | None:
        """The ticket of the mail of ours a bounce returns, from the Message-IDs it quotes
        (only ids we sent: a bounce returns our mail, never a customer's)."""
        if found.kind != "bounce":
            return None
        ids = id_variants(bounce_details(mail).original_ids)
        return self.intake.issue_for_sent_ids(ids) if ids else None
