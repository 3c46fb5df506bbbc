"""The message actions: notify and survey render a template and queue it in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from connector.actions.runtime import Outcome, Runtime
from connector.actions.variables import template_variables
from connector.config import actions as a
from connector.engine.planner import PlannedAction
from connector.errors import SkippableError
from connector.mail.compose import compose, message_id
from connector.mail.render import Rendered, render
from connector.state.base import OutboxMessage, Ticket


def render_for(runtime: Runtime, ticket: Ticket, template: str, now: datetime) -> Rendered:
    """Fill a template with the ticket's variables (escalation details when just escalated)."""
    link = runtime.feedback_link(ticket) if runtime.feedback_link else None
    variables = template_variables(
        ticket, config=runtime.config, calendar=runtime.calendar, now=now,
        jira_url=runtime.jira_url, escalation=runtime.escalations.get(ticket.key),
        feedback_link=link)
    return render(runtime.config.templates[template], variables)


def recipients(runtime: Runtime, recipient: a.Recipient, ticket: Ticket) -> list[str]:
    """Addresses for `customer`, `assignee`, `{role: ...}` or `{address: ...}`."""
    if recipient.to == "customer":
        return [ticket.customer] if ticket.customer else []
    if recipient.to == "assignee":
        return [ticket.assignee] if ticket.assignee and "@" in ticket.assignee else []
    if recipient.to == "role" and recipient.role:
        return list(runtime.config.mappings.roles[recipient.role].users)
    return [recipient.address] if recipient.address else []


def _queue(runtime: Runtime, planned: PlannedAction, ticket: Ticket, *, template: str,
           to: list[str], now: datetime, send_at: datetime | None) -> Outcome:
    if not to:
        return Outcome(ticket, f"{template}: no recipient address", skipped=True)
    rendered = render_for(runtime, ticket, template, now)
    queued, ids = [], []
    domain = runtime.mail_from.rpartition("@")[2] or "ticketflow.invalid"
    for address in to:
        key = f"{planned.effect_key}#{address}"
        ids.append(message_id(key, domain))
        message = compose(rendered, sender=runtime.mail_from, recipient=address,
                          effect_key=key, when=send_at or now)
        queued.append(OutboxMessage(id=None, effect_key=key, issue_key=ticket.key,
                                    template=template, recipient=address, message=message,
                                    next_attempt_at=send_at, created_at=now))
    when = f" at {send_at.isoformat(timespec='minutes')}" if send_at else ""
    return Outcome(ticket, f"{template} to {', '.join(to)}{when}", outbox=tuple(queued),
                   message_ids=tuple(ids))


def notify(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    """Queue a message from a template to the rule's recipients."""
    assert isinstance(planned.action, a.Notify)
    spec = planned.action.notify
    return _queue(runtime, planned, ticket, template=spec.template,
                  to=recipients(runtime, spec.to, ticket), now=now, send_at=None)


def survey(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    """Queue the feedback request to the customer, to be sent after the delay."""
    assert isinstance(planned.action, a.Survey)
    spec = planned.action.survey
    delay = timedelta(seconds=runtime.calendar.duration_seconds(spec.delay)) if spec.delay \
        else timedelta(0)
    if spec.delay is not None and spec.delay.business:
        send_at = runtime.calendar.add(now, spec.delay)
    else:
        send_at = now + delay
    if not ticket.customer:
        raise SkippableError(f"{ticket.key} has no customer address for the survey")
    return _queue(runtime, planned, ticket, template=spec.template, to=[ticket.customer],
                  now=now, send_at=send_at)
