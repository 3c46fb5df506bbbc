"""Whether a failed write was done: the adapter says NotDoneError only when it surely was not.

Mail intake waits before creating again after a create whose fate is unknown (a timeout, a
500), and does not wait after one Jira refused undone (429, 503) or that never reached Jira;
this is where the two are told apart, by the retry layer's own rule for resending a POST.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import responses

from connector.errors import NotDoneError, RetriableError
from connector.tracker.jira.client import JiraClient
from connector.tracker.jira.records import Flavor

Url = Callable[[Flavor, str], str]
Make = Callable[..., JiraClient]


def _create(tracker: JiraClient) -> None:
    tracker.create_issue("HELP", issue_type="Service Request", summary="s", description="d")


@pytest.mark.parametrize(("answer", "not_done"), [
    ({"status": 503}, True),
    ({"status": 429, "headers": {"Retry-After": "1"}}, True),
    ({"body": requests.ConnectTimeout("connect timed out")}, True),
    ({"status": 500}, False),
    ({"status": 504}, False),
    ({"body": requests.ReadTimeout("read timed out")}, False),
])
def test_a_failed_create_is_not_done_only_when_jira_surely_did_nothing(
    mocked: responses.RequestsMock, make_tracker: Make, url: Url,
    answer: dict[str, object], not_done: bool,
) -> None:
    """503 and 429 (refused undone) and a connection never made are NotDoneError; a 500, a
    gateway timeout or a read timeout may have created the issue, so they are not."""
    mocked.add(responses.POST, url("cloud", "issue"), **answer)  # type: ignore[arg-type]
    with pytest.raises(RetriableError) as caught:
        _create(make_tracker("cloud"))
    assert isinstance(caught.value, NotDoneError) is not_done
