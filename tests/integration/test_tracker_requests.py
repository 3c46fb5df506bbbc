"""What polling costs in requests, read from the sandbox's request counters.

Searching N changed issues costs ceil(N / page size) search requests plus, on Cloud,
ceil(N / 1000) changelog requests (bulkfetch, read ahead across pages); on Data Center the
changelogs come embedded in the search, so no further request at all.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from connector.http.retry import Retrier
from connector.sandbox import Sandbox
from connector.settings import Settings
from connector.tracker.jira.client import JiraClient, connect

START = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
PAGE = 100


def _tracker(sandbox: Sandbox) -> JiraClient:
    settings = Settings(
        jira_url=sandbox.url,
        jira_email=sandbox.email,
        jira_token=SecretStr(sandbox.token),
        jira_flavor=sandbox.flavor,
    )
    return connect(settings, retrier=Retrier(sleep=lambda _: None))


def _poll_like_the_service(tracker: JiraClient, since: datetime) -> int:
    """What sync/poll.py does: each page, then that page's changelogs."""
    seen = 0
    for page in tracker.search_changed("HELP", since=since, page_size=PAGE):
        changes = tracker.changelogs([issue.id for issue in page])
        assert set(changes) == {issue.id for issue in page}
        seen += len(page)
    return seen


@pytest.mark.parametrize("count", [250, 1000, 2300])
def test_cloud_costs_pages_plus_one_bulkfetch_per_thousand(count: int) -> None:
    """N issues on Cloud: ceil(N/100) enhanced searches + ceil(N/1000) bulkfetches, nothing else."""
    with Sandbox("cloud", now=START) as sandbox:
        sandbox.seed_issues(count, start=START - timedelta(days=3))
        tracker = _tracker(sandbox)
        sandbox.reset_request_counts()
        assert _poll_like_the_service(tracker, START - timedelta(days=4)) == count
        counts = sandbox.request_counts()
    assert counts["by_endpoint"] == {
        "POST /rest/api/3/search/jql": math.ceil(count / PAGE),
        "POST /rest/api/3/changelog/bulkfetch": math.ceil(count / 1000),
    }
    assert counts["total"] == math.ceil(count / PAGE) + math.ceil(count / 1000)


def test_datacenter_costs_only_the_search_pages() -> None:
    """N issues on Data Center: ceil(N/100) searches; changelogs ride along (expand=changelog)."""
    with Sandbox("datacenter", now=START) as sandbox:
        sandbox.seed_issues(250, start=START - timedelta(days=3))
        tracker = _tracker(sandbox)
        sandbox.reset_request_counts()
        assert _poll_like_the_service(tracker, START - timedelta(days=4)) == 250
        counts = sandbox.request_counts()
    assert counts["by_endpoint"] == {"POST /rest/api/2/search": 3}
