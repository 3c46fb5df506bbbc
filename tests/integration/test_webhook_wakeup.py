"""Webhooks wake a running `ticketflow run`: the sandbox, registered the way install-scheme
will register it, delivers a signed webhook for a change, and the service (polling only once
an hour) polls within a second and acts on the change; Zendesk's sandbox signs in a way the
endpoint accepts too."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jira import JIRA

from connector.clock import SystemClock
from connector.metrics import REGISTRY
from connector.sandbox import API_TOKEN, Sandbox
from connector.sync.wakeup import FLOOR
from connector.web.hooks import HookEndpoint
from connector.web.registration import registration
from connector.web.server import HttpService, service_app

from .processes import until
from .test_service_run import Launcher, installed

SECRET = "webhook-secret-for-the-e2e-test-0123"


@pytest.fixture
def hourly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Launcher]:
    """The sandbox with the scheme installed, and a launcher for a service whose timers are
    an hour apart: anything it does within seconds, a webhook made it do."""
    with installed(tmp_path, monkeypatch, poll_interval="3600", mail_interval="3600",
                   delivery_interval="3600", webhook_secret=SECRET) as launcher:
        yield launcher


def _searches(sandbox: Sandbox) -> int:
    counts = sandbox.request_counts()["by_endpoint"]
    return sum(n for route, n in counts.items() if "/search" in route)


def _metric(url: str, series: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=5).text
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, flags=re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_signed_webhook_makes_the_service_poll_within_a_second(hourly: Launcher) -> None:
    """Registered through Jira's admin webhook resource with the body install-scheme will
    send, the sandbox posts a signed `jira:issue_created` for a new ticket; the service,
    which would next poll in an hour, searches within a second and acknowledges the ticket
    (its delivery, also an hour away, goes at once after a sync that acted). A forged
    webhook is refused 401 and logged once."""
    sandbox = hourly.sandbox
    process = hourly.start()
    assert until(lambda: "cycle done" in hourly.log), hourly.log  # the first run's mirror
    first_sync = time.monotonic()
    hook = registration("jira", public_url=hourly.url, projects=["HELP"], secret=SECRET)
    answer = requests.request(hook.method, sandbox.url + hook.path, json=hook.body,
                              headers=sandbox.auth_headers(), timeout=5)
    assert answer.status_code == 201, answer.text
    alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                 max_retries=0)
    # A service that just polled waits out the floor before the next; this one is idle.
    assert until(lambda: time.monotonic() - first_sync > FLOOR.total_seconds())
    searches = _searches(sandbox)

    changed = time.monotonic()
    alice.create_issue(fields={"project": {"key": "HELP"}, "summary": "Cannot log in",
                               "issuetype": {"name": "Service Request"},
                               "customfield_10072": "pat@uni.example.edu"})
    assert until(lambda: _searches(sandbox) > searches, seconds=5), hourly.log
    assert time.monotonic() - changed < 1.0
    assert until(lambda: any(hourly.outbox.glob("*request_submitted*.eml")), seconds=10), \
        hourly.log
    # The creation, and ticketflow's own categorising coming back: each accepted.
    deliveries = sandbox.webhook_deliveries()
    assert {d.status for d in deliveries} == {202}
    assert _metric(hourly.url, 'ticketflow_webhooks_total{outcome="accepted",tracker="jira"}') \
        == len(deliveries)
    assert _metric(hourly.url, "ticketflow_woken_polls_total") >= 1.0

    for _ in range(3):
        forged = requests.post(f"{hourly.url}/hooks/jira", data=b"{}", timeout=5,
                               headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 401
    hourly.stop(process)
    assert hourly.log.count("refused (bad_signature)") == 1
    assert SECRET not in hourly.log


def test_zendesk_sandbox_signatures_pass_the_endpoint() -> None:
    """The Zendesk sandbox signs as Zendesk documents (its own code, not ours): a webhook
    created with the registration body, its signing secret read back as an admin would, is
    accepted at /hooks/zendesk for a ticket change and wakes the poller."""
    woken: list[int] = []
    with Sandbox(tracker="zendesk") as sandbox:
        hook = registration("zendesk", public_url="http://127.0.0.1:1", projects=[],
                            secret="")
        api = requests.Session()
        api.headers.update(sandbox.auth_headers())
        created = api.post(sandbox.url + hook.path, json=hook.body, timeout=5).json()
        ident = created["webhook"]["id"]
        secret = api.get(f"{sandbox.url}/api/v2/webhooks/{ident}/signing_secret",
                         timeout=5).json()["signing_secret"]["secret"]
        endpoint = HookEndpoint(secret=secret, wake=lambda: woken.append(1),
                                clock=SystemClock())
        http = HttpService(service_app(health=lambda: (True, "ok"), hooks=endpoint),
                           host="127.0.0.1", port=0).start()
        try:
            # Point the webhook at the service now that its port is known.
            with sandbox.store.lock:
                sandbox.store.webhooks[ident].endpoint = f"{http.url}/hooks/zendesk"
            before = REGISTRY.get_sample_value(
                "ticketflow_webhooks_total", {"tracker": "zendesk", "outcome": "accepted"}) or 0
            api.post(f"{sandbox.url}/api/v2/tickets", timeout=5, json={"ticket": {
                "subject": "Locked out", "comment": {"body": "Please help"},
                "requester": "pat@uni.example.edu"}}).raise_for_status()
            deliveries = sandbox.webhook_deliveries()
        finally:
            http.close()
    assert deliveries and {d.status for d in deliveries} == {202}
    assert len(woken) == len(deliveries)
    assert REGISTRY.get_sample_value("ticketflow_webhooks_total", {
        "tracker": "zendesk", "outcome": "accepted"}) == before + len(deliveries)
