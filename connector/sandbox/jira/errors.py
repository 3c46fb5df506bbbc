"""Jira's HTTP errors: `{"errorMessages": [...], "errors": {}}`, and the messages Jira uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connector.sandbox.errors import HttpError

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
REMOVED_SEARCH = ("The requested API has been removed. Please migrate to the /rest/api/3/search/"
                  "jql API. A full migration guideline is available at https://developer."
                  "atlassian.com/changelog/#CHANGE-2046")


class ApiError(HttpError):
    """Raised anywhere below a route; the server answers `status` with Jira's error body."""

    def __init__(self, status: int, messages: Sequence[str] = (),
                 errors: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.messages = list(messages)
        self.errors = dict(errors or {})
        super().__init__(status, None, headers)

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def bad_request(message: str) -> ApiError:
    return ApiError(400, [message])


def field_error(field: str, message: str) -> ApiError:
    """Jira reports a bad field value under `errors`, keyed by the field id."""
    return ApiError(400, [], {field: message})


def not_found(message: str = ISSUE_NOT_FOUND) -> ApiError:
    return ApiError(404, [message])
