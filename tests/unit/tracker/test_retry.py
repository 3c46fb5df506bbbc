"""The retry layer, through the real `jira` library session, against `responses`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from connector.errors import AuthError, ForbiddenError, RetriableError, TrackerError
from connector.http.retry import (
    HttpStatusError,
    Remote,
    Retrier,
    as_error,
    retry_after,
    should_retry,
)
from connector.tracker.jira.client import JiraClient

ISSUE_PATH = "issue/HELP-1"


def _ok(load: Callable[[str], Any]) -> dict[str, Any]:
    return {"json": load("issue_cloud.json"), "status": 200}


def test_429_then_200_waits_what_retry_after_says(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """A 429 with `Retry-After: 7` is retried after exactly 7 s (jitter only adds), then works."""
    target = url("cloud", ISSUE_PATH)
    mocked.get(
        target,
        status=429,
        headers={"Retry-After": "7"},
        json={"errorMessages": ["Rate limit exceeded."], "errors": {}},
    )
    mocked.get(target, **_ok(load))
    issue = make_tracker("cloud").get_issue("HELP-1")
    assert issue.key == "HELP-1"
    assert fake_time.waits == [7.0]
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_and_unavailable_then_200(
    status: int,
    *,
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """502, 503 and 504 without Retry-After: one backoff wait (0.5-1 s on the first retry)."""
    target = url("cloud", ISSUE_PATH)
    mocked.get(target, status=status, body="<html>gateway</html>")
    mocked.get(target, **_ok(load))
    assert make_tracker("cloud").get_issue("HELP-1").summary == "Locked out of my account"
    assert fake_time.waits == [0.5]


def test_connection_error_then_200(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """A dropped connection on a read is retried like a 503."""
    target = url("cloud", ISSUE_PATH)
    mocked.get(target, body=requests.ConnectionError("connection reset by peer"))
    mocked.get(target, **_ok(load))
    assert make_tracker("cloud").get_issue("HELP-1").key == "HELP-1"
    assert fake_time.waits == [0.5]


def test_retry_after_as_http_date_is_honoured(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """`Retry-After: <HTTP date>` 30 s after now (the injected wall clock) means a 30 s wait."""
    target = url("cloud", ISSUE_PATH)
    mocked.get(target, status=503, headers={"Retry-After": "Thu, 26 Nov 2026 16:00:30 GMT"})
    mocked.get(target, **_ok(load))
    make_tracker("cloud").get_issue("HELP-1")
    assert fake_time.waits == [30.0]


def test_backoff_grows_and_never_undercuts_retry_after(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """Exponential backoff doubles per attempt; a Retry-After longer than the cap still wins."""
    target = url("cloud", ISSUE_PATH)
    for _ in range(3):
        mocked.get(target, status=503)
    mocked.get(target, status=429, headers={"Retry-After": "40"})
    mocked.get(target, **_ok(load))
    make_tracker("cloud").get_issue("HELP-1")
    assert fake_time.waits == [0.5, 1.0, 2.0, 40.0]


def test_budget_exhausted_is_a_retriable_error(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    url: Callable[[str, str], str],
) -> None:
    """When the next wait would pass the 60 s budget, give up with RetriableError at once."""
    mocked.get(url("cloud", ISSUE_PATH), status=429, headers={"Retry-After": "25"})
    with pytest.raises(
        RetriableError,
        match=r"GET /rest/api/3/issue/HELP-1: still failing "
        r"\(HTTP 429\) after 3 attempts",
    ):
        make_tracker("cloud").get_issue("HELP-1")
    assert fake_time.waits == [25.0, 25.0]
    assert sum(fake_time.waits) <= 60


def test_400_carries_jiras_error_messages_and_is_not_retried(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    url: Callable[[str, str], str],
) -> None:
    """Other 4xx become TrackerError with `errorMessages` and `errors`, after one request."""
    mocked.put(
        url("cloud", ISSUE_PATH),
        status=400,
        json={
            "errorMessages": ["Something is wrong."],
            "errors": {"customfield_10071": "Operation value must be a number."},
        },
    )
    with pytest.raises(TrackerError) as caught:
        make_tracker("cloud").update_fields("HELP-1", {"customfield_10071": "two"})
    error = caught.value
    assert error.status == 400
    assert error.error_messages == [
        "Something is wrong.",
        "customfield_10071: Operation value must be a number.",
    ]
    assert "PUT /rest/api/3/issue/HELP-1: Jira answered HTTP 400: Something is wrong." in str(error)
    assert len(mocked.calls) == 1
    assert fake_time.waits == []


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_name_the_settings_and_never_the_token(
    status: int,
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    url: Callable[[str, str], str],
) -> None:
    """Refused credentials (a 401; a 403 when `GET myself` is refused too): a plain message
    naming the two settings; the token stays secret."""
    refusal = {"errorMessages": ["Client must be authenticated to access this resource."]}
    mocked.get(url("cloud", ISSUE_PATH), status=status, json=refusal)
    mocked.get(url("cloud", "myself"), status=401, json=refusal)
    with pytest.raises(AuthError) as caught:
        make_tracker("cloud").get_issue("HELP-1")
    message = str(caught.value)
    assert "Jira refused the credentials" in message
    assert "; check TICKETFLOW_JIRA_EMAIL / TICKETFLOW_JIRA_TOKEN" in message
    assert "s3cr3t" not in message


def test_a_403_on_one_issue_is_that_issues_refusal_not_the_credentials(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    url: Callable[[str, str], str],
) -> None:
    """A 403 while `GET myself` answers: the account works, this issue's permissions refuse
    it. A ForbiddenError (a TrackerError: its effect fails alone) that blames no token."""
    mocked.put(url("cloud", f"{ISSUE_PATH}/assignee"), status=403,
               json={"errorMessages": ["You do not have permission to assign issues."]})
    mocked.get(url("cloud", "myself"), json={"accountId": "acc-bot", "displayName": "bot"})
    with pytest.raises(ForbiddenError) as caught:
        make_tracker("cloud").assign("HELP-1", None)
    assert not isinstance(caught.value, AuthError)
    assert caught.value.status == 403
    assert "You do not have permission to assign issues." in str(caught.value)
    assert "TICKETFLOW_JIRA_TOKEN" not in str(caught.value)


def test_a_403_that_data_center_marks_as_a_failed_login_is_the_credentials(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    url: Callable[[str, str], str],
) -> None:
    """Data Center says a 403 is about the login (`X-Seraph-LoginReason`): credentials,
    without a second question."""
    mocked.get(url("datacenter", ISSUE_PATH), status=403,
               headers={"X-Seraph-LoginReason": "AUTHENTICATION_DENIED"}, body="denied")
    with pytest.raises(AuthError, match="Jira refused the credentials"):
        make_tracker("datacenter").get_issue("HELP-1")
    assert len(mocked.calls) == 1


def test_a_create_is_not_resent_after_a_gateway_timeout(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    url: Callable[[str, str], str],
) -> None:
    """A 504 on POST may hide a created issue: fail (retriable later) rather than duplicate."""
    mocked.post(url("cloud", "issue"), status=504)
    with pytest.raises(RetriableError, match="HTTP 504"):
        make_tracker("cloud").create_issue(
            "HELP", issue_type="Service Request", summary="s", description="d"
        )
    assert len(mocked.calls) == 1
    assert fake_time.waits == []


def test_a_create_refused_with_429_is_sent_again(
    mocked: responses.RequestsMock,
    make_tracker: Callable[..., JiraClient],
    fake_time: Any,
    load: Callable[[str], Any],
    url: Callable[[str, str], str],
) -> None:
    """429 and 503 mean Jira did nothing, so even a create is retried."""
    mocked.post(url("cloud", "issue"), status=429, headers={"Retry-After": "2"})
    mocked.post(
        url("cloud", "issue"), status=201, json={"id": "10001", "key": "HELP-1", "self": "x"}
    )
    key = make_tracker("cloud").create_issue(
        "HELP", issue_type="Service Request", summary="s", description="d"
    )
    assert key == "HELP-1"
    assert fake_time.waits == [2.0]
    sent = json.loads(mocked.calls[1].request.body or b"{}")
    assert sent["fields"]["issuetype"] == {"name": "Service Request"}


def _failure(status: int) -> HttpStatusError:
    response = requests.Response()
    response.status_code = status
    return HttpStatusError(response)


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (_failure(429), False, True),
        (_failure(503), False, True),
        (_failure(502), True, True),
        (_failure(504), True, True),
        (_failure(502), False, False),
        (_failure(500), True, False),
        (_failure(400), True, False),
        (_failure(404), True, False),
        (requests.ConnectionError("reset"), True, True),
        (requests.ConnectionError("reset"), False, False),
        (requests.ConnectTimeout("no route"), False, True),
        (requests.ReadTimeout("slow"), True, True),
        (ValueError("bug"), True, False),
    ],
)
def test_classification_in_one_place(
    error: BaseException, idempotent: bool, expected: bool
) -> None:
    """Which failures are retried, for reads and for writes that must not happen twice."""
    assert should_retry(error, idempotent=idempotent) is expected


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("12", 12.0),
        ("Thu, 26 Nov 2026 16:01:00 GMT", 60.0),
        ("Thu, 26 Nov 2026 15:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_parsing(header: str, seconds: float | None) -> None:
    """Seconds or an HTTP date (a past date means now); anything else is ignored."""
    from datetime import UTC, datetime

    response = requests.Response()
    response.headers["Retry-After"] = header
    assert retry_after(response, now=datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == seconds


@pytest.mark.parametrize("status", [401, 403])
def test_flavor_detection_refused_anonymously_asks_for_the_flavor(
        status: int, mocked: responses.RequestsMock, retrier: Retrier) -> None:
    """A Jira that hides serverInfo from anonymous callers (401, or 403: no login at all, so
    never one issue's permissions) is a configuration question: set the flavor."""
    from connector.errors import ConfigError
    from connector.tracker.jira.client import detect_flavor

    mocked.get("https://jira.example.test/rest/api/2/serverInfo", status=status,
               json={"errorMessages": ["You are not authorized."]})
    with pytest.raises(ConfigError, match="TICKETFLOW_JIRA_FLAVOR: auto, but Jira does not "
                                          "show serverInfo without credentials"):
        detect_flavor("https://jira.example.test", retrier=retrier)


def _answer(status: int, body: dict[str, Any]) -> HttpStatusError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return HttpStatusError(response)


def test_errors_name_the_remote_the_adapter_gives_and_its_settings() -> None:
    """The retry layer is no one tracker's: a refusal names the tracker and the settings the
    adapter passed, and Zendesk's error body (`error`, `description`, `details`) is quoted."""
    zendesk = Remote("Zendesk", "check TICKETFLOW_ZENDESK_EMAIL / TICKETFLOW_ZENDESK_TOKEN")
    refused = as_error(_answer(401, {"error": "Couldn't authenticate you"}),
                       what="GET /api/v2/users/me", remote=zendesk)
    assert isinstance(refused, AuthError)
    assert "Zendesk refused the credentials (HTTP 401)" in str(refused)
    assert "TICKETFLOW_ZENDESK_TOKEN" in str(refused) and "JIRA" not in str(refused)
    body = {"error": "RecordInvalid", "description": "Record validation errors",
            "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}
    invalid = as_error(_answer(422, body), what="PUT /api/v2/tickets/7", remote=zendesk)
    assert isinstance(invalid, TrackerError) and not isinstance(invalid, RetriableError)
    assert str(invalid) == (
        "PUT /api/v2/tickets/7: Zendesk answered HTTP 422: status: Status: closed prevents "
        "ticket update; RecordInvalid; Record validation errors")
    unnamed = as_error(requests.ConnectionError("reset"), what="GET x")
    assert str(unnamed) == "GET x: cannot reach the tracker (ConnectionError)"
