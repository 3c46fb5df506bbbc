"""The Zendesk adapter against `responses`: credentials, the retry layer, hostile answers, the
cursor bookmark, the marker, and ticket references."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import SecretStr

from connector.config.loader import Config, load_config
from connector.config.shipped import config_dir_for
from connector.errors import AuthError, MalformedAnswerError, RetriableError
from connector.http.retry import Retrier
from connector.settings import Settings
from connector.tracker.values import MailOrigin, NewTicket
from connector.tracker.zendesk.refs import ZendeskRefs
from connector.tracker.zendesk.tracker import ZendeskTracker, open_tracker

BASE = "https://acme.zendesk.com"
API = f"{BASE}/api/v2"
TOKEN = "zd-s3cr3t-token"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zendesk"
DATE = "Thu, 26 Nov 2026 16:00:00 GMT"
HTML = "<html><body><h1>Please log in</h1></body></html>"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return load_config(config_dir_for("zendesk", tmp_path_factory.mktemp("config")))


@pytest.fixture
def catalogue(mocked: responses.RequestsMock) -> responses.RequestsMock:
    """The account's statuses, fields and groups, as the shipped mappings need them."""
    mocked.get(f"{API}/custom_statuses.json", json=_load("custom_statuses.json"))
    mocked.get(f"{API}/ticket_fields.json", json=_load("ticket_fields.json"))
    mocked.get(f"{API}/groups.json", json=_load("groups.json"))
    mocked.get(f"{API}/users/me.json",
               json={"user": {"id": 10001, "email": "bot@acme.test", "name": "Bot"}})
    return mocked


@pytest.fixture
def make(config: Config, retrier: Retrier) -> Callable[..., ZendeskTracker]:
    def build(**settings: Any) -> ZendeskTracker:
        values: dict[str, Any] = {"zendesk_url": BASE, "zendesk_email": "bot@acme.test",
                                  "zendesk_token": SecretStr(TOKEN)} | settings
        return open_tracker(config, Settings(**values, _env_file=None), retrier=retrier)
    return build


def _export(tickets: list[Any], cursor: str = "CUR2", *, end: bool = True) -> dict[str, Any]:
    return {"tickets": tickets, "after_cursor": cursor, "before_cursor": None,
            "after_url": f"{API}/incremental/tickets/cursor.json?cursor={cursor}",
            "end_of_stream": end, "users": []}


