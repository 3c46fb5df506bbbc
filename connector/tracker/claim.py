"""The owner claim as JSON, as a tracker keeps it (Jira: in a project property)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from connector.tracker.base import OwnerClaim

log = logging.getLogger(__name__)

CLAIM_PROPERTY = "ticketflow.owner"


def claim_json(claim: OwnerClaim) -> dict[str, Any]:
    return {"instance": claim.instance, "host": claim.host, "pid": claim.pid,
            "state": claim.state, "heartbeat": claim.heartbeat.isoformat()}


def claim_from_json(value: Any) -> OwnerClaim | None:
    """The claim a tracker holds; None when there is none. A value that is not one
    ticketflow wrote (someone edited it) is no claim: it is said, and replaced."""
    if value is None:
        return None
    try:
        claim = OwnerClaim(instance=str(value["instance"]), host=str(value.get("host", "")),
                           state=str(value.get("state", "")),
                           heartbeat=datetime.fromisoformat(str(value["heartbeat"])),
                           pid=int(value.get("pid") or 0))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        log.warning("the owner claim in the tracker is not one ticketflow wrote (%s); it is "
                    "taken as no claim", error)
        return None
    if claim.heartbeat.tzinfo is None:  # compared with aware times: it would raise later
        log.warning("the owner claim's heartbeat has no UTC offset; it is taken as no claim")
        return None
    return claim
