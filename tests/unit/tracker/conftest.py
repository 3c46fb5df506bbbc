"""Fixtures for adapter tests: a JiraClient against `responses`, with time that never passes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import SecretStr

from connector.http.retry import Retrier, RetryPolicy
from connector.settings import Settings
from connector.tracker.jira.client import JiraClient, connect
from connector.tracker.jira.records import Flavor

BASE = "https://jira.example.test"
TOKEN = "s3cr3t-api-token"
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jira"


@pytest.fixture
def load() -> Callable[[str], Any]:
    """`load("issue_cloud.json")`: a Jira response body kept in tests/fixtures/jira."""

    def read(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text())

    return read


class FakeTime:
    """A monotonic clock that moves only when the retry layer sleeps; the waits are kept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def retrier(fake_time: FakeTime) -> Retrier:
    """Budget 60 s; jitter always takes the low end, so waits are exact."""
    return Retrier(
        RetryPolicy(budget=60.0, base=1.0, cap=30.0),
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
        wall_clock=lambda: NOW,
        jitter=lambda low, high: low,
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def make_tracker(retrier: Retrier) -> Callable[..., JiraClient]:
    """`make_tracker("cloud")`: a JiraClient with the flavor given (no serverInfo call), for a
    Jira that answered before."""

    def make(flavor: Flavor = "cloud", custom_fields: tuple[str, ...] = ()) -> JiraClient:
        settings = Settings(
            jira_url=BASE,
            jira_email="bot@example.test",
            jira_token=SecretStr(TOKEN),
            jira_flavor=flavor,
        )
        # A Jira already in use (answered before): a Jira never reached fails at once instead
        # of retrying, which tests/unit/tracker/test_first_contact.py covers.
        return connect(settings, custom_fields=custom_fields, retrier=retrier, answered=True)

    return make


@pytest.fixture
def url() -> Callable[[Flavor, str], str]:
    """`url("cloud", "search/jql")`: the URL of a REST path in the flavor's API version."""

    def make(flavor: Flavor, path: str) -> str:
        return f"{BASE}/rest/api/{'3' if flavor == 'cloud' else '2'}/{path}"

    return make
