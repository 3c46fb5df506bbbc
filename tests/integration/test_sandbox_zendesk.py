"""The Zendesk sandbox over real HTTP: a help desk's day as a client with `requests` sees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from connector.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.fixture
def zendesk() -> Iterator[Sandbox]:
    """A started Zendesk sandbox, clock frozen at START."""
    with Sandbox(tracker="zendesk", now=START) as sandbox:
        yield sandbox


def session(sandbox: Sandbox, email: str = "sandbox@example.test") -> requests.Session:
    """A client authenticated with an API token, as the Zendesk adapter is."""
    http = requests.Session()
    http.auth = (f"{email}/token", sandbox.token)
    return http


def test_a_ticket_from_mail_to_solved_through_the_change_feed(zendesk: Sandbox) -> None:
    """Create from a mail (requester by email, external_id), Bob answers and solves it as
    himself; the cursor export shows each state a minute later, the bookmark carries on."""
    api = f"{zendesk.url}/api/v2"
    admin, bob = session(zendesk), session(zendesk, "bob@example.edu")
    start = int((START - timedelta(hours=1)).timestamp())
    created = admin.post(f"{api}/tickets.json", json={"ticket": {
        "subject": "Locked out", "comment": {"body": "Password reset failed."},
        "requester": {"email": "pat.doe@uni.example.edu", "name": "Pat Doe"},
        "external_id": "<m1@uni.example.edu>"}}, timeout=5)
    assert created.status_code == 201
    ticket = created.json()["ticket"]
    assert admin.get(f"{api}/tickets.json", params={"external_id": "<m1@uni.example.edu>"},
                     timeout=5).json()["tickets"][0]["id"] == ticket["id"]
    zendesk.advance_clock(timedelta(minutes=2))
    first = admin.get(f"{api}/incremental/tickets/cursor.json",
                      params={"start_time": start}, timeout=5).json()
    assert [t["status"] for t in first["tickets"]] == ["new"] and first["end_of_stream"]
    solved = bob.put(f"{api}/tickets/{ticket['id']}.json", json={"ticket": {
        "status": "solved", "comment": {"body": "Unlocked; try again.", "public": True}}},
        timeout=5)
    assert solved.status_code == 200
    assert solved.json()["audit"]["author_id"] == bob.get(f"{api}/users/me.json",
                                                          timeout=5).json()["user"]["id"]
    zendesk.advance_clock(timedelta(minutes=2))
    later = admin.get(f"{api}/incremental/tickets/cursor.json",
                      params={"cursor": first["after_cursor"]}, timeout=5).json()
    assert [(t["id"], t["status"]) for t in later["tickets"]] == [(ticket["id"], "solved")]


def test_the_incremental_limit_over_http(zendesk: Sandbox) -> None:
    """Eleven export requests in a minute: the last is 429 with Retry-After; the control
    endpoint lifts the limit for benchmarks; requests are counted as reads."""
    api = f"{zendesk.url}/api/v2/incremental/ticket_events.json"
    admin = session(zendesk)
    params = {"start_time": int((START - timedelta(hours=1)).timestamp())}
    codes = [admin.get(api, params=params, timeout=5).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    requests.post(f"{zendesk.url}/_sandbox/limits", json={"incremental_per_minute": None},
                  timeout=5).raise_for_status()
    assert admin.get(api, params=params, timeout=5).status_code == 200
    counts = requests.get(f"{zendesk.url}/_sandbox/requests", timeout=5).json()
    assert (counts["total"], counts["writes"]) == (12, 0)


def test_oauth_and_wrong_credentials(zendesk: Sandbox) -> None:
    """A bearer token works; a wrong token is Zendesk's 401 body."""
    me = requests.get(f"{zendesk.url}/api/v2/users/me.json", timeout=5,
                      headers={"Authorization": "Bearer sandbox-token-carol"})
    assert me.json()["user"]["email"] == "carol@example.edu"
    refused = requests.get(f"{zendesk.url}/api/v2/users/me.json", timeout=5,
                           auth=("carol@example.edu/token", "guess"))
    assert (refused.status_code, refused.json()) == (401, {"error": "Couldn't authenticate you"})


def test_the_cli_serves_zendesk() -> None:
    """`ticketflow sandbox --tracker zendesk --seed 2` prints its URL and serves tickets."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
            [sys.executable, "-m", "connector", "sandbox", "--tracker", "zendesk", "--port",
             "0", "--seed", "2"], stdout=subprocess.PIPE, text=True, env=env,
            cwd=ROOT) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Zendesk sandbox listening on http://127.0.0.1:")
        url = banner.rsplit(" ", 1)[1].strip()
        tickets = requests.get(f"{url}/api/v2/tickets.json", timeout=5,
                               auth=("sandbox@example.test/token", "sandbox-token")).json()
        assert [t["subject"] for t in tickets["tickets"]] == [
            "Locked out of REDCap after password reset", "Data export to CSV times out"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_sideloads_uploads_counts_and_the_date_on_the_sandbox_clock(zendesk: Sandbox) -> None:
    """What the adapter relies on besides: `include=users` names a ticket's people (and the
    export's), `users/show_many`, an upload attached by a comment's `uploads` token (a token
    is taken once), `search/count` of open tickets, and a `Date` header on the sandbox's clock."""
    api = f"{zendesk.url}/api/v2"
    admin = session(zendesk)
    made = admin.post(f"{api}/tickets.json", json={"ticket": {
        "subject": "Locked out", "comment": {"body": "Password reset failed."},
        "requester": {"email": "pat.doe@uni.example.edu", "name": "Pat Doe"}}}, timeout=5)
    ticket = made.json()["ticket"]
    shown = admin.get(f"{api}/tickets/{ticket['id']}.json", params={"include": "users"},
                      timeout=5)
    assert {u["email"] for u in shown.json()["users"]} == {"pat.doe@uni.example.edu",
                                                          "sandbox@example.test"}
    assert shown.headers["Date"] == "Thu, 26 Nov 2026 16:00:00 GMT"
    many = admin.get(f"{api}/users/show_many.json",
                     params={"ids": f"{ticket['requester_id']},999999"}, timeout=5).json()
    assert [u["email"] for u in many["users"]] == ["pat.doe@uni.example.edu"]
    token = admin.post(f"{api}/uploads.json", params={"filename": "trace.log"}, data=b"x\n",
                       headers={"Content-Type": "text/plain"}, timeout=5).json()["upload"]["token"]
    body = {"ticket": {"comment": {"body": "log", "public": False, "uploads": [token]}}}
    assert admin.put(f"{api}/tickets/{ticket['id']}.json", json=body, timeout=5).ok
    again = admin.put(f"{api}/tickets/{ticket['id']}.json", json=body, timeout=5)
    assert again.status_code == 422
    comments = admin.get(f"{api}/tickets/{ticket['id']}/comments.json", timeout=5).json()
    assert [[a["file_name"] for a in c["attachments"]] for c in comments["comments"]] == [
        [], ["trace.log"]]
    count = admin.get(f"{api}/search/count.json", params={"query": "type:ticket status<solved"},
                      timeout=5).json()
    assert count == {"count": 1}
    admin.put(f"{api}/tickets/{ticket['id']}.json", json={"ticket": {"status": "solved"}},
              timeout=5)
    assert admin.get(f"{api}/search/count.json", params={"query": "type:ticket status<solved"},
                     timeout=5).json() == {"count": 0}
