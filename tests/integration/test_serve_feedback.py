"""The feedback form beside cron: `ticketflow serve-feedback` serves what `once` cannot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from jira import JIRA

from connector.cli import main
from connector.sandbox import API_TOKEN, API_USER, Sandbox
from connector.web.tokens import FeedbackRef, make_token

from .processes import free_port, until

ROOT = Path(__file__).resolve().parents[2]
SECRET = "feedback-signing-secret-for-tests"


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_serve_feedback_takes_answers_while_cron_runs_the_cycles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cycles under cron, a customer's answer reaches the form served by
    `serve-feedback`: it is stored, written to the satisfaction field in Jira, and the server
    stops with exit 0 on SIGTERM."""
    port = free_port()
    with Sandbox("cloud") as sandbox:
        env = {"TICKETFLOW_JIRA_URL": sandbox.url, "TICKETFLOW_JIRA_EMAIL": API_USER,
               "TICKETFLOW_JIRA_TOKEN": API_TOKEN, "TICKETFLOW_CONFIG_DIR": str(ROOT),
               "TICKETFLOW_STATE_DB": str(tmp_path / "state.db"),
               "TICKETFLOW_OUTBOX_DIR": str(tmp_path / "outbox"),
               "TICKETFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "TICKETFLOW_FEEDBACK_SECRET": SECRET, "TICKETFLOW_HTTP_PORT": str(port)}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(["install-scheme"]) == 0
        (key,) = sandbox.seed_issues(1, status="Pending", start=sandbox.now())
        assert main(["once"]) == 0  # what cron runs
        url = f"http://127.0.0.1:{port}"
        log = (tmp_path / "serve.log").open("w")
        server = subprocess.Popen([sys.executable, "-m", "connector", "serve-feedback"],
                                  env={**os.environ, **env}, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            assert until(lambda: _up(url)), (tmp_path / "serve.log").read_text()
            token = make_token(SECRET.encode(), FeedbackRef(
                key, 1, datetime.now(UTC) + timedelta(days=1)))
            assert requests.get(f"{url}/feedback/{token}", timeout=5).status_code == 200
            answer = requests.post(f"{url}/feedback/{token}", timeout=10,
                                   data={"score": "4", "comment": "quick, thanks"})
            assert answer.status_code == 200 and "recorded" in answer.text
            jira = JIRA(server=sandbox.url, basic_auth=(API_USER, API_TOKEN), max_retries=0)
            assert jira.issue(key).fields.customfield_10073 == 4
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=15) == 0
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            log.close()
