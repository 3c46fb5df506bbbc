"""The sandbox over real sockets: keep-alive, injected faults, control endpoints, `serve`."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from jira import JIRA, JIRAError

from connector.sandbox import Sandbox

from .conftest import jira_client

ROOT = Path(__file__).resolve().parents[2]


def test_connections_are_kept_alive(cloud_sandbox: Sandbox) -> None:
    """Consecutive requests travel on one socket (HTTP/1.1 keep-alive), 204s included."""
    cloud_sandbox.seed_issues(1)
    parts = urlsplit(cloud_sandbox.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        headers = cloud_sandbox.auth_headers()
        connection.request("GET", "/rest/api/3/myself", headers=headers)
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        connection.request("PUT", "/rest/api/3/issue/HELP-1", headers=headers,
                           body=b'{"fields": {"summary": "renamed"}}')
        edited = connection.getresponse()
        edited.read()
        assert edited.status == 204
        connection.request("GET", "/rest/api/3/serverInfo", headers=headers)
        last = connection.getresponse()
        last.read()
        assert (first.status, last.status) == (200, 200)
        assert not last.will_close
        assert connection.sock is sock
    finally:
        connection.close()


def test_injected_faults_over_http(cloud_sandbox: Sandbox) -> None:
    """429 with Retry-After, 500, and a dropped connection reach a real client."""
    with requests.Session() as session:
        session.headers.update(cloud_sandbox.auth_headers())
        url = cloud_sandbox.url + "/rest/api/3/myself"
        session.post(cloud_sandbox.url + "/_sandbox/faults",
                     json={"rate_429": 1, "retry_after": 3}).raise_for_status()
        limited = session.get(url)
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
        cloud_sandbox.set_faults(rate_500=1)
        assert session.get(url).status_code == 500
        cloud_sandbox.set_faults(rate_drop=1)
        with pytest.raises(requests.ConnectionError):
            session.get(url)
        cloud_sandbox.clear_faults()
        assert session.get(url).status_code == 200
    assert cloud_sandbox.request_counts()["faults"] == {"429": 1, "500": 1, "drop": 1}


def test_seeded_faults_repeat_over_http(cloud_sandbox: Sandbox) -> None:
    """The same seed gives the same sequence of answers to the same requests."""
    def run() -> list[int]:
        cloud_sandbox.set_faults(rate_429=0.3, rate_500=0.2, seed=7)
        with requests.Session() as session:
            session.headers.update(cloud_sandbox.auth_headers())
            return [session.get(cloud_sandbox.url + "/rest/api/3/myself").status_code
                    for _ in range(30)]
    first = run()
    assert first == run()
    assert {200, 429, 500} <= set(first)


def test_library_without_retries_surfaces_the_429(cloud_sandbox: Sandbox,
                                                  cloud_jira: JIRA) -> None:
    """With max_retries=0 the jira library raises the 429 for ticketflow's own retry layer."""
    cloud_sandbox.set_faults(rate_429=1, retry_after=2)
    with pytest.raises(JIRAError) as raised:
        cloud_jira.myself()
    assert raised.value.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "2"


def test_control_endpoints_over_http(dc_sandbox: Sandbox) -> None:
    """Clock, counters and notifications work over HTTP without credentials."""
    client = jira_client(dc_sandbox)
    try:
        issue = client.create_issue(project="HELP", issuetype={"id": "10004"}, summary="x")
        with requests.Session() as control:
            base = dc_sandbox.url + "/_sandbox"
            control.post(base + "/clock", json={"now": "2026-12-01T12:00:00Z"}).raise_for_status()
            client.add_comment(issue.key, "later")
            assert client.issue(issue.key).fields.updated == "2026-12-01T06:00:00.000-0600"
            counts = control.get(base + "/requests").json()
            assert counts["by_endpoint"]["POST /rest/api/2/issue/{key}/comment"] == 1
            assert control.get(base + "/notifications").json() == {"notifications": []}
    finally:
        client.close()


def test_stop_releases_the_port_and_connections() -> None:
    """After stop() the port can be bound again and open keep-alive connections are closed."""
    sandbox = Sandbox("cloud").start()
    session = requests.Session()
    session.headers.update(sandbox.auth_headers())
    assert session.get(sandbox.url + "/rest/api/3/myself").status_code == 200
    port = sandbox.port
    sandbox.stop()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    with pytest.raises(requests.ConnectionError):
        session.get(sandbox.url + "/rest/api/3/myself")
    session.close()


def test_serve_runs_until_sigterm() -> None:
    """`python -m connector.sandbox` prints its URL and credentials, serves, exits 0 on SIGTERM."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
            [sys.executable, "-m", "connector.sandbox", "--flavor", "datacenter", "--port", "0"],
            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        credentials = process.stdout.readline()
        assert "Jira sandbox (datacenter) listening on http://127.0.0.1:" in banner
        assert "sandbox-token" in credentials
        url = banner.rsplit(" ", 1)[1].strip()
        info = requests.get(url + "/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "Server"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()


def test_the_cli_seeds_sample_tickets() -> None:
    """`ticketflow sandbox --seed 2` serves two help-desk tickets from the start."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
            [sys.executable, "-m", "connector", "sandbox", "--port", "0", "--seed", "2"],
            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT) as process:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        found = requests.get(url + "/rest/api/2/search/jql", params={
            "jql": "project = HELP ORDER BY key", "fields": "summary,customfield_10072"},
            auth=("sandbox@example.test", "sandbox-token"), timeout=5).json()["issues"]
        assert [i["fields"]["customfield_10072"] for i in found] == [
            "pat.doe@uni.example.edu", "lee.chen@uni.example.edu"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
