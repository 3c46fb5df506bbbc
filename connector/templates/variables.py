"""The variables every template may use: their shape (`Escalation`) and the documented sample
`ticketflow validate` renders each template with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Escalation:
    """What an escalation did, for the messages about it."""

    from_tier: int
    to_tier: int
    tier_name: str
    status: str
    waited: str


def sample_variables(*, escalated: bool) -> dict[str, Any]:
    """The documented sample context `ticketflow validate` renders every template with (once
    with escalation details, once without), so a misspelt variable fails there."""
    return {
        "ticket": {"key": "HELP-123", "ref": "HELP-123", "tag": "[HELP-123]",
                   "summary": "Cannot log in to REDCap",
                   "status": "Assigned" if escalated else "Pending",
                   "link": "https://example.atlassian.net/browse/HELP-123",
                   "category": "Access", "tier": 2 if escalated else 1,
                   "tier_name": "Platform Engineer" if escalated else "Platform Support",
                   "assignee": "Bob Example" if escalated else "our support team"},
        "customer": {"name": "Pat Doe", "email": "pat.doe@example.edu",
                     "timezone": "America/Chicago"},
        "eta": {"words": "within 2 business days", "local": "Wednesday 2 December, 10:50 CST",
                "at": "2026-12-02T16:50:00+00:00",
                # Both promises by name, whichever one `eta` itself is for this message.
                "first_response": {"words": "within 4h", "local": "Monday 30 November, 14:50 CST",
                                   "at": "2026-11-30T20:50:00+00:00"},
                "resolve": {"words": "within 2 business days",
                            "local": "Wednesday 2 December, 10:50 CST",
                            "at": "2026-12-02T16:50:00+00:00"}},
        "escalation": ({"from_tier": 1, "to_tier": 2, "tier_name": "Platform Engineer",
                        "status": "Reviewing", "waited": "4h10m"} if escalated else None),
        "feedback": {"link": "https://helpdesk.example.edu/feedback/SAMPLE-TOKEN"},
        "helpdesk": {"email": "redcap_helpdesk@example.edu"},
    }


SAMPLE_CONTEXTS = (sample_variables(escalated=True), sample_variables(escalated=False))
