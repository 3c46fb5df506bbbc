"""Fixtures for integration tests: Jira sandboxes on loopback and `jira` clients bound to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jira import JIRA

from connector.sandbox import API_TOKEN, API_USER, Sandbox

SANDBOX_START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 10:00 in America/Chicago


def operator_env(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, folder: Path) -> None:
    """The settings an operator exports for a service against the sandbox, with its state
    and outbox in `folder`."""
    monkeypatch.setenv("TICKETFLOW_JIRA_URL", sandbox.url)
    monkeypatch.setenv("TICKETFLOW_JIRA_EMAIL", API_USER)
    monkeypatch.setenv("TICKETFLOW_JIRA_TOKEN", API_TOKEN)
    monkeypatch.setenv("TICKETFLOW_STATE_DB", str(folder / "state.db"))
    monkeypatch.setenv("TICKETFLOW_OUTBOX_DIR", str(folder / "outbox"))
    monkeypatch.setenv("TICKETFLOW_PUBLIC_URL", "https://helpdesk.example.edu")


@pytest.fixture
def cloud_sandbox() -> Iterator[Sandbox]:
    """A started Cloud-flavor sandbox on a free port, clock frozen at SANDBOX_START."""
    with Sandbox("cloud", now=SANDBOX_START) as sandbox:
        yield sandbox


@pytest.fixture
def dc_sandbox() -> Iterator[Sandbox]:
    """A started Data Center-flavor sandbox on a free port, clock frozen at SANDBOX_START."""
    with Sandbox("datacenter", now=SANDBOX_START) as sandbox:
        yield sandbox


def jira_client(sandbox: Sandbox, **options: object) -> JIRA:
    """The `jira` library as ticketflow builds it: no library retries, the flavor's auth."""
    if sandbox.flavor == "cloud":
        return JIRA(server=sandbox.url, basic_auth=(sandbox.email, sandbox.token),
                    max_retries=0, **options)
    return JIRA(server=sandbox.url, token_auth=sandbox.token, max_retries=0, **options)


@pytest.fixture
def cloud_jira(cloud_sandbox: Sandbox) -> Iterator[JIRA]:
    client = jira_client(cloud_sandbox)
    yield client
    client.close()


@pytest.fixture
def dc_jira(dc_sandbox: Sandbox) -> Iterator[JIRA]:
    client = jira_client(dc_sandbox)
    yield client
    client.close()


@pytest.fixture(params=["cloud", "datacenter"])
def any_jira(request: pytest.FixtureRequest) -> Iterator[tuple[Sandbox, JIRA]]:
    """Each flavor in turn, with its client."""
    with Sandbox(request.param, now=SANDBOX_START) as sandbox:
        client = jira_client(sandbox)
        yield sandbox, client
        client.close()
