"""The variables a message template sees: plain values only, never live objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.config.loader import Config
from connector.engine.calendar import BusinessCalendar
from connector.engine.eta import eta_for
from connector.state.base import Ticket


@dataclass(frozen=True)
class Escalation:
    """What an escalation did, for the messages about it."""

    from_tier: int
    to_tier: int
    tier_name: str
    status: str
    waited: str


def _customer_name(address: str | None) -> str:
    if not address:
        return "there"
    local = address.partition("@")[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def template_variables(ticket: Ticket, *, config: Config, calendar: BusinessCalendar,
                       now: datetime, jira_url: str, escalation: Escalation | None = None,
                       feedback_link: str | None = None) -> dict[str, Any]:
    """Documented in the README: ticket.*, customer.*, eta.*, escalation.*, feedback.*."""
    eta = eta_for(config.rules.timeframes, tier=ticket.tier, start=now, calendar=calendar)
    tier = next((t for t in config.rules.tiers if t.tier == (ticket.tier or 1)), None)
    return {
        "ticket": {
            "key": ticket.key, "summary": ticket.summary, "status": ticket.status,
            "link": f"{jira_url.rstrip('/')}/browse/{ticket.key}",
            "category": ticket.category or "not yet categorised",
            "tier": ticket.tier or 1, "tier_name": tier.name if tier else "",
            "assignee": ticket.assignee_name or "our support team",
        },
        "customer": {"name": _customer_name(ticket.customer), "email": ticket.customer or ""},
        "eta": ({"words": eta.words, "local": eta.local, "at": eta.at.isoformat()} if eta
                else {"words": "as soon as we can", "local": "soon", "at": ""}),
        "escalation": (vars(escalation) if escalation else None),
        "feedback": {"link": feedback_link or ""},
    }
