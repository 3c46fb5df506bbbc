"""Ticket writes: create and update (fields and a comment in one request), audited as Zendesk.

Each write is one audit whose events say what it set (Create), changed (Change, with the
previous value) and added (Comment). Rules copied from Zendesk because clients depend on them:
a closed ticket refuses updates (422); the group and the assignee must agree; a drop-down
(tagger) value must be one of its options and puts its tag on the ticket; a ticket created
with `via_followup_source_id` naming a closed ticket is its follow-up (`via.source.rel` is
`follow_up`); a solved ticket closes four days after it was solved (see `close_solved`).
"""

from __future__ import annotations

import copy
from typing import Any

from connector.sandbox.zendesk.bootstrap import add_user, display_name
from connector.sandbox.zendesk.errors import bad_value, invalid
from connector.sandbox.zendesk.fields import apply_custom_fields, tags_of
from connector.sandbox.zendesk.model import Audit, Comment, Ticket, Upload
from connector.sandbox.zendesk.render import API_VIA, attachment_json
from connector.sandbox.zendesk.store import Store

CLOSE_AFTER_S = 4 * 24 * 3600  # Zendesk's default automation closes solved tickets after 4 days
CLOSED_PREVENTS = "Status: closed prevents ticket update"
_TRACKED = ("subject", "status", "custom_status_id", "requester_id", "assignee_id",
            "group_id", "priority", "type", "external_id")
_PRIORITIES = (None, "urgent", "high", "normal", "low")
_TYPES = (None, "problem", "incident", "question", "task")


def _comment(data: dict[str, Any]) -> dict[str, Any]:
    found = data.get("comment")
    return found if isinstance(found, dict) else {}


def ticket_payload(body: Any) -> dict[str, Any]:
    """The `ticket` object of a request body; 400 when there is none."""
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict):
        raise bad_value("The request body must contain a `ticket` object.")
    return ticket


