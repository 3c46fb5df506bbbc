"""Webhooks wake a running `ticketflow run`: the sandbox, registered the way install-scheme
registers it (on Zendesk, by install-scheme itself), delivers a signed webhook for a change,
and the service (polling only once an hour) polls within a second and acts on the change."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from jira import JIRA

from connector.cli import main
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.sync.wakeup import FLOOR, LAG_MARGIN
from connector.tracker.zendesk.feed import LAG
from connector.web.registration import registration

from .processes import free_port, until
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


def _exports(sandbox: Sandbox) -> int:
    counts = sandbox.request_counts()["by_endpoint"]
    return sum(n for route, n in counts.items() if "/incremental/" in route)


def test_install_scheme_registers_zendesk_s_webhook_whose_deliveries_wake_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """install-scheme on the Zendesk sandbox, TICKETFLOW_PUBLIC_URL set and no secret yet,
    creates the webhook to /hooks/zendesk and says to set TICKETFLOW_WEBHOOK_SECRET (never
    showing it). With the signing secret read back as an admin would and set, a second
    install-scheme writes no webhook and says it is verified. `run`, polling once an hour on
    a clock the test moves, then gets a delivery signed by the sandbox (Zendesk's way, not
    our code) for a new ticket and accepts it; it does not poll while the export cannot show
    the change yet (past the floor), and polls it within a second once its clock passes the
    export's minute and the margin."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with Sandbox(tracker="zendesk") as sandbox:
        env = {"TICKETFLOW_ZENDESK_URL": sandbox.url, "TICKETFLOW_ZENDESK_EMAIL": API_USER,
               "TICKETFLOW_ZENDESK_TOKEN": API_TOKEN, "TICKETFLOW_PUBLIC_URL": url,
               "TICKETFLOW_STATE_DB": str(tmp_path / "state.db"),
               "TICKETFLOW_OUTBOX_DIR": str(tmp_path / "outbox"),
               "TICKETFLOW_CONFIG_DIR": str(config_dir_for("zendesk", tmp_path))}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(["install-scheme"]) == 0
        out = capsys.readouterr().out
        assert f"done: register webhook to {url}/hooks/zendesk (id " in out
        assert "! webhook: set TICKETFLOW_WEBHOOK_SECRET to this webhook's signing secret" in out
        api = requests.Session()
        api.headers.update(sandbox.auth_headers())
        (hook,) = api.get(f"{sandbox.url}/api/v2/webhooks", timeout=5).json()["webhooks"]
        secret = api.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}/signing_secret",
                         timeout=5).json()["signing_secret"]["secret"]
        assert secret not in out

        monkeypatch.setenv("TICKETFLOW_WEBHOOK_SECRET", secret)
        sandbox.reset_request_counts()
        assert main(["install-scheme"]) == 0
        out = capsys.readouterr().out
        assert f"= webhook to {url}/hooks/zendesk exists (id {hook['id']}; active;" in out
        assert "verified end to end" in out and secret not in out
        assert sandbox.request_counts()["writes"] == 0

        launcher = Launcher(sandbox, tmp_path)
        launcher.port, launcher.url = port, url
        launcher.env = {**os.environ, "TICKETFLOW_HTTP_PORT": str(port),
                        "TICKETFLOW_POLL_INTERVAL": "3600", "TICKETFLOW_MAIL_INTERVAL": "3600",
                        "TICKETFLOW_DELIVERY_INTERVAL": "3600"}
        clock = tmp_path / "clock"
        started = datetime.now(UTC)
        clock.write_text(started.isoformat())
        process = launcher.start(run_options=["--clock-file", str(clock)])
        try:
            assert until(lambda: "cycle done" in launcher.log), launcher.log
            exports = _exports(sandbox)
            api.post(f"{sandbox.url}/api/v2/tickets", timeout=5, json={"ticket": {
                "subject": "Locked out", "comment": {"body": "Please help"},
                "requester": "pat@uni.example.edu"}}).raise_for_status()
            assert until(lambda: any(d.status == 202 for d in sandbox.webhook_deliveries())), \
                launcher.log
            # Past the floor, not past the export's minute: a poll now could not see the
            # ticket, so none comes (the loop looks at least once a second).
            clock.write_text((started + (LAG + LAG_MARGIN) / 2).isoformat())
            moved = time.monotonic()
            assert until(lambda: time.monotonic() - moved > 2.5)
            assert _exports(sandbox) == exports, launcher.log
            clock.write_text((started + LAG + LAG_MARGIN).isoformat())
            moved = time.monotonic()
            assert until(lambda: _exports(sandbox) > exports, seconds=5), launcher.log
            assert time.monotonic() - moved < 1.5
            deliveries = sandbox.webhook_deliveries()
            assert deliveries and {d.status for d in deliveries} == {202}
            assert _metric(url, 'ticketflow_webhooks_total{outcome="accepted",'
                           'tracker="zendesk"}') == len(deliveries)
            assert _metric(url, "ticketflow_woken_polls_total") >= 1.0
            launcher.stop(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert secret not in launcher.log
