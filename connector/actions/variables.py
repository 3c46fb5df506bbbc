"""The variables a message template sees: plain values only, never live objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connector.engine.calendar import BusinessCalendar
from connector.engine.eta import eta_for
from connector.state.base import Ticket

if TYPE_CHECKING:  # the loader's template check imports this module: no cycle at run time
    from connector.config.loader import Config


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


def sample_variables(*, escalated: bool) -> dict[str, Any]:
    """The documented sample context `ticketflow validate` renders every template with (once
    with escalation details, once without), so a misspelt variable fails there."""
    return {
        "ticket": {"key": "HELP-123", "summary": "Cannot log in to REDCap",
                   "status": "Assigned" if escalated else "Pending",
                   "link": "https://example.atlassian.net/browse/HELP-123",
                   "category": "Access", "tier": 2 if escalated else 1,
                   "tier_name": "Platform Engineer" if escalated else "Platform Support",
                   "assignee": "Bob Example" if escalated else "our support team"},
        "customer": {"name": "Pat Doe", "email": "pat.doe@example.edu",
                     "timezone": "America/Chicago"},
        "eta": {"words": "within 2 business days", "local": "Wednesday 2 December, 10:50 CST",
                "at": "2026-12-02T16:50:00+00:00"},
        "escalation": ({"from_tier": 1, "to_tier": 2, "tier_name": "Platform Engineer",
                        "status": "Reviewing", "waited": "4h10m"} if escalated else None),
        "feedback": {"link": "https://helpdesk.example.edu/feedback/SAMPLE-TOKEN"},
        "helpdesk": {"email": "redcap_helpdesk@example.edu"},
    }


SAMPLE_CONTEXTS = (sample_variables(escalated=True), sample_variables(escalated=False))