class TicketWriter:
    """Applies one create or update for the acting user (`store.me`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.now = store.now()

    def create(self, data: dict[str, Any]) -> tuple[Ticket, Audit]:
        comment = _comment(data)
        body = str(comment.get("body") or comment.get("html_body") or data.get(
            "description") or "")
        if not body.strip():
            raise invalid("description", "Description: cannot be blank")
        author = self._author(comment)
        source = self._followup_source(data.get("via_followup_source_id"))
        requester = self._requester(data)
        status = self.store.default_status("new")
        ticket = Ticket(id=self.store.next_id("ticket"),
                        subject=str(data.get("subject") or body.partition("\n")[0][:150]),
                        description=body, status="new", custom_status_id=status.id,
                        requester_id=requester, submitter_id=self.store.me,
                        created=self.now, updated=self.now, generated=self.now, via=API_VIA,
                        tags=list(source.tags) if source else [])
        if source is not None:
            ticket.via = {"channel": "api", "source": {
                "from": {"ticket_id": source.id, "subject": source.subject}, "to": {},
                "rel": "follow_up"}}
        before: dict[str, Any] = dict.fromkeys(_TRACKED) | {"tags": [], "custom": {}}
        self._apply(ticket, data, creating=True)
        audit = self._audit(ticket, before, comment, body, author, kind="Create")
        assert audit is not None  # the description is a comment: a creation always has events
        ticket.is_public = bool(comment.get("public", True))
        self.store.add_ticket(ticket)
        self._track_solved(ticket)
        if source is not None:
            source.followup_ids.append(ticket.id)
        self.store.add_audit(ticket, audit)
        return ticket, audit

    def update(self, ticket: Ticket, data: dict[str, Any]) -> tuple[Ticket, Audit | None]:
        if ticket.status == "closed":
            raise invalid("status", CLOSED_PREVENTS)
        comment = _comment(data)
        body = str(comment.get("body") or comment.get("html_body") or "")
        author = self._author(comment)
        before = {name: getattr(ticket, name) for name in _TRACKED} | {
            "tags": list(ticket.tags), "custom": dict(ticket.custom)}
        # Validate on a draft, so a refused update (422) leaves the ticket as it was.
        draft = copy.copy(ticket)
        draft.tags, draft.custom = list(ticket.tags), dict(ticket.custom)
        self._apply(draft, data, creating=False)
        for name in (*_TRACKED, "tags", "custom", "solved_at"):
            setattr(ticket, name, getattr(draft, name))
        self._track_solved(ticket)
        audit = self._audit(ticket, before, comment, body, author, kind="Change")
        if audit is None:
            return ticket, None
        self.store.touch(ticket, self.now)
        self.store.add_audit(ticket, audit)
        return ticket, audit

    def _track_solved(self, ticket: Ticket) -> None:
        if ticket.status == "solved":
            self.store.solved.add(ticket.id)
        else:
            self.store.solved.discard(ticket.id)

    # -- applying a payload -------------------------------------------------------------------

    def _apply(self, ticket: Ticket, data: dict[str, Any], *, creating: bool) -> None:
        if not creating and "subject" in data:
            ticket.subject = str(data["subject"] or ticket.subject)
        if "external_id" in data:
            ticket.external_id = None if data["external_id"] is None else str(
                data["external_id"])
        if not creating and ("requester" in data or "requester_id" in data):
            ticket.requester_id = self._requester(data)
        for name, allowed in (("priority", _PRIORITIES), ("type", _TYPES)):
            if name in data:
                if data[name] not in allowed:
                    raise invalid(name, f"{name.capitalize()}: is not valid")
                setattr(ticket, name, data[name])
        self._apply_status(ticket, data)
        self._apply_people(ticket, data)
        if "tags" in data:
            ticket.tags = tags_of(data["tags"])
        for tag in tags_of(data.get("additional_tags") or []):
            if tag not in ticket.tags:
                ticket.tags.append(tag)
        removed = set(tags_of(data.get("remove_tags") or []))
        ticket.tags = [t for t in ticket.tags if t not in removed]
        apply_custom_fields(self.store, ticket, data.get("custom_fields", data.get("fields")))

    def _apply_status(self, ticket: Ticket, data: dict[str, Any]) -> None:
        """`custom_status_id` wins; a bare `status` takes its category's default status."""
        if data.get("custom_status_id") is not None:
            status = self.store.status(data["custom_status_id"])
            if not status.active:
                raise invalid("custom_status_id", "Ticket status: is inactive")
        elif data.get("status") is not None:
            if data["status"] == "closed" or data["status"] not in (
                    "new", "open", "pending", "hold", "solved"):
                raise invalid("status", f"Status: {data['status']} is not valid")
            status = self.store.default_status(str(data["status"]))
        else:
            return
        ticket.custom_status_id = status.id
        ticket.status = status.category
        ticket.solved_at = (ticket.solved_at or self.now) if status.category == "solved" \
            else None

    def _apply_people(self, ticket: Ticket, data: dict[str, Any]) -> None:
        """Group and assignee must agree: the assignee must belong to the group."""
        group_id, assignee_id = ticket.group_id, ticket.assignee_id
        if "group_id" in data:
            group_id = None if data["group_id"] is None else self.store.group(
                data["group_id"]).id
            if assignee_id is not None and group_id is not None and "assignee_id" not in data \
                    and not self.store.member_of(assignee_id, group_id):
                assignee_id = None  # moving to another group unassigns a non-member
        if "assignee_email" in data and data["assignee_email"] is not None:
            found = self.store.user_by_email(str(data["assignee_email"]))
            data = {**data, "assignee_id": found.id if found else -1}
        if "assignee_id" in data:
            assignee_id = None if data["assignee_id"] is None else self._agent(
                data["assignee_id"])
            if assignee_id is not None and group_id is None:
                group_id = self.store.default_group(assignee_id)
        if assignee_id is not None and group_id is not None and not self.store.member_of(
                assignee_id, group_id):
            raise invalid("assignee", "Assignee is not a member of the group")
        ticket.group_id, ticket.assignee_id = group_id, assignee_id

    def _agent(self, ref: object) -> int:
        user = self.store.users.get(int(str(ref))) if str(ref).isdigit() else None
        if user is None or not user.is_agent:
            raise invalid("assignee", "Assignee: is not an agent")
        return user.id

    def _requester(self, data: dict[str, Any]) -> int:
        """`requester_id`, or `requester` by id, email or {name, email}; a new address
        becomes an end user, as Zendesk creates one."""
        if data.get("requester_id") is not None:
            return self.store.user(data["requester_id"]).id
        ref = data.get("requester")
        if ref is None:
            return self.store.me
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self.store.user(ref).id
        email, name = (ref.get("email"), ref.get("name")) if isinstance(ref, dict) else (
            ref, None)
        if not isinstance(email, str) or "@" not in email:
            raise invalid("requester", "Requester: Email is invalid")
        found = self.store.user_by_email(email)
        if found is not None:
            return found.id
        return add_user(self.store, email.strip(), "end-user",
                        str(name) if name else display_name(email)).id

    def _followup_source(self, ref: object) -> Ticket | None:
        """The closed ticket a follow-up refers to; the parameter does nothing otherwise."""
        if ref is None:
            return None
        source = self.store.ticket(ref)
        return source if source.status == "closed" else None

    # -- the audit ------------------------------------------------------------------------------

    def _author(self, comment: dict[str, Any]) -> int:
        """Who writes the comment: `author_id` (a customer's reply), else the caller."""
        author = comment.get("author_id")
        return self.store.user(author).id if author is not None else self.store.me

    def _audit(self, ticket: Ticket, before: dict[str, Any], comment: dict[str, Any],
               body: str, author_id: int, *, kind: str) -> Audit | None:
        events: list[dict[str, Any]] = []
        audit_id = self.store.counters["audit"] + 1
        if body.strip():
            note = Comment(self.store.next_id("comment"), author_id, body,
                           bool(comment.get("public", True)), self.now, audit_id,
                           self._uploads(comment.get("uploads")))
            ticket.comments.append(note)
            events.append({"id": note.id, "type": "Comment", "author_id": note.author_id,
                           "body": note.body, "plain_body": note.body,
                           "public": note.public, "audit_id": audit_id,
                           "attachments": [attachment_json(u) for u in note.attachments]})
        for name in (*_TRACKED, "tags"):
            self._event(events, kind, name, before[name], getattr(ticket, name))
        for field_id in sorted(set(before["custom"]) | set(ticket.custom)):
            self._event(events, kind, str(field_id), before["custom"].get(field_id),
                        ticket.custom.get(field_id))
        if not events:
            return None
        self.store.next_id("audit")
        return Audit(audit_id, ticket.id, self.store.me, self.now, API_VIA, events)

    def _uploads(self, tokens: Any) -> list[Upload]:
        """The uploads a comment's `uploads` tokens name; a token is taken once."""
        if tokens is None:
            return []
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise invalid("uploads", "Uploads: must be a list of upload tokens")
        unknown = [t for t in tokens if t not in self.store.uploads]
        if unknown:
            raise invalid("uploads", f"Uploads: {unknown[0]} is not a valid upload token")
        return [self.store.uploads.pop(t) for t in tokens]

    def _event(self, events: list[dict[str, Any]], kind: str, name: str, old: Any,
               new: Any) -> None:
        if old == new or (kind == "Create" and new in (None, [])):
            return
        event = {"id": self.store.next_id("comment"), "type": kind, "field_name": name,
                 "value": _text(new)}
        if kind == "Change":
            event["previous_value"] = _text(old)
        events.append(event)


def _text(value: Any) -> Any:
    """Audit values are strings (ids too) or lists of strings, as Zendesk writes them."""
    if value is None or isinstance(value, list):
        return value
    return str(value)


def close_solved(store: Store) -> None:
    """Close every ticket solved four days ago or more, as Zendesk's default automation does;
    the sandbox runs it before each request, stamping the close with the time it noticed."""
    now = store.now()
    for ticket_id in sorted(store.solved):
        ticket = store.tickets.get(ticket_id)
        if ticket is None or ticket.solved_at is None or now - ticket.solved_at < CLOSE_AFTER_S:
            continue
        store.solved.discard(ticket_id)
        ticket.status = "closed"
        via = {"channel": "rule", "source": {"to": {}, "from": {
            "id": 1, "title": "Close ticket 4 days after status is set to solved",
            "deleted": False}, "rel": "automation"}}
        audit = Audit(store.next_id("audit"), ticket.id, -1, now, via, [
            {"id": store.next_id("comment"), "type": "Change", "field_name": "status",
             "value": "closed", "previous_value": "solved"}])
        store.touch(ticket, now)
        store.add_audit(ticket, audit)
