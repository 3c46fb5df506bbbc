"""`/report` of `ticketflow run`: the report from the state file, cached for a minute, through
the service's one WSGI app."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.app import ticket_links
from connector.clock import SettableClock
from connector.config.loader import Config, load_config, shipped_dir
from connector.domain import Ticket
from connector.settings import embedded_settings
from connector.state.base import Transaction
from connector.state.sqlite import SqliteStateStore
from connector.web.report import FRESH_SECONDS, ReportEndpoint
from connector.web.server import service_app

NOW = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


def _ticket(n: int) -> Ticket:
    created = NOW - timedelta(days=2, hours=n)
    return Ticket(issue_id=str(n), key=f"HELP-{n}", project="HELP", status="Pending",
                  status_since=created, created=created, updated=created,
                  summary=f"Printer {n} <b>jammed</b>", tier=1, category="Access")


def _get(app: Any, path: str, query: str = "") -> tuple[int, dict[str, str], str]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split(maxsplit=1)[0]), dict(headers)

    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query},
                        start_response))
    return seen["status"], seen["headers"], body.decode()


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(shipped_dir())


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "ticketflow.db"
    store = SqliteStateStore(path)
    store.commit(Transaction(tickets=[_ticket(1)]))
    store.close()
    return path


JIRA = embedded_settings(jira_url="https://jira.example.edu")


def _endpoint(config: Config, state: Path, ticks: Ticks) -> ReportEndpoint:
    return ReportEndpoint(running=lambda: config, state_db=state, clock=SettableClock(NOW),
                          links=lambda current: ticket_links(current, JIRA), monotonic=ticks)


def test_the_report_page_is_served_with_a_policy_that_loads_nothing(config: Config,
                                                                    state: Path) -> None:
    """GET /report answers the page: the ticket is there, linked, its summary escaped; the
    headers forbid loading anything, framing and caching (it shows ticket summaries)."""
    status, headers, page = _get(_endpoint(config, state, Ticks()), "/report")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["Cache-Control"] == "no-store"
    assert "Workflow report" in page
    assert '<a href="https://jira.example.edu/browse/HELP-1" rel="noreferrer">HELP-1</a>' in page
    assert "Printer 1 &lt;b&gt;jammed&lt;/b&gt;" in page and "<b>jammed</b>" not in page


def test_a_page_is_rendered_at_most_once_a_minute(config: Config, state: Path) -> None:
    """A ticket mirrored after the first request shows only once the cached page is a
    minute old; meanwhile every request gets the same page."""
    ticks = Ticks()
    endpoint = _endpoint(config, state, ticks)
    first = _get(endpoint, "/report.json")[2]
    store = SqliteStateStore(state)
    store.commit(Transaction(tickets=[_ticket(2)]))
    store.close()
    ticks.now += FRESH_SECONDS - 1
    assert _get(endpoint, "/report.json")[2] == first
    ticks.now += 2
    fresh = json.loads(_get(endpoint, "/report.json")[2])
    assert (json.loads(first)["meta"]["opened"], fresh["meta"]["opened"]) == (1, 2)


def test_the_period_and_project_come_from_the_query(config: Config, state: Path) -> None:
    """`?since=` and `?project=` work as on the command line; a bad period is a 400 that says
    what was expected; each asked-for page is cached on its own."""
    endpoint = _endpoint(config, state, Ticks())
    status, _, body = _get(endpoint, "/report.json", "since=1d&project=OPS")
    report = json.loads(body)
    assert status == 200
    assert (report["meta"]["project"], report["meta"]["opened"]) == ("OPS", 0)
    assert report["meta"]["since"] == "2026-12-04T06:00:00+00:00"  # midnight in Chicago
    status, _, body = _get(endpoint, "/report", "since=4%20business%20hours")
    assert status == 400
    assert "a report's period is calendar time" in body


def test_no_state_yet_is_unavailable_not_an_error(config: Config, tmp_path: Path) -> None:
    """Before the first cycle there is no state file: 503 with what to do."""
    status, _, body = _get(_endpoint(config, tmp_path / "none.db", Ticks()), "/report")
    assert status == 503
    assert "no state database" in body


def test_the_service_app_routes_report_paths_only(config: Config, state: Path) -> None:
    """The service's app hands /report and /report.json to the report, and nothing else."""
    app = service_app(health=lambda: (True, "fine"), report=_endpoint(config, state, Ticks()))
    assert _get(app, "/report")[0] == 200
    assert _get(app, "/report.json")[0] == 200
    assert _get(app, "/report/extra")[0] == 404
    assert _get(service_app(health=lambda: (True, "fine")), "/report")[0] == 404


def test_after_a_reload_the_report_is_of_the_configuration_running_now(
        config: Config, state: Path) -> None:
    """`run` reloads its configuration on SIGHUP: the next request is answered under the new
    one (here the calendar's time zone, which sets where `since=1d` starts), not from a page
    cached under the old one."""
    running = [config]
    endpoint = ReportEndpoint(running=lambda: running[-1], state_db=state,
                              clock=SettableClock(NOW), monotonic=Ticks())
    before = json.loads(_get(endpoint, "/report.json", "since=1d")[2])
    assert before["meta"]["since"] == "2026-12-04T06:00:00+00:00"  # midnight in Chicago
    calendar = config.rules.calendar.model_copy(update={"timezone": "America/New_York"})
    rules = config.rules.model_copy(update={"calendar": calendar})
    running.append(replace(config, rules=rules, digest=config.digest + "-reloaded"))
    after = json.loads(_get(endpoint, "/report.json", "since=1d")[2])
    assert after["meta"]["since"] == "2026-12-04T05:00:00+00:00"  # midnight in New York
