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


def _customer_name(address: str | None) -> str:
    if not address:
        return "there"
    local = address.partition("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def template_variables(ticket: Ticket, *, config: Config, calendar: BusinessCalendar,
                       now: datetime, jira_url: str, escalation: Escalation | None = None,
                       feedback_link: str | None = None,
                       customer_zone: ZoneInfo | None = None) -> dict[str, Any]:
    """Documented in the README (Templates): ticket.*, customer.*, eta.*, escalation.*,
    feedback.*, helpdesk.*. The customer's time zone is rarely known: the team calendar's
    zone stands in for it unless one is given."""
    zone = customer_zone or calendar.zone
    eta = eta_for(config.rules.timeframes, tier=ticket.tier, start=now, calendar=calendar,
                  zone=zone)
    tier = next((t for t in config.rules.tiers if t.tier == (ticket.tier or 1)), None)
    return {
        "ticket": {
            "key": ticket.key, "summary": ticket.summary, "status": ticket.status,
            "link": f"{jira_url.rstrip('/')}/browse/{ticket.key}",
            "category": ticket.category or "not yet categorised",
            "tier": ticket.tier or 1, "tier_name": tier.name if tier else "",
            "assignee": ticket.assignee_name or "our support team",
        },
        "customer": {"name": _customer_name(ticket.customer), "email": ticket.customer or "",
                     "timezone": str(zone)},
        "eta": ({"words": eta.words, "local": eta.local, "at": eta.at.isoformat()} if eta
                else {"words": "as soon as we can", "local": "soon", "at": ""}),
        "escalation": (dict(vars(escalation)) if escalation else None),
        "feedback": {"link": feedback_link or ""},
        "helpdesk": {"email": config.mappings.mailbox.address},
    }
