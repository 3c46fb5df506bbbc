"""Sandboxes post signed webhooks to a real receiver on loopback, without blocking their API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from connector.sandbox import Sandbox


class Receiver:
    """A webhook receiver on loopback that records each POST; `gate` holds answers back."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.gate.wait(10)
                with receiver.arrived:
                    receiver.received.append((self.path, dict(self.headers.items()), body))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wait_for(self, count: int, timeout_s: float = 10) -> list[tuple[str, dict[str, str],
                                                                         bytes]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout_s)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    yield found
    found.gate.set()
    found.server.shutdown()
    found.server.server_close()


def test_jira_admin_webhook_delivers_signed_events(cloud_sandbox: Sandbox,
                                                    receiver: Receiver) -> None:
    """Registered through the admin resource with a secret, each change arrives at the URL,
    its X-Hub-Signature the HMAC-SHA256 of the raw body a receiver can check."""
    http = requests.Session()
    http.headers.update(cloud_sandbox.auth_headers())
    registered = http.post(f"{cloud_sandbox.url}/rest/webhooks/1.0/webhook", json={
        "name": "ticketflow", "url": receiver.url, "secret": "It's a secret to everybody",
        "events": ["jira:issue_created", "jira:issue_updated"],
        "filters": {"issue-related-events-section": "project = HELP"}}, timeout=5)
    assert registered.status_code == 201
    api = f"{cloud_sandbox.url}/rest/api/3"
    key = http.post(f"{api}/issue", json={"fields": {
        "project": {"key": "HELP"}, "issuetype": {"id": "10004"}, "summary": "Hello"}},
        timeout=5).json()["key"]
    http.put(f"{api}/issue/{key}", json={"fields": {"summary": "Hello again"}}, timeout=5)
    arrived = receiver.wait_for(2)
    assert [json.loads(body)["webhookEvent"] for _, _, body in arrived] == [
        "jira:issue_created", "jira:issue_updated"]
    for _, headers, body in arrived:
        expected = hmac.new(b"It's a secret to everybody", body, hashlib.sha256).hexdigest()
        assert headers["X-Hub-Signature"] == f"sha256={expected}"
    log = http.get(f"{cloud_sandbox.url}/_sandbox/webhooks/deliveries", timeout=5).json()
    assert [d["status"] for d in log["deliveries"]] == [200, 200]


def test_a_slow_receiver_does_not_block_the_api(cloud_sandbox: Sandbox,
                                                receiver: Receiver) -> None:
    """While the receiver holds its answer, the sandbox keeps answering API calls at once."""
    cloud_sandbox.seed_issues(1)
    requests.post(f"{cloud_sandbox.url}/_sandbox/webhooks", json={"url": receiver.url},
                  timeout=5).raise_for_status()
    receiver.gate.clear()
    http = requests.Session()
    http.headers.update(cloud_sandbox.auth_headers())
    api = f"{cloud_sandbox.url}/rest/api/3/issue/HELP-1"
    for n in range(3):
        answer = http.put(api, json={"fields": {"summary": f"edit {n}"}}, timeout=2)
        assert answer.status_code == 204
    assert http.get(api, timeout=2).json()["fields"]["summary"] == "edit 2"
    assert receiver.received == []
    receiver.gate.set()
    assert len(receiver.wait_for(3)) == 3


def test_zendesk_webhook_delivers_signed_ticket_events(receiver: Receiver) -> None:
    """A webhook created through /api/v2/webhooks receives ticket.created, signed as base64
    HMAC-SHA256 of timestamp + body with the secret the API reveals."""
    import base64

    with Sandbox(tracker="zendesk") as sandbox, requests.Session() as http:
        http.auth = ("sandbox@example.test/token", "sandbox-token")
        api = f"{sandbox.url}/api/v2"
        hook = http.post(f"{api}/webhooks", json={"webhook": {
            "name": "ticketflow", "endpoint": receiver.url, "http_method": "POST",
            "request_format": "json", "subscriptions": ["zen:event-type:ticket.created"]}},
            timeout=5).json()["webhook"]
        secret = http.get(f"{api}/webhooks/{hook['id']}/signing_secret", timeout=5).json()[
            "signing_secret"]["secret"]
        http.post(f"{api}/tickets.json", json={"ticket": {"comment": {"body": "Help"}}},
                  timeout=5).raise_for_status()
        (_, headers, body), = receiver.wait_for(1)
        expected = base64.b64encode(hmac.new(
            secret.encode(), headers["X-Zendesk-Webhook-Signature-Timestamp"].encode() + body,
            hashlib.sha256).digest()).decode()
        assert headers["X-Zendesk-Webhook-Signature"] == expected
        assert json.loads(body)["type"] == "zen:event-type:ticket.created"
