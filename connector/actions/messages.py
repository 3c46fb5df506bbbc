"""The message actions: notify and survey render a template and hand it to a channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from connector.actions.channels import CHANNELS, Notice
from connector.actions.context import template_variables
from connector.actions.decisions import escalation_for
from connector.actions.runtime import Outcome, Runtime
from connector.config import actions as a
from connector.domain import Ticket
from connector.engine.planner import PlannedAction
from connector.errors import BlockedError, SkippableError
from connector.templates.render import Rendered, render

STAFF = ("assignee", "role")


def eta_goal(runtime: Runtime, template: str) -> str:
    """A message that acknowledges a request promises a first response; every other one,
    the resolution (README, Templates: `eta`)."""
    acknowledging = template in runtime.config.rules.notifications.acknowledgements()
    return "first_response" if acknowledging else "resolve"


def render_for(runtime: Runtime, planned: PlannedAction, ticket: Ticket, template: str,
               now: datetime) -> Rendered:
    """Fill a template with the ticket's variables, and the escalation details when an
    escalate of the same rule and trigger performed one (read from its ledger row). A
    template that fails to render is a configuration problem: the effect waits for the fix."""
    link = runtime.feedback_link(ticket) if runtime.feedback_link else None
    variables = template_variables(
        ticket, config=runtime.config, calendar=runtime.calendar, now=now,
        refs=runtime.tracker.refs, escalation=escalation_for(runtime, planned),
        feedback_link=link, goal=eta_goal(runtime, template))
    try:
        return render(runtime.config.templates[template], variables)
    except SkippableError as error:  # TemplateSecurityError included: nothing is sent either way
        raise BlockedError(f"{error}; fix the template (tried again every cycle)") from None


def recipients(runtime: Runtime, recipient: a.Recipient, ticket: Ticket, *,
               by_identity: bool = False) -> list[str]:
    """Who `customer`, `assignee`, `{role: ...}` or `{address: ...}` is. Staff are addresses
    for email, or tracker identities (`by_identity`) for the tracker's notify and webhooks."""
    if recipient.to == "customer":
        return [ticket.customer] if ticket.customer else []
    if recipient.to == "assignee":
        usable = ticket.assignee and (by_identity or "@" in ticket.assignee)
        return [ticket.assignee] if usable and ticket.assignee else []
    if recipient.to == "role" and recipient.role:
        return list(runtime.config.mappings.roles_of(ticket.project)[recipient.role].users)
    return [recipient.address] if recipient.address else []


def via(runtime: Runtime, recipient: a.Recipient) -> str:
    """The channel for this kind of recipient, from rules.yaml `notifications:`."""
    notes = runtime.config.rules.notifications
    if recipient.to in STAFF:
        return notes.assignee.via
    if recipient.to == "customer":
        return notes.customer.via
    return "email"  # an explicit address is mailed


def _send(runtime: Runtime, planned: PlannedAction, ticket: Ticket, *, template: str,
          channel: str, people: list[str], now: datetime,
          send_at: datetime | None = None) -> Outcome:
    if not people:
        return Outcome(ticket, f"{template}: no recipient address", skipped=True)
    notice = Notice(planned, ticket, template,
                    render_for(runtime, planned, ticket, template, now), tuple(people), now,
                    send_at)
    return CHANNELS[channel](runtime, notice)


def notify(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    """Send a message from a template to the rule's recipients, through their channel."""
    assert isinstance(planned.action, a.Notify)
    spec = planned.action.notify
    channel = via(runtime, spec.to)
    people = recipients(runtime, spec.to, ticket, by_identity=channel != "email")
    return _send(runtime, planned, ticket, template=spec.template, channel=channel,
                 people=people, now=now)


def survey(runtime: Runtime, planned: PlannedAction, ticket: Ticket, now: datetime) -> Outcome:
    """Queue the feedback request to the customer, to be sent after the delay. Always by
    email: a comment cannot wait for the delay, and the link is personal."""
    assert isinstance(planned.action, a.Survey)
    spec = planned.action.survey
    if spec.delay is not None and spec.delay.business:
        send_at = runtime.calendar.add(now, spec.delay)
    elif spec.delay is not None:
        send_at = now + timedelta(seconds=runtime.calendar.duration_seconds(spec.delay))
    else:
        send_at = now
    if not ticket.customer:
        raise SkippableError(f"{ticket.key} has no customer address for the survey")
    return _send(runtime, planned, ticket, template=spec.template, channel="email",
                 people=[ticket.customer], now=now, send_at=send_at)
