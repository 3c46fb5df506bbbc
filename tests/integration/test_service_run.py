"""`ticketflow run` as operators run it: a real process against the sandbox. It says what it
does at the default verbosity (and nothing but warnings with -q), and a mail server that hangs
or is down holds nothing else back and shows in /healthz."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from jira import JIRA

from connector import __version__
from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox

from .processes import free_port, until
from .smtp_sink import BareServer

ROOT = Path(__file__).resolve().parents[2]


class Launcher:
    """Starts `python -m connector ... run` against one sandbox, as an operator would."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbox = tmp_path / "outbox"
        self.env = {**os.environ, "TICKETFLOW_JIRA_URL": sandbox.url,
                    "TICKETFLOW_JIRA_EMAIL": API_USER, "TICKETFLOW_JIRA_TOKEN": API_TOKEN,
                    "TICKETFLOW_STATE_DB": str(tmp_path / "state.db"),
                    "TICKETFLOW_OUTBOX_DIR": str(self.outbox),
                    "TICKETFLOW_PUBLIC_URL": "https://helpdesk.example.edu",
                    "TICKETFLOW_CONFIG_DIR": str(ROOT), "TICKETFLOW_HTTP_PORT": str(self.port),
                    "TICKETFLOW_POLL_INTERVAL": "1", "TICKETFLOW_MAIL_INTERVAL": "1",
                    "TICKETFLOW_DELIVERY_INTERVAL": "1"}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, *options: str, run_options: Sequence[str] = (),
              **env: str) -> subprocess.Popen[bytes]:
        self.env.update({f"TICKETFLOW_{k.upper()}": v for k, v in env.items()})
        self.logs.append(self.tmp_path / f"run{len(self.logs)}.log")
        with self.logs[-1].open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "connector", *options, "run",
                                        *run_options],
                                       env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    @property
    def log(self) -> str:
        return self.logs[-1].read_text()

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM, as systemd and Docker stop a service; it must exit 0, soon."""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, self.log

    def new_ticket(self) -> None:
        alice = JIRA(server=self.sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                     max_retries=0)
        alice.create_issue(fields={"project": {"key": "HELP"}, "summary": "Cannot log in",
                                   "issuetype": {"name": "Service Request"},
                                   "customfield_10072": "pat@uni.example.edu"})


@contextmanager
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              **settings: str) -> Iterator[Launcher]:
    """A sandbox with the scheme installed, and a launcher for `run` against it whose
    environment also holds `settings` (`poll_interval="3600"`); processes it left running are
    killed at the end."""
    with Sandbox("cloud") as sandbox:
        launcher = Launcher(sandbox, tmp_path)
        launcher.env.update({f"TICKETFLOW_{k.upper()}": v for k, v in settings.items()})
        for key, value in launcher.env.items():
            if key.startswith("TICKETFLOW_"):
                monkeypatch.setenv(key, value)
        assert main(["install-scheme"]) == 0
        try:
            yield launcher
        finally:
            for process in launcher.processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()


@pytest.fixture
def launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Launcher]:
    with installed(tmp_path, monkeypatch) as launcher:
        yield launcher


@pytest.fixture
def service(launcher: Launcher) -> dict[str, object]:
    process = launcher.start("-vv")
    return {"process": process, "url": launcher.url, "env": launcher.env,
            "sandbox": launcher.sandbox, "outbox": launcher.outbox, "log": launcher.logs[-1]}


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_run_serves_health_and_metrics_handles_work_and_stops_cleanly(
        service: dict[str, object]) -> None:
    """/healthz turns 200 after a sync, /metrics carries the documented series, a new ticket
    is acknowledged by the running loop, /feedback/ answers (and its token stays out of even
    debug logs), an overlapping `once` refuses with a clear message (exit 3), and SIGTERM ends the
    process with exit code 0 within a few seconds."""
    url = str(service["url"])
    process = service["process"]
    assert isinstance(process, subprocess.Popen)
    assert until(lambda: _healthy(url)), Path(str(service["log"])).read_text()

    sandbox = service["sandbox"]
    assert isinstance(sandbox, Sandbox)
    alice = JIRA(server=sandbox.url, basic_auth=("alice@example.edu", API_TOKEN),
                 max_retries=0)
    alice.create_issue(fields={"project": {"key": "HELP"}, "summary": "Cannot log in",
                               "issuetype": {"name": "Service Request"},
                               "customfield_10072": "pat@uni.example.edu"})
    outbox = Path(str(service["outbox"]))
    assert until(lambda: any(outbox.glob("*request_submitted*.eml"))), \
        Path(str(service["log"])).read_text()

    metrics = requests.get(f"{url}/metrics", timeout=5).text
    for series in ('ticketflow_cycles_total{result="ok"}',
                   'ticketflow_tracker_requests_total{outcome="ok"}',
                   "ticketflow_cycle_duration_seconds_bucket",
                   'ticketflow_bookmark_lag_seconds{project="HELP"}',
                   'ticketflow_rule_actions_total{project="HELP",rule="acknowledge",'
                   'status="done"}',
                   'ticketflow_messages_total{project="HELP",status="sent",'
                   'template="request_submitted"}',
                   'ticketflow_open_tickets{project="HELP"}',
                   "ticketflow_rate_limit_waits_total", "ticketflow_census_gap"):
        assert series in metrics, series

    forged = requests.get(f"{url}/feedback/c2VjcmV0LXRva2Vu.forged", timeout=5)
    assert forged.status_code == 403           # the form is mounted; a forged token is refused
    assert "c2VjcmV0LXRva2Vu" not in Path(str(service["log"])).read_text()

    second = subprocess.run([sys.executable, "-m", "connector", "once"],
                            env=service["env"], capture_output=True, text=True,  # type: ignore[arg-type]
                            timeout=60, check=False)
    assert second.returncode == 3  # the lease is held: another replica does the work
    assert "another ticketflow is already working on state" in second.stderr
    assert f"pid {process.pid}, lease until" in second.stderr

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    assert "received SIGTERM" in Path(str(service["log"])).read_text()


def _metric(url: str, series: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(series))


def test_run_tells_a_new_operator_what_it_does_and_q_quiets_it(launcher: Launcher) -> None:
    """Started with no option, `run` logs at info: its version, the tracker and project, where
    /healthz and /metrics are, mail in and out, the intervals, then one line per cycle with
    counts and tracker requests (a new ticket shows as performed actions and a sent message);
    no debug lines. With -q the same start says nothing at all."""
    process = launcher.start()
    assert until(lambda: _healthy(launcher.url)), launcher.log
    launcher.new_ticket()
    assert until(lambda: "messages_sent=1" in launcher.log), launcher.log
    launcher.stop(process)
    log = launcher.log
    assert f"ticketflow {__version__} started: tracker {launcher.sandbox.url} (cloud), " \
        "project HELP" in log
    assert f"serving /healthz, /metrics, /feedback/ and /report on {launcher.url}" in log
    assert "mail in: none; mail out: outbox folder" in log
    assert "every 1s mail, 1s poll, 1s delivery" in log
    cycles = [line for line in log.splitlines() if " connector.cycle: cycle done " in line]
    assert cycles and all(" tracker_requests=" in line and " mail_read=" in line
                          for line in cycles)
    assert any("actions_performed=2 actions_skipped=0 actions_failed=0" in line
               for line in cycles), cycles
    assert " debug " not in log and "service stopped" in log

    quiet = launcher.start("-q")
    assert until(lambda: _healthy(launcher.url))
    launcher.stop(quiet)
    assert launcher.log == ""


def test_a_hanging_mail_server_holds_nothing_back_and_shows_in_healthz(
        launcher: Launcher) -> None:
    """With a mail server that accepts the connection and never answers, syncs go on every
    second while delivery waits on it; once the wait times out, /healthz answers 503 saying
    delivery is stuck and why; SIGTERM still stops the service in seconds."""
    with BareServer(greeting=None) as hanging:
        process = launcher.start(smtp_url=hanging.url + "&timeout=4")
        assert until(lambda: _healthy(launcher.url)), launcher.log
        launcher.new_ticket()
        assert until(lambda: hanging.connections == 1), launcher.log
        synced = _metric(launcher.url, 'ticketflow_cycles_total{result="ok"}')
        assert until(lambda: _metric(launcher.url, 'ticketflow_cycles_total{result="ok"}')
                      >= synced + 2, seconds=3.5), "syncs waited for delivery"
        assert until(lambda: not _healthy(launcher.url)), launcher.log
        health = requests.get(f"{launcher.url}/healthz", timeout=5)
        assert health.status_code == 503
        assert health.text.startswith("unhealthy: delivery stuck: mail delivery paused since")
        assert "timed out" in health.text or "TimeoutError" in health.text
        started = time.monotonic()
        launcher.stop(process)
        assert time.monotonic() - started < 10