def test_the_api_token_is_basic_auth_and_oauth_a_bearer(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """`EMAIL/token:TOKEN` as basic auth by default; with an OAuth token, `Bearer TOKEN`."""
    make().myself()
    sent = catalogue.calls[-1].request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(f"bot@acme.test/token:{TOKEN}".encode()).decode()
    make(zendesk_oauth_token=SecretStr("oauth-xyz"), zendesk_token=None).myself()
    assert catalogue.calls[-1].request.headers["Authorization"] == "Bearer oauth-xyz"


def test_refused_credentials_name_the_zendesk_settings(
        mocked: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """A 401 is an AuthError that says which variables to check, and never the token."""
    mocked.get(f"{API}/users/me.json", status=401, json={"error": "Couldn't authenticate you"})
    with pytest.raises(AuthError) as caught:
        make().myself()
    assert "TICKETFLOW_ZENDESK_EMAIL / TICKETFLOW_ZENDESK_TOKEN" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_429_on_the_export_is_waited_out_as_retry_after_asks(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker],
        fake_time: Any) -> None:
    """Zendesk's 10-a-minute limit: the retry layer waits the `Retry-After` seconds, then the
    same page is asked again and the feed goes on."""
    export = f"{API}/incremental/tickets/cursor.json"
    catalogue.get(export, status=429, headers={"Retry-After": "17"},
                  json={"error": "APIRateLimitExceeded"})
    catalogue.get(export, json=_export([]), headers={"Date": DATE})
    pages = list(make().changes(json.dumps({"cursor": "CUR1", "events": 1795705000}),
                                now=None))  # type: ignore[arg-type]
    assert fake_time.waits == [17.0]
    assert json.loads(pages[-1].bookmark or "")["cursor"] == "CUR2"


def test_an_idle_cycle_is_one_request_and_keeps_the_cursor(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """Nothing changed: one export request (the user ticketflow is comes from the notes in a
    running service; here it is asked once before), no tickets, the new cursor kept and the
    events' start left where it was."""
    tracker = make()
    tracker.myself()
    catalogue.get(f"{API}/incremental/tickets/cursor.json", json=_export([], "CUR9"))
    before = len(catalogue.calls)
    pages = list(tracker.changes(json.dumps({"cursor": "CUR1", "events": 1795705000}),
                                 now=None))  # type: ignore[arg-type]
    assert len(catalogue.calls) - before == 1
    assert "cursor=CUR1" in (catalogue.calls[-1].request.url or "")
    assert [p.tickets for p in pages] == [()]
    assert json.loads(pages[0].bookmark or "") == {"cursor": "CUR9", "events": 1795705000}


def test_a_changed_ticket_gets_its_history_from_one_events_request(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """One export page, one events page (read from the bookmark's second); the status change
    in the field-named form some exports use, and the internal comment, both read."""
    ticket = _load("ticket_4711.json")
    page = _export([ticket["ticket"]], "CUR3")
    page["users"] = ticket["users"]
    catalogue.get(f"{API}/incremental/tickets/cursor.json", json=page)
    catalogue.get(f"{API}/incremental/ticket_events.json",
                  json=_load("ticket_events_field_named.json"))
    (found,) = list(make().changes(json.dumps({"cursor": "CUR1", "events": 1795705000}),
                                   now=None))  # type: ignore[arg-type]
    (changed,) = found.tickets
    assert (changed.ticket.key, changed.ticket.status, changed.ticket.tier) == (
        "4711", "Reviewing", 1)
    assert changed.ticket.category == "Access"
    assert changed.ticket.customer == "pat.doe@uni.example.edu"
    assert [(i.kind, i.before, i.after) for c in changed.changes for i in c.items] == [
        ("status", "Pending", "Reviewing")]
    assert [(c.body, c.public) for c in changed.comments] == [("Looking at it", False)]
    (events_call,) = [c.request.url or "" for c in catalogue.calls
                      if "ticket_events" in (c.request.url or "")]
    assert "start_time=1795705000" in events_call and "include=comment_events" in events_call
    assert json.loads(found.bookmark or "") == {"cursor": "CUR3", "events": 1795705800}


@pytest.mark.parametrize("body", [
    {"after_cursor": "X", "end_of_stream": True},             # no tickets
    {"tickets": [], "end_of_stream": True},                   # no cursor
    {"tickets": {"id": 1}, "after_cursor": "X", "end_of_stream": True},  # an object, not a list
])
def test_a_wrong_shaped_export_is_a_malformed_answer(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker],
        body: dict[str, Any]) -> None:
    """An export page without its tickets or cursor is transient, never a KeyError."""
    catalogue.get(f"{API}/incremental/tickets/cursor.json", json=body)
    with pytest.raises(MalformedAnswerError):
        list(make().changes(json.dumps({"cursor": "C", "events": 1}),
                            now=None))  # type: ignore[arg-type]


def test_an_html_page_with_200_is_a_malformed_answer(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """A proxy's login page served with 200: a RetriableError naming the request."""
    catalogue.get(f"{API}/tickets/4711.json", body=HTML, content_type="text/html")
    with pytest.raises(MalformedAnswerError) as caught:
        make().ticket("4711")
    assert isinstance(caught.value, RetriableError)
    assert "GET /api/v2/tickets/4711.json" in str(caught.value)


def test_a_bookmark_it_did_not_write_is_refused_plainly(
        mocked: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """A Jira bookmark left in the state (an ISO instant) is not taken for a cursor."""
    mocked.get(f"{API}/users/me.json", json={"user": {"id": 1, "email": "b@x", "name": "B"}})
    with pytest.raises(MalformedAnswerError, match="bookmark"):
        list(make().changes("2026-11-26T16:00:00+00:00", now=None))  # type: ignore[arg-type]


def test_a_ticket_from_mail_carries_its_marker_and_is_found_again(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """Create sends the mail's marker as `external_id` with the requester by email; the
    oldest ticket with that external id is the mail's."""
    catalogue.post(f"{API}/tickets.json", status=201, json={"ticket": {"id": 12}})
    key = make().create(NewTicket("Locked out", "text", mail=MailOrigin("tf-mail-ab12", "k"),
                                  labels=("tf-auto",)))
    sent = json.loads(catalogue.calls[-1].request.body or b"{}")["ticket"]
    assert key == "12"
    assert sent["external_id"] == "tf-mail-ab12"
    assert sent["tags"] == ["tf-auto"] and sent["custom_status_id"] == 30001
    assert sent["comment"] == {"body": "text", "public": True}
    catalogue.get(f"{API}/tickets.json", json={"tickets": [
        {"id": 15, "external_id": "tf-mail-ab12"}, {"id": 12, "external_id": "tf-mail-ab12"},
        {"id": 9, "external_id": "tf-mail-other"}]})
    assert make().find_by_mail_marker("tf-mail-ab12") == "12"


def test_references_as_people_and_mail_write_them() -> None:
    """`#4711` shown, `[Request #4711]` in subjects; found back from either bracketed form
    or `Request #N`, but not from any `#123` a customer writes."""
    refs = ZendeskRefs(BASE)
    assert (refs.display("4711"), refs.subject_tag("4711")) == ("#4711", "[Request #4711]")
    assert refs.web_url("4711") == f"{BASE}/agent/tickets/4711"
    assert refs.in_subject("Re: [Request #4711] Cannot log in") == ["4711"]
    assert refs.in_subject("Fwd: [#12] and Ticket #13") == ["12", "13"]
    assert refs.in_subject("Order #123 failed") == []
    assert (refs.parse("#0042"), refs.parse("4711"), refs.parse("HELP-1")) == ("42", "4711",
                                                                               None)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _backfill_export(catalogue: responses.RequestsMock, *tickets: dict[str, Any]) -> None:
    page = _export(list(tickets), "CUR5")
    page["users"] = _load("ticket_4711.json")["users"]
    catalogue.get(f"{API}/incremental/tickets/cursor.json", json=page,
                  headers={"Date": DATE})


def test_the_backfill_reads_history_from_the_events_export_since_the_oldest_ticket(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """First run, two open tickets: one export page and one events page read from the older
    ticket's creation give both their history; no audits are read."""
    ticket = _load("ticket_4711.json")["ticket"]
    newer = {**ticket, "id": 4712, "created_at": "2026-11-26T15:10:00Z"}
    _backfill_export(catalogue, ticket, newer)
    catalogue.get(f"{API}/incremental/ticket_events.json",
                  json=_load("ticket_events_field_named.json"))
    pages = list(make().changes(None, now=None))  # type: ignore[arg-type]
    changed = {t.ticket.key: t for p in pages for t in p.tickets}
    assert sorted(changed) == ["4711", "4712"]
    assert [(i.kind, i.after) for c in changed["4711"].changes for i in c.items] == [
        ("status", "Reviewing")]
    assert not any("/audits" in (c.request.url or "") for c in catalogue.calls)
    (events_call,) = [c.request.url or "" for c in catalogue.calls
                      if "ticket_events" in (c.request.url or "")]
    assert "start_time=1795705200" in events_call  # 2026-11-26T15:00:00Z, the older one
    assert pages[-1].baseline is not None


def test_the_backfill_reads_audits_when_the_events_would_cost_more(
        catalogue: responses.RequestsMock, make: Callable[..., ZendeskTracker]) -> None:
    """One open ticket whose creation lies behind more than one page of the account's events:
    the events export stops after one request (what one audits read costs) and the ticket's
    audits are read instead."""
    ticket = _load("ticket_4711.json")["ticket"]
    _backfill_export(catalogue, ticket)
    busy = {"ticket_events": [], "count": 1000, "end_time": 1795705300,
            "end_of_stream": False,
            "next_page": f"{API}/incremental/ticket_events.json?start_time=1795705300"}
    catalogue.get(f"{API}/incremental/ticket_events.json", json=busy)
    catalogue.get(f"{API}/tickets/4711/audits.json", json={
        "audits": [{"id": 70001, "ticket_id": 4711, "created_at": "2026-11-26T15:30:00Z",
                    "author_id": 10002, "events": [
                        {"id": 70002, "type": "Change", "field_name": "status",
                         "value": "open", "previous_value": "new"}]}],
        "meta": {"has_more": False}})
    pages = list(make().changes(None, now=None))  # type: ignore[arg-type]
    (changed,) = [t for p in pages for t in p.tickets]
    assert changed.ticket.key == "4711"
    urls = [c.request.url or "" for c in catalogue.calls]
    assert sum("ticket_events" in u for u in urls) == 1
    assert sum("/tickets/4711/audits" in u for u in urls) == 1
