"""The owner claim on Zendesk against `responses`: kept in an inactive ticket field, one GET a
read and one PUT a write once the field is known, the oldest of two fields winning, and
values no ticketflow wrote taken as no claim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import responses

from connector.http.json_api import JsonApi
from connector.http.retry import Retrier
from connector.tracker.base import OwnerClaim
from connector.tracker.claim import claim_json
from connector.tracker.zendesk.claim import FIELD_TITLE, ClaimField
from connector.tracker.zendesk.client import ZENDESK, ZendeskClient

BASE = "https://acme.zendesk.com"
API = f"{BASE}/api/v2"
CLAIM = OwnerClaim(instance="abc", host="helpdesk-1", state="/data/ticketflow.db",
                   heartbeat=datetime(2026, 11, 30, 14, 0, tzinfo=UTC), pid=42)


class Notes:
    """The state's small named values, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def meta(self, key: str) -> str | None:
        return self.values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.values[key] = value


def _claim_field(retrier: Retrier, notes: Notes) -> ClaimField:
    import requests

    session = requests.Session()
    api = JsonApi(base_url=BASE, transport=session.request, retrier=retrier, remote=ZENDESK,
                  variable="TICKETFLOW_ZENDESK_URL", answered=True)
    return ClaimField(ZendeskClient(api), notes, BASE)


def _field(ident: int, text: str, title: str = FIELD_TITLE) -> dict[str, Any]:
    return {"id": ident, "type": "text", "title": title, "active": False,
            "agent_description": text}


def _listing(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"ticket_fields": [_field(1, "", "Subject"), *fields], "meta": {"has_more": False}}


def test_the_first_claim_makes_an_inactive_field_and_later_ones_only_put(
        mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """No field yet: the claim is none; writing makes an inactive text field holding the
    claim's JSON. The next write and read (another process, the same state) ask only for
    that field by the id kept in the state."""
    notes = Notes()
    for _ in range(2):  # the read's listing, and the write's before it makes the field
        mocked.get(f"{API}/ticket_fields.json", json=_listing())
    mocked.get(f"{API}/ticket_fields.json",
               json=_listing(_field(77, json.dumps(claim_json(CLAIM)))))
    assert _claim_field(retrier, notes).read() is None
    made = mocked.post(f"{API}/ticket_fields.json", status=201,
                       json={"ticket_field": _field(77, json.dumps(claim_json(CLAIM)))})
    _claim_field(retrier, notes).write(CLAIM)
    sent = json.loads(made.calls[0].request.body)["ticket_field"]
    assert (sent["type"], sent["title"], sent["active"]) == ("text", FIELD_TITLE, False)
    assert json.loads(sent["agent_description"])["instance"] == "abc"

    mocked.calls.reset()
    put = mocked.put(f"{API}/ticket_fields/77.json",
                     json={"ticket_field": _field(77, "")})
    mocked.get(f"{API}/ticket_fields/77.json",
               json={"ticket_field": _field(77, json.dumps(claim_json(CLAIM)))})
    later = _claim_field(retrier, notes)
    later.write(CLAIM)
    assert later.read() == CLAIM
    assert [c.request.method for c in mocked.calls] == ["PUT", "GET"]
    assert json.loads(put.calls[0].request.body) == {
        "ticket_field": {"agent_description": json.dumps(claim_json(CLAIM))}}


def test_of_two_fields_made_at_once_the_oldest_holds_the_claim(
        mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """Two ticketflows made their field in the same moment: the one that made field 90 reads
    the claim of field 80 back (what makes it stop), not its own."""
    other = OwnerClaim(instance="other", host="h2", state="/b.db", heartbeat=CLAIM.heartbeat)
    for _ in range(2):
        mocked.get(f"{API}/ticket_fields.json", json=_listing())
    mocked.get(f"{API}/ticket_fields.json", json=_listing(
        _field(90, json.dumps(claim_json(CLAIM))), _field(80, json.dumps(claim_json(other)))))
    mocked.post(f"{API}/ticket_fields.json", status=201,
                json={"ticket_field": _field(90, json.dumps(claim_json(CLAIM)))})
    field = _claim_field(retrier, Notes())
    assert field.read() is None
    field.write(CLAIM)
    mocked.get(f"{API}/ticket_fields/80.json",
               json={"ticket_field": _field(80, json.dumps(claim_json(other)))})
    held = field.read()
    assert held is not None and held.instance == "other"


def test_a_deleted_field_or_a_value_no_ticketflow_wrote_is_no_claim(
        mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """Someone deleted the field (404) or wrote into it: the claim reads as none (and a
    heartbeat then writes a proper one)."""
    notes = Notes()
    notes.set_meta(f"zendesk claim field {BASE}", "77")
    mocked.get(f"{API}/ticket_fields/77.json", status=404,
               json={"error": "RecordNotFound", "description": "Not found"})
    assert _claim_field(retrier, notes).read() is None
    assert notes.values[f"zendesk claim field {BASE}"] == ""
    mocked.get(f"{API}/ticket_fields.json", json=_listing(_field(78, "hello there")))
    mocked.get(f"{API}/ticket_fields/78.json",
               json={"ticket_field": _field(78, "hello there")})
    assert _claim_field(retrier, notes).read() is None
    mocked.replace(responses.GET, f"{API}/ticket_fields/78.json",
                   json={"ticket_field": _field(78, '{"host": "x"}')})
    assert _claim_field(retrier, notes).read() is None
