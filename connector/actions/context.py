"""The variables a message template sees, built from a ticket: plain values, never live objects."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connector.domain import Ticket
from connector.engine.calendar import BusinessCalendar
from connector.engine.eta import eta_for
from connector.templates.variables import Escalation

if TYPE_CHECKING:
    from connector.config.loader import Config
    from connector.tracker.base import TicketRefs


def _customer_name(address: str | None) -> str:
    if not address:
        return "there"
    local = address.partition("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


_NO_ETA = {"words": "as soon as we can", "local": "soon", "at": ""}


def _eta(config: Config, ticket: Ticket, *, goal: str, now: datetime,
         calendar: BusinessCalendar, zone: ZoneInfo) -> dict[str, str]:
    eta = eta_for(config.rules.timeframes, tier=ticket.tier, start=now, calendar=calendar,
                  goal=goal, zone=zone)
    if eta is None:
        return dict(_NO_ETA)
    return {"words": eta.words, "local": eta.local, "at": eta.at.isoformat()}


def template_variables(ticket: Ticket, *, config: Config, calendar: BusinessCalendar,
                       now: datetime, refs: TicketRefs, escalation: Escalation | None = None,
                       feedback_link: str | None = None, goal: str = "resolve",
                       customer_zone: ZoneInfo | None = None) -> dict[str, Any]:
    """Documented in the README (Templates): ticket.*, customer.*, eta.*, escalation.*,
    feedback.*, helpdesk.*. `eta` is the promise for `goal` (`first_response` or
    `resolve`); `eta.first_response` and `eta.resolve` name either. The customer's time zone
    is rarely known: the team calendar's zone stands in for it unless one is given."""
    zone = customer_zone or calendar.zone
    promises = {name: _eta(config, ticket, goal=name, now=now, calendar=calendar, zone=zone)
                for name in ("first_response", "resolve")}
    tier = next((t for t in config.rules.tiers if t.tier == (ticket.tier or 1)), None)
    return {
        "ticket": {
            "key": ticket.key, "ref": refs.display(ticket.key),
            "tag": refs.subject_tag(ticket.key), "summary": ticket.summary,
            "status": ticket.status, "link": refs.web_url(ticket.key),
            "category": ticket.category or "not yet categorised",
            "tier": ticket.tier or 1, "tier_name": tier.name if tier else "",
            "assignee": ticket.assignee_name or "our support team",
        },
        "customer": {"name": _customer_name(ticket.customer), "email": ticket.customer or "",
                     "timezone": str(zone)},
        "eta": {**promises[goal], **promises},
        "escalation": (dict(vars(escalation)) if escalation else None),
        "feedback": {"link": feedback_link or ""},
        "helpdesk": {"email": config.mappings.mailbox.address},
    }
