"""install-scheme's Zendesk webhook against `responses`: created once, kept when it is as
wanted, corrected when it is not, nothing written on a dry run, every page of webhooks read,
a wrong-shaped answer a transient error, the signing secret compared and never printed."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from pydantic import SecretStr
from responses import matchers

from connector.errors import MalformedAnswerError
from connector.http.retry import Retrier
from connector.settings import Settings
from connector.tracker.zendesk.client import ZendeskClient, connect
from connector.tracker.zendesk.webhooks import register_webhook
from connector.web.registration import Registration, registration

from .conftest import FakeTime

BASE = "https://acme.zendesk.com"
HOOKS = f"{BASE}/api/v2/webhooks"
URL = "https://helpdesk.example.edu/hooks/zendesk"
ZENDESKS = "zendesk-made-signing-secret-0123456789"
ID = "01GXNP5CNYC4BJ9YE1ZCTQ1H8M"


@pytest.fixture
def client(retrier: Retrier) -> ZendeskClient:
    return connect(Settings(zendesk_url=BASE, zendesk_email="admin@acme.test",
                            zendesk_token=SecretStr("tok"), _env_file=None), retrier=retrier)


def _hook(secret: str | None = None) -> Registration:
    return registration("zendesk", public_url="https://helpdesk.example.edu/", projects=[],
                        secret=secret)


def _ours(**changed: Any) -> dict[str, Any]:
    """The webhook as Zendesk lists it after install-scheme made it, with `changed`."""
    return {**_hook().body["webhook"], "id": ID, "created_at": "2026-11-26T16:00:00Z",
            "created_by": "10001", **changed}


def _page(*hooks: dict[str, Any], after: str | None = None) -> dict[str, Any]:
    return {"webhooks": list(hooks), "meta": {"has_more": after is not None,
                                              "after_cursor": after, "before_cursor": None},
            "links": {"next": None, "prev": None}}


def _secret(mocked: responses.RequestsMock, secret: Any = ZENDESKS) -> None:
    mocked.get(f"{HOOKS}/{ID}/signing_secret",
               json={"signing_secret": {"algorithm": "SHA256", "secret": secret}})


def _run(client: ZendeskClient, hook: Registration, *, dry_run: bool = False
         ) -> tuple[bool, str]:
    said: list[str] = []
    in_place = register_webhook(client, hook, dry_run=dry_run, echo=said.append)
    return in_place, "\n".join(said)


def _writes(mocked: responses.RequestsMock) -> list[tuple[str, str]]:
    return [(str(c.request.method), str(c.request.url)) for c in mocked.calls
            if c.request.method != "GET"]


def test_a_missing_webhook_is_created_and_the_admin_told_to_set_its_secret(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """No webhook posts to /hooks/zendesk yet: one POST with the registration body, then its
    signing secret is read; TICKETFLOW_WEBHOOK_SECRET being unset, the output says to set it
    and where to read it, and never shows the secret."""
    mocked.get(HOOKS, json=_page(_ours(id="01OTHER", endpoint="https://crm.example/zd")))
    mocked.post(HOOKS, status=201, json={"webhook": _ours()})
    _secret(mocked)
    in_place, out = _run(client, _hook())
    assert in_place
    assert _writes(mocked) == [("POST", HOOKS)]
    assert json.loads(mocked.calls[1].request.body or b"") == _hook().body
    assert f"done: register webhook to {URL} (id {ID}; ticket.created," in out
    assert "! webhook: set TICKETFLOW_WEBHOOK_SECRET to this webhook's signing secret" in out
    assert f"GET /api/v2/webhooks/{ID}/signing_secret" in out
    assert ZENDESKS not in out


def test_a_webhook_as_wanted_is_kept_and_a_matching_secret_verified(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """The webhook is there, active and subscribed as wanted (in another order, under a name
    the admin gave it), and TICKETFLOW_WEBHOOK_SECRET is its signing secret: nothing is
    written, and the output says both."""
    wanted = list(reversed(_hook().body["webhook"]["subscriptions"]))
    mocked.get(HOOKS, json=_page(_ours(subscriptions=wanted, name="Wake ticketflow")))
    _secret(mocked)
    in_place, out = _run(client, _hook(ZENDESKS))
    assert in_place
    assert _writes(mocked) == []
    assert f"= webhook to {URL} exists (id {ID}; active;" in out
    assert "verified end to end" in out
    assert ZENDESKS not in out


def test_a_webhook_that_differs_is_put_right_and_a_wrong_secret_said(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """An inactive webhook missing a subscription is replaced by one PUT with ticketflow's
    settings (keeping the admin's name), the output names each difference; a
    TICKETFLOW_WEBHOOK_SECRET that is not the signing secret is said to make `run` refuse
    deliveries, without showing either secret."""
    subscriptions = _hook().body["webhook"]["subscriptions"][:-1]
    mocked.get(HOOKS, json=_page(_ours(status="inactive", subscriptions=subscriptions,
                                       name="Wake ticketflow")))
    mocked.put(f"{HOOKS}/{ID}", status=204)
    _secret(mocked)
    in_place, out = _run(client, _hook("an-old-secret-we-once-had-012345"))
    assert in_place
    assert _writes(mocked) == [("PUT", f"{HOOKS}/{ID}")]
    sent = json.loads(mocked.calls[1].request.body or b"")["webhook"]
    assert sent == {**_hook().body["webhook"], "name": "Wake ticketflow"}
    assert (f"done: update webhook {ID} to {URL}: status 'inactive', wanted 'active'; "
            "not subscribed to zen:event-type:ticket.custom_field_changed") in out
    assert "TICKETFLOW_WEBHOOK_SECRET is not this webhook's signing secret" in out
    assert "an-old-secret" not in out and ZENDESKS not in out


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """--dry-run: with no webhook, `+ register ...`; with one that differs, `~ update ...`
    naming the difference; neither POSTs nor PUTs, and neither says the webhook is in
    place."""
    mocked.get(HOOKS, json=_page())
    in_place, out = _run(client, _hook(), dry_run=True)
    assert (in_place, _writes(mocked)) == (False, [])
    assert out.startswith(f"+ register webhook to {URL} (ticket.created, ")
    mocked.replace(responses.GET, HOOKS, json=_page(_ours(request_format="xml")))
    _secret(mocked)
    in_place, out = _run(client, _hook(ZENDESKS), dry_run=True)
    assert (in_place, _writes(mocked)) == (False, [])
    assert f"~ update webhook {ID} to {URL}: request_format 'xml', wanted 'json'" in out


def test_every_page_of_webhooks_is_read_to_find_ours(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """Ours is on the second cursor page: it is found there (`page[after]` from the first
    page's `meta.after_cursor`), so nothing is created twice."""
    others = [_ours(id=f"01OTHER{n}", endpoint=f"https://crm.example/{n}") for n in range(3)]
    mocked.get(HOOKS, json=_page(*others, after="CUR2"), match=[
        matchers.query_param_matcher({"page[size]": "100"})])
    mocked.get(HOOKS, json=_page(_ours()), match=[
        matchers.query_param_matcher({"page[size]": "100", "page[after]": "CUR2"})])
    _secret(mocked)
    in_place, out = _run(client, _hook(ZENDESKS))
    assert in_place and _writes(mocked) == []
    assert f"= webhook to {URL} exists (id {ID};" in out


@pytest.mark.parametrize("answer", [
    {"webhooks": {"id": ID}},  # an object where the list belongs
    _page(_ours(subscriptions="zen:event-type:ticket.created")),
    _page(_ours(id="../../users/me")),
])
def test_a_wrong_shaped_list_is_a_transient_error_and_nothing_is_written(
        mocked: responses.RequestsMock, client: ZendeskClient, answer: Any) -> None:
    """A list, a webhook's subscriptions or its id in the wrong shape is a
    MalformedAnswerError (retriable), not a crash and not a second webhook."""
    mocked.get(HOOKS, json=answer)
    with pytest.raises(MalformedAnswerError):
        _run(client, _hook())
    assert _writes(mocked) == []


def test_a_wrong_shaped_signing_secret_is_a_transient_error(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """A signing secret that is not a string is a MalformedAnswerError, never taken as a
    mismatch (which would send the admin to change a setting that is right)."""
    mocked.get(HOOKS, json=_page(_ours()))
    _secret(mocked, secret=12345)
    with pytest.raises(MalformedAnswerError, match="webhook signing secret"):
        _run(client, _hook(ZENDESKS))


def test_a_token_without_admin_rights_gets_the_steps_by_hand(
        mocked: responses.RequestsMock, client: ZendeskClient) -> None:
    """Zendesk answers 403 to an agent's token: the administrator's steps are printed (the
    fallback), nothing is written, and the webhook is not said to be in place."""
    mocked.get(HOOKS, status=403, json={"error": "Forbidden", "description": "no access"})
    in_place, out = _run(client, _hook())
    assert (in_place, _writes(mocked)) == (False, [])
    assert out.startswith("! webhook: Zendesk lets only admins manage webhooks")
    assert "    Admin Center > Apps and integrations > Webhooks" in out
    assert f"Endpoint URL: {URL}" in out


def test_a_429_is_waited_out_by_the_one_retry_layer(
        mocked: responses.RequestsMock, client: ZendeskClient, fake_time: FakeTime) -> None:
    """The webhook calls go through the adapter's retry layer: a 429 on the list is waited
    out as its Retry-After asks, then the webhook is found."""
    mocked.get(HOOKS, status=429, headers={"Retry-After": "7"})
    mocked.get(HOOKS, json=_page(_ours()))
    _secret(mocked)
    in_place, _ = _run(client, _hook(ZENDESKS))
    assert in_place
    assert fake_time.waits == [7.0]
