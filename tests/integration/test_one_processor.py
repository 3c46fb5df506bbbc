"""Only one processor, over the sandbox and a real Maildir, on Jira Cloud and on Zendesk: a
second ticketflow with its own state file refuses to act on a tracker another one holds (until
`--take-over` after a stale heartbeat), and a running service whose state file is deleted
stops."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from connector.cli import main
from connector.config.shipped import config_dir_for
from connector.sandbox import API_TOKEN, API_USER, Sandbox

from .conftest import operator_env
from .processes import free_port, until

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
REQUEST = (ROOT / "tests" / "fixtures" / "mail" / "request-plain.eml").read_bytes()
# What names the tracker in a refusal, and what an idle cycle and a heartbeat ask of it.
WHERE = {"jira": "Jira project HELP", "zendesk": "Zendesk project SUPPORT"}
FEED = {"jira": {"POST /rest/api/3/search/jql": 1},
        "zendesk": {"GET /api/v2/incremental/tickets/cursor": 1}}
HEARTBEAT = {"jira": {"GET /rest/api/3/project/{project}/properties/{property}": 1,
                      "PUT /rest/api/3/project/{project}/properties/{property}": 1},
             "zendesk": {"GET /api/v2/ticket_fields/{id}": 1,
                         "PUT /api/v2/ticket_fields/{id}": 1}}


@pytest.fixture(params=["jira", "zendesk"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The sandbox (Jira Cloud or Zendesk) with the workflow installed; one Maildir for every
    instance."""
    zendesk = request.param == "zendesk"
    sandbox = (Sandbox(tracker="zendesk", now=MONDAY) if zendesk else
               Sandbox("cloud", now=MONDAY, time_zone="America/Chicago"))
    with sandbox:
        operator_env(monkeypatch, sandbox, tmp_path)
        if zendesk:
            for name in ("URL", "EMAIL", "TOKEN"):
                monkeypatch.delenv(f"TICKETFLOW_JIRA_{name}")
            monkeypatch.setenv("TICKETFLOW_ZENDESK_URL", sandbox.url)
            monkeypatch.setenv("TICKETFLOW_ZENDESK_EMAIL", API_USER)
            monkeypatch.setenv("TICKETFLOW_ZENDESK_TOKEN", API_TOKEN)
        monkeypatch.setenv("TICKETFLOW_MAILDIR", str(tmp_path / "Maildir"))
        monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(
            config_dir_for(sandbox.tracker, tmp_path)))
        assert main(["install-scheme"]) == 0
        yield sandbox


def _once(sandbox: Sandbox, state: Path, now: datetime, *extra: str,
          monkeypatch: pytest.MonkeyPatch) -> int:
    """`ticketflow once` at `now` (Jira's clock too) on the state file `state`."""
    sandbox.set_clock(now)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(state))
    return main(["once", "--now", now.isoformat(), *extra])


def _issues(sandbox: Sandbox) -> int:
    return len(sandbox.store.tickets if sandbox.tracker == "zendesk" else sandbox.store.issues)


def test_a_second_instance_with_another_state_refuses_and_says_who_holds_it(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Instance A (state a.db) claims the tracker at its first run. Instance B (state b.db,
    same tracker, same mailbox) exits 3 naming A's state and reads no mail: one ticket per mail.
    `--take-over` is refused while A's heartbeat is fresh and accepted an hour after it; A
    then stops at its next run, saying it was taken over."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert _once(sandbox, a, MONDAY, monkeypatch=monkeypatch) == 0
    box.add(REQUEST)
    assert _once(sandbox, a, MONDAY + timedelta(minutes=1), monkeypatch=monkeypatch) == 0
    assert _issues(sandbox) == 1
    capsys.readouterr()

    box.add(REQUEST.replace(b"Message-ID: <", b"Message-ID: <second-"))
    assert _once(sandbox, b, MONDAY + timedelta(minutes=2), monkeypatch=monkeypatch) == 3
    refusal = capsys.readouterr().err
    assert f"{WHERE[sandbox.tracker]} is claimed by another ticketflow (state {a}" in refusal
    assert "last heartbeat was 2 minutes ago; this one does not act" in refusal
    assert _issues(sandbox) == 1 and len(list((tmp_path / "Maildir" / "new").iterdir())) == 1

    assert _once(sandbox, b, MONDAY + timedelta(minutes=3), "--take-over",
                 monkeypatch=monkeypatch) == 3
    assert "--take-over refused" in capsys.readouterr().err
    later = MONDAY + timedelta(hours=1, minutes=2)       # A is gone: no heartbeat for an hour
    assert _once(sandbox, b, later, "--take-over", monkeypatch=monkeypatch) == 0
    assert _issues(sandbox) == 2                          # B acts: the waiting mail, once

    assert _once(sandbox, a, later + timedelta(minutes=1), monkeypatch=monkeypatch) == 3
    assert f"claimed by another ticketflow (state {b}" in capsys.readouterr().err


def test_an_idle_cron_run_asks_the_claim_only_when_its_heartbeat_is_due(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between heartbeats (every 15 minutes) a cron-driven `once` asks the tracker nothing
    about the claim: the idle cycle stays one request (Jira's search, Zendesk's export); a due
    heartbeat reads and renews the claim (one read and one write)."""
    state = tmp_path / "state.db"
    assert _once(sandbox, state, MONDAY, monkeypatch=monkeypatch) == 0
    counts = []
    for minute in (5, 10, 16):
        sandbox.reset_request_counts()
        assert _once(sandbox, state, MONDAY + timedelta(minutes=minute),
                     monkeypatch=monkeypatch) == 0
        counts.append(sandbox.request_counts()["by_endpoint"])
    assert counts[0] == counts[1] == FEED[sandbox.tracker]
    assert {name: n for name, n in counts[2].items()
            if name not in FEED[sandbox.tracker]} == HEARTBEAT[sandbox.tracker]


def test_a_running_service_whose_state_file_is_deleted_stops_with_exit_3(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """`ticketflow run` is serving; its state file is deleted (by mistake, a clean-up job):
    it stops by itself, with exit code 3 and a line that says what happened, instead of
    going on beside a second ticketflow that would start on a new state."""
    port = free_port()
    env = {**os.environ, "TICKETFLOW_STATE_DB": str(tmp_path / "state.db"),
           "TICKETFLOW_HTTP_PORT": str(port), "TICKETFLOW_POLL_INTERVAL": "1",
           "TICKETFLOW_MAIL_INTERVAL": "1", "TICKETFLOW_DELIVERY_INTERVAL": "1"}
    sandbox.follow_base_clock()
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "connector", "run"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        assert until(lambda: _healthy(port)), log.read_text()
        (tmp_path / "state.db").unlink()
        assert process.wait(timeout=20) == 3, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert f"the state file {tmp_path / 'state.db'} was deleted under this service" in \
        log.read_text()


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
