"""How a notice reaches people: the tracker's own notification mail, email through the outbox,
a chat webhook, or a public comment; one registry maps the rules.yaml word to the sender."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from connector.actions.runtime import Outcome, Runtime
from connector.domain import Ticket
from connector.engine.planner import PlannedAction
from connector.errors import BlockedError
from connector.mail.compose import HeaderInjectionError, compose, message_id, thread_for
from connector.mail.suppress import refusal
from connector.mail.webhook import webhook_payload
from connector.state.base import WEBHOOK_PREFIX, OutboxMessage
from connector.state.concerns import InstallationKeys
from connector.templates.render import Rendered, subject_with_tag
from connector.tracker.base import SupportsNotify
from connector.tracker.values import Person


@dataclass(frozen=True)
class Notice:
    """One rendered notice for one action, before it is sent or queued."""

    planned: PlannedAction
    ticket: Ticket
    template: str
    rendered: Rendered
    people: tuple[str, ...]  # addresses, or tracker identities for staff
    now: datetime
    send_at: datetime | None = None


Channel = Callable[[Runtime, Notice], Outcome]
CHANNELS: dict[str, Channel] = {}


def channel(name: str) -> Callable[[Channel], Channel]:
    """Register the sender behind one `via:` word."""
    def register(function: Channel) -> Channel:
        CHANNELS[name] = function
        return function
    return register


def own_addresses(runtime: Runtime) -> tuple[str, ...]:
    """Where our own mail comes from: never a recipient of automatic mail (a loop)."""
    return (runtime.mail_from, runtime.config.mappings.mailbox.address)


def _domain(runtime: Runtime) -> str:
    return runtime.mail_from.rpartition("@")[2] or "ticketflow.invalid"


def message_id_key(store: InstallationKeys) -> bytes:
    """The secret our Message-IDs are keyed with: made once, kept in the state. Losing it
    costs nothing: ids already sent are recorded in message_ids, and threading reads them
    from there."""
    return bytes.fromhex(store.installation_key("message-id", secrets.token_hex(32)))


def _auto(runtime: Runtime, template: str, inbound: list[str]) -> str:
    """RFC 3834: `auto-replied` answers a message (the acknowledgement of the customer's mail);
    everything else ticketflow sends on its own is `auto-generated`."""
    acks = runtime.config.rules.notifications.acknowledgements()
    return "auto-replied" if template in acks and inbound else "auto-generated"


@channel("email")
def email(runtime: Runtime, notice: Notice) -> Outcome:
    """Queue one message per address in the outbox, threaded with the customer's mail."""
    store, ticket, now = runtime.store, notice.ticket, notice.now
    notes = runtime.config.rules.notifications
    inbound = store.message_ids_for(ticket.key, "in")
    thread = thread_for(ticket.key, _domain(runtime), inbound=inbound,
                        outbound=store.message_ids_for(ticket.key, "out"))
    rendered = Rendered(subject_with_tag(notice.rendered.subject, _tag(runtime, ticket)),
                        notice.rendered.text, notice.rendered.html)
    queued, ids, refused = [], [], []
    secret = message_id_key(store)
    for address in (person.strip() for person in notice.people):
        reason = refusal(address, own=own_addresses(runtime), extra=notes.no_auto_reply,
                         store=store, now=now)
        key = f"{notice.planned.effect_key}#{address}"
        # Fixed here, when the message is queued: every retried send repeats these bytes.
        ours = message_id(key, _domain(runtime), key=secret)
        if reason is None:
            try:
                message = compose(rendered, sender=runtime.mail_from, recipient=address,
                                  reply_to=runtime.config.mappings.mailbox.address,
                                  message_id=ours, when=notice.send_at or now,
                                  auto=_auto(runtime, notice.template, inbound), thread=thread)
            except HeaderInjectionError as error:
                reason = str(error)
        if reason is not None:
            refused.append(f"not to {address!r}: {reason}")
            continue
        ids.append(ours)
        queued.append(OutboxMessage(id=None, effect_key=key, issue_key=ticket.key,
                                    template=notice.template, recipient=address,
                                    message=message, next_attempt_at=notice.send_at,
                                    created_at=now))
    if not queued:
        return Outcome(ticket, f"{notice.template}: " + "; ".join(refused), skipped=True)
    when = f" at {notice.send_at.isoformat(timespec='minutes')}" if notice.send_at else ""
    shown = ", ".join(m.recipient for m in queued) + when
    return Outcome(ticket, "; ".join([f"{notice.template} to {shown}", *refused]),
                   outbox=tuple(queued), message_ids=tuple(ids))


def _tag(runtime: Runtime, ticket: Ticket) -> str:
    """What every subject carries so replies find the ticket (`[HELP-12]`)."""
    return runtime.tracker.refs.subject_tag(ticket.key)


def _person(runtime: Runtime, ticket: Ticket, identity: str, display: str | None) -> Person:
    """A tracker user of the ticket's project: looked up by email, or the tracker's own
    reference the mirror keeps."""
    if "@" in identity:
        return runtime.person(identity, project=ticket.project)
    return Person(identity, None, display or identity)


@channel("jira_notify")
def jira_notify(runtime: Runtime, notice: Notice) -> Outcome:
    """The tracker's own notification mail to its users (it knows their addresses): Jira's
    notify. `validate` refuses this channel on a tracker without one."""
    tracker = runtime.tracker
    if not isinstance(tracker, SupportsNotify):
        raise BlockedError("notifications via jira_notify: this tracker sends no notification "
                           "mail of its own; set notifications.assignee.via to email or webhook")
    ticket = notice.ticket
    people = [_person(runtime, ticket, who,
                      ticket.assignee_name if who == ticket.assignee else None)
              for who in notice.people]
    subject = subject_with_tag(notice.rendered.subject, _tag(runtime, ticket))
    tracker.notify(ticket.key, subject=subject, text_body=notice.rendered.text,
                   html_body=notice.rendered.html, people=people)
    return Outcome(ticket, f"{notice.template} to {', '.join(notice.people)} via the tracker's "
                   "notification")


@channel("webhook")
def webhook(runtime: Runtime, notice: Notice) -> Outcome:
    """One chat post per action, queued in the outbox (same retries and ledger as mail)."""
    ticket = notice.ticket
    fmt = runtime.config.rules.notifications.assignee.webhook_format
    link = runtime.tracker.refs.web_url(ticket.key)
    subject = subject_with_tag(notice.rendered.subject, _tag(runtime, ticket))
    text = f"For {', '.join(notice.people)}:\n{notice.rendered.text.strip()}"
    recipient = WEBHOOK_PREFIX + ",".join(notice.people)
    post = OutboxMessage(id=None, effect_key=f"{notice.planned.effect_key}#webhook",
                         issue_key=ticket.key, template=notice.template, recipient=recipient,
                         message=webhook_payload(fmt, subject=subject, text=text, link=link),
                         next_attempt_at=notice.send_at, created_at=notice.now)
    return Outcome(ticket, f"{notice.template} for {', '.join(notice.people)} via webhook",
                   outbox=(post,))


@channel("public_comment")
def public_comment(runtime: Runtime, notice: Notice) -> Outcome:
    """A public comment on the ticket: the tracker mails it to the customer itself (Jira
    Service Management, Zendesk)."""
    runtime.tracker.add_comment(notice.ticket.key, notice.rendered.text.strip(), public=True)
    return Outcome(notice.ticket, f"{notice.template} as a public comment")


CHANNELS["jsm_comment"] = public_comment  # the older word for it, kept working
