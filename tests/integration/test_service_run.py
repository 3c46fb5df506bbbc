"""`ticketflow run` as operators run it: a real process against the sandbox."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from jira import JIRA

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    """Wait for a real process to reach a state (bounded; the process runs on real time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    with Sandbox("cloud") as sandbox:
        port = _free_port()
        env = {**os.environ, "TICKETFLOW_JIRA_URL": sandbox.url,
               "TICKETFLOW_JIRA_EMAIL": API_USER, "TICKETFLOW_JIRA_TOKEN": API_TOKEN,
               "TICKETFLOW_STATE_DB": str(tmp_path / "state.db"),
               "TICKETFLOW_OUTBOX_DIR": str(tmp_path / "outbox"),
               "TICKETFLOW_CONFIG_DIR": str(ROOT), "TICKETFLOW_HTTP_PORT": str(port),
               "TICKETFLOW_POLL_INTERVAL": "1", "TICKETFLOW_MAIL_INTERVAL": "1",
               "TICKETFLOW_DELIVERY_INTERVAL": "1"}
        for key, value in env.items():
            if key.startswith("TICKETFLOW_"):
                monkeypatch.setenv(key, value)
        assert main(["install-scheme"]) == 0
        log = (tmp_path / "run.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "connector", "-vv", "run"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            yield {"process": process, "url": f"http://127.0.0.1:{port}", "env": env,
                   "sandbox": sandbox, "outbox": tmp_path / "outbox",
                   "log": tmp_path / "run.log"}
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_run_serves_health_and_metrics_handles_work_and_stops_cleanly(
        service: dict[str, object]) -> None:
    """/healthz turns 200 after a sync, /metrics carries the documented series, a new ticket
    is acknowledged by the running loop, /feedback/ answers (and its token stays out of even
    debug logs), an overlapping `once` refuses with a clear message, and SIGTERM ends the
    process with exit code 0 within a few seconds."""
    url = str(service["url"])
    process = service["process"]
    assert isinstance(process, subprocess.Popen)
    assert _until(lambda: _healthy(url)), Path(str(service["log"])).read_text()

    sandbox = service["sandbox"]
    assert isinstance(sandbox, Sandbox)
    alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                 max_retries=0)
    alice.create_issue(fields={"project": {"key": "HELP"}, "summary": "Cannot log in",
                               "issuetype": {"name": "Service Request"},
                               "customfield_10072": "pat@uni.example.edu"})
    outbox = Path(str(service["outbox"]))
    assert _until(lambda: any(outbox.glob("*request_submitted*.eml"))), \
        Path(str(service["log"])).read_text()

    metrics = requests.get(f"{url}/metrics", timeout=5).text
    for series in ('ticketflow_cycles_total{result="ok"}',
                   'ticketflow_tracker_requests_total{outcome="ok"}',
                   "ticketflow_cycle_duration_seconds_bucket",
                   'ticketflow_bookmark_lag_seconds{project="HELP"}',
                   'ticketflow_rule_actions_total{rule="acknowledge",status="done"}',
                   'ticketflow_messages_total{status="sent",template="request_submitted"}',
                   "ticketflow_rate_limit_waits_total", "ticketflow_census_gap"):
        assert series in metrics, series

    forged = requests.get(f"{url}/feedback/c2VjcmV0LXRva2Vu.forged", timeout=5)
    assert forged.status_code == 403           # the form is mounted; a forged token is refused
    assert "c2VjcmV0LXRva2Vu" not in Path(str(service["log"])).read_text()

    second = subprocess.run([sys.executable, "-m", "connector", "once"],
                            env=service["env"], capture_output=True, text=True,  # type: ignore[arg-type]
                            timeout=60, check=False)
    assert second.returncode == 1
    assert "another ticketflow is already working on state" in second.stderr

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    assert "received SIGTERM" in Path(str(service["log"])).read_text()
