"""The owner claim on Zendesk: JSON in the agent-only description of an inactive text ticket
field, "ticketflow owner", that ticketflow makes for it.

Why there: it is account-wide (every ticketflow with any admin's token finds it, unlike a
user's own fields), on every Zendesk plan (dynamic content needs Professional), read and
written with the admin token the change feed needs anyway (`GET`/`PUT
/api/v2/ticket_fields/{id}`), and an inactive field shows on no ticket or form. Two made at
the same moment: the one with the lowest id is the claim, so the later one's owner reads the
other's claim back and stops.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from connector.errors import TrackerError
from connector.tracker.base import Notes, OwnerClaim
from connector.tracker.claim import claim_from_json, claim_json
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import an_id, reading

log = logging.getLogger(__name__)

FIELD_TITLE = "ticketflow owner"
FIELDS = "/api/v2/ticket_fields.json"


class ClaimField:
    """The claim's ticket field, its id kept in `notes` (one GET a read, one PUT a write)."""

    def __init__(self, client: ZendeskClient, notes: Notes | None, site: str) -> None:
        self._client = client
        self._notes = notes
        self._key = f"zendesk claim field {site}"
        self._id: str | None = None

    def read(self) -> OwnerClaim | None:
        field_id = self._known() or self._find()
        if field_id is None:
            return None
        try:
            field = self._client.show(f"/api/v2/ticket_fields/{field_id}.json", "ticket_field")
        except TrackerError as error:
            if error.status != 404:
                raise
            self._remember(None)  # deleted by someone: the claim is gone with it
            return None
        return _parse(field.get("agent_description"))

    def write(self, claim: OwnerClaim) -> None:
        text = json.dumps(claim_json(claim))
        field_id = self._known() or self._find()
        if field_id is not None:
            try:
                self._client.change(f"/api/v2/ticket_fields/{field_id}.json", "ticket_field",
                                    {"agent_description": text})
            except TrackerError as error:
                if error.status != 404:
                    raise
            else:
                return
        self._client.make(FIELDS, "ticket_field", {
            "type": "text", "title": FIELD_TITLE, "active": False, "agent_description": text,
            "description": "Which ticketflow acts on this account (kept by ticketflow; "
                           "inactive, so on no ticket)"})
        self._remember(None)
        self._find()  # of two made at once, the oldest is the claim

    def _known(self) -> str | None:
        if self._id is None and self._notes is not None:
            self._id = self._notes.meta(self._key) or None
        return self._id

    def _find(self) -> str | None:
        with reading("ticket fields"):
            ids = sorted(int(str(an_id(f["id"])))
                         for f in self._client.listing(FIELDS, "ticket_fields")
                         if f.get("title") == FIELD_TITLE and f.get("type") == "text")
        self._remember(str(ids[0]) if ids else None)
        return self._id

    def _remember(self, field_id: str | None) -> None:
        self._id = field_id
        if self._notes is not None:
            self._notes.set_meta(self._key, field_id or "")


def _parse(text: Any) -> OwnerClaim | None:
    if not text:
        return None
    try:
        value = json.loads(str(text))
    except ValueError:
        log.warning("the owner claim field in Zendesk holds no JSON; it is taken as no claim")
        return None
    return claim_from_json(value)
