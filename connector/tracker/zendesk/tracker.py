"""`ZendeskTracker`: the Tracker protocol over one Zendesk Support account.

Statuses are custom statuses, reached only along rules.yaml's workflow (Zendesk has no
transitions of its own: the adapter keeps ticketflow to the workflow); a tier is a group; the
category a drop-down field or a tag; the customer the requester. Every write is one PUT (fields
and a comment together where both are asked). A ticket made from mail carries the mail's marker
as its `external_id`, which finds it again after a crash.

The customer is set as `requester: {email, name}` (the name, the address's local part, only
for a person Zendesk does not know yet). This renames nobody: Zendesk takes an existing user
of that address as the requester and makes "no updates ... to existing users during the
ticket create process" (Tickets reference, "Creating a ticket with a new requester",
developer.zendesk.com/api-reference/ticketing/tickets/tickets/; the sandbox does the same,
tests/unit/sandbox/test_zendesk_tickets.py). The reference says so for a create; an update
that changes the customer sends the same object, and no page says it renames there either.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.errors import TrackerError
from connector.http.retry import Retrier
from connector.settings import Settings
from connector.tracker.base import Notes, OwnerClaim, Tracker, WebhookCall
from connector.tracker.feed import Change, FeedPage
from connector.tracker.transitions import Option, choose
from connector.tracker.values import (
    UNSET,
    Attachment,
    Comment,
    NewTicket,
    Person,
    TrackedTicket,
    WorkflowFields,
)
from connector.tracker.zendesk.catalogue import CatalogueCache
from connector.tracker.zendesk.claim import ClaimField
from connector.tracker.zendesk.client import ZendeskClient, connect
from connector.tracker.zendesk.feed import LAG, History, Mark, ZendeskFeed
from connector.tracker.zendesk.people import People, to_person
from connector.tracker.zendesk.refs import ZendeskRefs
from connector.tracker.zendesk.shapes import an_id, reading
from connector.tracker.zendesk.translate import Json, Words, Workflow

if TYPE_CHECKING:
    from connector.config.loader import Config


class ZendeskTracker:
    """One Zendesk Support account in the workflow's words. `notes` keeps what it learns
    across runs (who ticketflow is there, the account's ids); `site` names that in them."""

    def __init__(self, client: ZendeskClient, workflow: Workflow, *, notes: Notes | None = None,
                 site: str = "", history: History = "events") -> None:
        self._client = client
        self._notes = notes
        self._site = site
        digest = hashlib.sha256(workflow.section.model_dump_json().encode()).hexdigest()[:12]
        self.people = People(client)
        self._words = Words(workflow, CatalogueCache(
            client, notes, f"zendesk catalogue {site} {digest}"), self.people)
        self._feed = ZendeskFeed(client, self._words, history=history)
        self._refs = ZendeskRefs(site or client.api.base_url)
        self._me: Person | None = None
        self._claim = ClaimField(client, notes, site)

    @property
    def client(self) -> ZendeskClient:
        """Zendesk in its own terms (for the installer and the online checks)."""
        return self._client

    @property
    def words(self) -> Words:
        return self._words

    @property
    def feed(self) -> ZendeskFeed:
        return self._feed

    @property
    def refs(self) -> ZendeskRefs:
        return self._refs

    # -- reading ---------------------------------------------------------------------------

    def bookmark_at(self, instant: datetime) -> str:
        """A bookmark for the tickets changed since `instant` (`ticketflow backtest`)."""
        return Mark.since(int(instant.timestamp())).text()

    def changes(self, bookmark: str | None, *, now: datetime) -> Iterator[FeedPage]:
        self.myself()  # a ticket ticketflow requested has no customer: know who that is
        yield from self._feed.changes(bookmark)

    def count_open(self) -> int:
        """Tickets in a status before solved: the workflow's Done statuses are the solved
        ones (mappings.yaml is checked for that)."""
        return self._client.count("type:ticket status<solved")

    @property
    def feed_lag(self) -> timedelta:
        """Zendesk's exports leave out what changed within the last minute."""
        return LAG

    def count_changed_within(self, span: timedelta) -> int:
        """Tickets updated within `span` of Zendesk's now (search's relative times, whole
        minutes, rounded up)."""
        minutes = max(1, math.ceil(span.total_seconds() / 60))
        return self._client.count(f"type:ticket updated>{minutes}minutes")

    def ticket(self, key: str) -> TrackedTicket:
        raw = self._raw(key)
        return self._words.ticket(raw, self.comments(key), complete=True)

    def _raw(self, key: str) -> Json:
        self._key_or_404(key)
        raw, users = self._client.ticket(key)
        self.people.learn(users)
        self.myself()
        return raw

    def comments(self, key: str) -> list[Comment]:
        """The comments after the description (Zendesk's first comment is the ticket's text)."""
        self._key_or_404(key)
        comments, users = self._client.comments(key)
        self.people.learn(users)
        return [self._words.comment(c) for c in comments[1:]]

    def history(self, key: str) -> list[Change]:
        self._key_or_404(key)
        return self._feed.audit_trail(key).changes

    def attachments(self, key: str) -> list[str]:
        self._key_or_404(key)
        comments, _ = self._client.comments(key)
        with reading("comment attachments"):
            return [str(a["file_name"]) for c in comments for a in c.get("attachments") or []]

    def find_by_mail_marker(self, marker: str) -> str | None:
        with reading("tickets by external_id"):
            found = [int(str(an_id(t["id"]))) for t in
                     self._client.tickets_with_external_id(marker)
                     if t.get("external_id") == marker]
        return str(min(found)) if found else None

    def myself(self) -> Person:
        """ticketflow's Zendesk user, asked once and remembered (an idle cycle asks nothing)."""
        if self._me is None:
            key = f"zendesk_user {self._site}"
            known = self._notes.meta(key) if self._notes else None
            if known is None:
                me = to_person(self._client.me())
                known = me.ref
                self.people.remember(me)
                if self._notes is not None:
                    self._notes.set_meta(key, known)
            self._me = Person(known)
            self._words.me = known
        return self._me

    def find_person(self, identity: str, *, project: str | None = None) -> Person | None:
        """An agent (or admin) by email: only they can be assigned tickets. Zendesk has no
        projects: `project` changes nothing."""
        found = self._client.user_by_email(identity)
        if found is None or found.get("role") not in ("agent", "admin"):
            return None
        person = to_person(found)
        self.people.remember(person)
        return person

    # -- writing ---------------------------------------------------------------------------

    def create(self, ticket: NewTicket) -> str:
        """One POST: text, status, fields, tags and the mail's marker as `external_id`."""
        fields = ticket.fields
        status = fields.status if fields.status is not UNSET else self._words.workflow.initial
        payload: dict[str, Any] = {
            "subject": ticket.summary,
            # Zendesk refuses a ticket without a first comment; the summary stands in.
            "comment": {"body": ticket.description or ticket.summary, "public": True},
            "custom_status_id": int(self._words.status_id(str(status))),
            **self._words.values(fields, None)}
        payload.setdefault("tags", [])
        payload["tags"] = [*payload["tags"], *ticket.labels]
        if ticket.mail is not None:
            payload["external_id"] = ticket.mail.marker
        if ticket.follows is not None and ticket.follows.isdigit():
            # Zendesk links a follow-up to a closed ticket; on any other it has no effect.
            payload["via_followup_source_id"] = int(ticket.follows)
        with reading("created ticket"):
            return str(an_id(self._client.create(payload)["id"]))

    def update(self, key: str, fields: WorkflowFields, *, restart_status: bool = False) -> None:
        """One PUT, when anything differs. A status is reached only by a transition of
        rules.yaml's workflow (NoTransitionError otherwise); restarting one changes nothing
        in Zendesk, where a status has no transition to take."""
        given = fields.given()
        needs_current = "status" in given or "category" in given or "tier" in given
        current = self._raw(key) if needs_current else None
        payload = self._words.values(fields, current)
        if current is not None:
            payload = self._changed_only(payload, current)
        if "status" in given and current is not None:
            self._move(key, current, str(given["status"]), payload, restart=restart_status)
        if payload:
            self._client.update(key, payload)

    def _move(self, key: str, current: Json, target: str, payload: dict[str, Any], *,
              restart: bool) -> None:
        now = self._words.status(an_id(current.get("custom_status_id")))
        found = [Option(str(n), name, to)
                 for n, (name, source, to) in enumerate(self._words.workflow.transitions)
                 if source == now]
        if now == target and not (restart and any(o.to == target for o in found)):
            return
        chosen = choose(key, now, target, found).to
        if chosen != now:
            payload["custom_status_id"] = int(self._words.status_id(chosen))

    @staticmethod
    def _changed_only(payload: dict[str, Any], current: Json) -> dict[str, Any]:
        """Leave out what the ticket has already (a replay writes nothing)."""
        same: set[str] = {k for k in ("group_id", "assignee_id") if k in payload
                and payload[k] == current.get(k)}
        if "tags" in payload and sorted(payload["tags"]) == sorted(current.get("tags") or []):
            same.add("tags")
        return {k: v for k, v in payload.items() if k not in same}

    def add_comment(self, key: str, body: str, *, public: bool) -> Comment:
        audit = self._client.update(key, {"comment": {"body": body, "public": public}})
        with reading("comment's audit"):
            if audit is None:
                raise TrackerError(f"Zendesk added no comment to ticket {key}")
            event = next(e for e in audit["events"] if e.get("type") == "Comment")
            return self._words.comment({**event, "author_id": event.get(
                "author_id", audit.get("author_id"))}, created=audit["created_at"])

    def attach(self, key: str, attachment: Attachment) -> None:
        """Upload the file, then attach it with an internal comment naming it."""
        token = self._client.upload(attachment.filename, attachment.content,
                                    attachment.content_type)
        self._client.update(key, {"comment": {"body": f"Attached {attachment.filename}",
                                              "public": False, "uploads": [token]}})

    def relate(self, key: str, other: str) -> None:
        """Zendesk has no links between tickets: an internal note names the other one."""
        self.add_comment(key, f"Follows up or concerns {self._refs.display(other)}: "
                              f"{self._refs.web_url(other)}", public=False)

    def _key_or_404(self, key: str) -> None:
        if not key.isdigit():
            raise TrackerError(f"{key!r} is not a Zendesk ticket number", status=404)

    # -- only one processor ------------------------------------------------------------------

    def read_claim(self) -> OwnerClaim | None:
        """The owner claim, kept in an inactive ticket field (see zendesk/claim.py)."""
        return self._claim.read()

    def write_claim(self, claim: OwnerClaim) -> None:
        self._claim.write(claim)

    # -- setting up --------------------------------------------------------------------------

    def install_scheme(self, config: Config, *, dry_run: bool, output: Path | None = None,
                       echo: Callable[[str], None] = print,
                       wait: Callable[[float], None] = time.sleep) -> int:
        from connector.tracker.zendesk import setup  # noqa: PLC0415 (only for this command)

        return setup.install_scheme(config, self._client, dry_run=dry_run, echo=echo)

    def register_webhook(self, hook: WebhookCall, *, dry_run: bool,
                         echo: Callable[[str], None] = print) -> bool:
        from connector.tracker.zendesk import webhooks  # noqa: PLC0415 (only for install)

        return webhooks.register_webhook(self._client, hook, dry_run=dry_run, echo=echo)

    def check_config(self, config: Config) -> str:
        from connector.tracker.zendesk import setup  # noqa: PLC0415 (only for this command)

        return setup.validate_online(config, self._client)


def open_tracker(config: Config, settings: Settings, *, notes: Notes | None = None,
                 retrier: Retrier | None = None, history: History = "events") -> ZendeskTracker:
    """The configured Zendesk account as a Tracker. With `notes`, that it answered before (a
    connection failure is then an outage to retry, not a wrong URL)."""
    site = settings.zendesk_url or ""
    answered = notes is not None and notes.meta(f"zendesk_user {site}") is not None
    client = connect(settings, retrier=retrier, answered=answered)
    return ZendeskTracker(client, Workflow.from_config(config), notes=notes, site=site,
                          history=history)


def offline_refs(config: Config, settings: Settings) -> ZendeskRefs | None:
    """The account's ticket references without asking Zendesk (for the report); None while
    TICKETFLOW_ZENDESK_URL is unset."""
    return ZendeskRefs(settings.zendesk_url) if settings.zendesk_url else None


def describe(tracker: Tracker, settings: Settings) -> str:
    """`https://x.zendesk.com (Zendesk Support)`."""
    return f"{settings.zendesk_url} (Zendesk Support)"


