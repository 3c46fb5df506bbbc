"""Only one processor, over the sandbox and a real Maildir: a second ticketflow with its own
state file refuses to act on a tracker another one holds (until `--take-over` after a stale
heartbeat), and a running service whose state file is deleted stops."""

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
from connector.sandbox import Sandbox

from .conftest import operator_env
from .processes import free_port, until

ROOT = Path(__file__).resolve().parents[2]
MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("America/Chicago"))
REQUEST = (ROOT / "tests" / "fixtures" / "mail" / "request-plain.eml").read_bytes()
OWNER = "/rest/api/3/project/HELP/properties/ticketflow.owner"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The sandbox with the workflow installed; one Maildir for every instance."""
    with Sandbox("cloud", now=MONDAY, time_zone="America/Chicago") as sandbox:
        operator_env(monkeypatch, sandbox, tmp_path)
        monkeypatch.setenv("TICKETFLOW_MAILDIR", str(tmp_path / "Maildir"))
        monkeypatch.setenv("TICKETFLOW_CONFIG_DIR", str(ROOT))
        assert main(["install-scheme"]) == 0
        yield sandbox


def _once(sandbox: Sandbox, state: Path, now: datetime, *extra: str,
          monkeypatch: pytest.MonkeyPatch) -> int:
    """`ticketflow once` at `now` (Jira's clock too) on the state file `state`."""
    sandbox.set_clock(now)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(state))
    return main(["once", "--now", now.isoformat(), *extra])


def _issues(sandbox: Sandbox) -> int:
    return len(sandbox.store.issues)


def test_a_second_instance_with_another_state_refuses_and_says_who_holds_it(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Instance A (state a.db) claims the project at its first run. Instance B (state b.db,
    same Jira, same mailbox) exits 3 naming A's state and reads no mail: one ticket per mail.
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
    assert "Jira project HELP is claimed by another ticketflow (state " + str(a) in refusal
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
    """Between heartbeats (every 15 minutes) a cron-driven `once` asks Jira nothing about the
    claim: the idle cycle stays one search; a due heartbeat reads and renews the claim."""
    state = tmp_path / "state.db"
    assert _once(sandbox, state, MONDAY, monkeypatch=monkeypatch) == 0
    counts = []
    for minute in (5, 10, 16):
        sandbox.reset_request_counts()
        assert _once(sandbox, state, MONDAY + timedelta(minutes=minute),
                     monkeypatch=monkeypatch) == 0
        counts.append(sandbox.request_counts()["by_endpoint"])
    assert counts[0] == counts[1] == {"POST /rest/api/3/search/jql": 1}
    assert {name: n for name, n in counts[2].items() if "properties" in name} == {
        "GET /rest/api/3/project/{project}/properties/{property}": 1,
        "PUT /rest/api/3/project/{project}/properties/{property}": 1}


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
