"""A Jira that never answered fails at once with its URL; one that answered before is retried;
a 401 says when the flavor, not the token, may be the cause."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import responses
from pydantic import SecretStr
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from connector.errors import AuthError, TrackerError
from connector.http.retry import Retrier, UnreachableError
from connector.settings import Settings
from connector.tracker.jira.client import JiraClient, connect

from .conftest import BASE, TOKEN, FakeTime

ISSUE = f"{BASE}/rest/api/3/issue/HELP-1"


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] "  # type: ignore[arg-type]
                                "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, ISSUE, reason))  # type: ignore[arg-type]


def _unresolved() -> requests.ConnectionError:
    reason = NameResolutionError("jira.example.test", None, OSError("Name or service not known"))  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, ISSUE, reason))  # type: ignore[arg-type]


def _tracker(retrier: Retrier, *, answered: bool, flavor: str = "cloud",
             known: str | None = None) -> JiraClient:
    settings = Settings(jira_url=BASE, jira_email="bot@example.test",
                        jira_token=SecretStr(TOKEN), jira_flavor=flavor, _env_file=None)  # type: ignore[arg-type]
    return connect(settings, retrier=retrier, answered=answered, known_flavor=known)  # type: ignore[arg-type]


@pytest.mark.parametrize(("failure", "cause"), [
    (_refused, "connection refused"), (_unresolved, "DNS: the host name was not found")])
def test_a_jira_never_met_fails_at_once_with_url_variable_and_cause(
        failure: Callable[[], requests.ConnectionError], cause: str,
        mocked: responses.RequestsMock, retrier: Retrier, fake_time: FakeTime) -> None:
    """No retries for minutes: the first request that cannot connect names the URL, the
    variable and the cause, and nothing waited."""
    mocked.get(ISSUE, body=failure())
    with pytest.raises(UnreachableError) as raised:
        _tracker(retrier, answered=False).get_issue("HELP-1")
    message = str(raised.value)
    assert message.startswith(f"cannot connect to Jira at {BASE} (TICKETFLOW_JIRA_URL): {cause}")
    assert fake_time.waits == []
    assert len(mocked.calls) == 1


def test_a_jira_that_answered_before_is_retried(
        mocked: responses.RequestsMock, retrier: Retrier, fake_time: FakeTime,
        load: Callable[[str], object]) -> None:
    """The state remembers this Jira answered an earlier run: a refused connection is an
    outage, retried with backoff, and the cycle goes on when Jira is back."""
    mocked.get(ISSUE, body=_refused())
    mocked.get(ISSUE, json=load("issue_cloud.json"))
    assert _tracker(retrier, answered=True).get_issue("HELP-1").key
    assert fake_time.waits and len(mocked.calls) == 2


def test_once_jira_has_answered_in_this_process_an_outage_is_retried(
        mocked: responses.RequestsMock, retrier: Retrier, fake_time: FakeTime,
        load: Callable[[str], object]) -> None:
    """A service that reached Jira at start-up keeps retrying through a later outage."""
    tracker = _tracker(retrier, answered=False)
    mocked.get(ISSUE, json=load("issue_cloud.json"))
    tracker.get_issue("HELP-1")
    mocked.replace(responses.GET, ISSUE, body=_refused())
    mocked.add(responses.GET, ISSUE, json=load("issue_cloud.json"))
    assert tracker.get_issue("HELP-1").key
    assert fake_time.waits


def test_a_401_with_an_explicit_flavor_names_the_flavor(
        mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """Cloud sends the token as basic auth, Data Center as a bearer token: with the flavor set
    by hand, a 401 may be the flavor, and the message says so (a 403 is about permissions)."""
    mocked.get(ISSUE, status=401)
    with pytest.raises(AuthError) as raised:
        _tracker(retrier, answered=True, flavor="cloud").get_issue("HELP-1")
    assert ("TICKETFLOW_JIRA_FLAVOR is set to cloud: if this Jira is datacenter, the "
            "credentials are sent the wrong way") in str(raised.value)
    mocked.replace(responses.GET, ISSUE, status=403)
    mocked.get(f"{BASE}/rest/api/3/myself", json={"accountId": "5b10", "displayName": "bot"})
    with pytest.raises(TrackerError) as refused:
        _tracker(retrier, answered=True, flavor="cloud").get_issue("HELP-1")
    assert "HTTP 403" in str(refused.value) and "FLAVOR" not in str(refused.value)


def test_a_401_with_a_flavor_detected_now_blames_only_the_credentials(
        mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """Detected from serverInfo in this run, the flavor is right: the message is the plain one."""
    mocked.get(f"{BASE}/rest/api/2/serverInfo", json={"deploymentType": "Cloud"})
    mocked.get(ISSUE, status=401)
    with pytest.raises(AuthError) as raised:
        _tracker(retrier, answered=False, flavor="auto").get_issue("HELP-1")
    assert str(raised.value).endswith("check TICKETFLOW_JIRA_EMAIL / TICKETFLOW_JIRA_TOKEN")
