"""Fixtures for sandbox unit tests: the request pipeline called directly, no sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from connector.sandbox import Sandbox
from connector.sandbox.jira.app import JiraApp as App

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 10:00 in America/Chicago


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


class Api:
    """Calls the sandbox's pipeline as the HTTP server would, with the flavor's credentials."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.app: App = sandbox.app
        self.app.base_url = "http://sandbox.test"
        self.headers = sandbox.auth_headers()

    def call(self, method: str, path: str, body: Any = None, *,
             params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> Answer:
        target = path + ("?" + urlencode(params, doseq=True) if params else "")
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        outcome = self.app.handle(method, target, {**self.headers, **(headers or {})}, data)
        parsed = json.loads(outcome.body) if outcome.body and outcome.headers.get(
            "Content-Type", "").startswith("application/json") else outcome.body
        return Answer(outcome.status, parsed, outcome.headers)

    def get(self, path: str, **params: Any) -> Answer:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Answer:
        return self.call("POST", path, body, params=params)

    def put(self, path: str, body: Any = None) -> Answer:
        return self.call("PUT", path, body)

    def create(self, summary: str = "Help", version: str = "3", **fields: Any) -> str:
        answer = self.post(f"/rest/api/{version}/issue", {"fields": {
            "project": {"key": "HELP"}, "issuetype": {"id": "10004"}, "summary": summary,
            **fields}})
        assert answer.status == 201, answer.body
        return str(answer.body["key"])


@pytest.fixture
def cloud() -> Sandbox:
    """An unstarted Cloud sandbox with its clock frozen at START."""
    return Sandbox("cloud", now=START)


@pytest.fixture
def datacenter() -> Sandbox:
    """An unstarted Data Center sandbox with its clock frozen at START."""
    return Sandbox("datacenter", now=START)


@pytest.fixture
def api(cloud: Sandbox) -> Api:
    return Api(cloud)


@pytest.fixture
def dc_api(datacenter: Sandbox) -> Api:
    return Api(datacenter)


@pytest.fixture
def make_api() -> Callable[..., Api]:
    """make_api(flavor, **Sandbox keyword arguments) -> a pipeline client of a new sandbox."""
    return lambda flavor, **options: Api(Sandbox(flavor, now=START, **options))


@pytest.fixture
def zd() -> Api:
    """A pipeline client of an unstarted Zendesk sandbox, clock frozen at START, as the admin."""
    return Api(Sandbox(tracker="zendesk", now=START))


class WebhookQueue:
    """Stands in for the webhook sender: keeps what the sandbox would post, posts nothing."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bytes, dict[str, str]]] = []

    def send(self, url: str, event: str, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append((url, event, body, headers))


def capture_webhooks(api: Api) -> WebhookQueue:
    """Replace the sandbox's sender with a WebhookQueue and return it."""
    captured = WebhookQueue()
    api.app.webhooks = captured  # type: ignore[assignment]
    return captured
