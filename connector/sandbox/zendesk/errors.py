"""Zendesk's HTTP errors: `{"error": ..., "description": ...}`, with `details` on a 422."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.sandbox.errors import HttpError

UNAUTHENTICATED = "Couldn't authenticate you"
FORBIDDEN = ("You do not have access to this page. Please contact the account owner of this "
             "help desk for further help.")


class ZendeskError(HttpError):
    """An error as Zendesk writes it; 401's body carries only `error`."""

    def __init__(self, status: int, error: str, description: str | None = None,
                 details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        body: dict[str, Any] = {"error": error}
        if description is not None:
            body["description"] = description
        if details is not None:
            body["details"] = dict(details)
        super().__init__(status, body, headers)


def not_found() -> ZendeskError:
    return ZendeskError(404, "RecordNotFound", "Not found")


def forbidden() -> ZendeskError:
    return ZendeskError(403, "Forbidden", FORBIDDEN)


def invalid(field: str, description: str) -> ZendeskError:
    """422 RecordInvalid with one detail under `field`, as Zendesk reports validation."""
    return ZendeskError(422, "RecordInvalid", "Record validation errors",
                        {field: [{"description": description}]})


def bad_value(description: str) -> ZendeskError:
    """400 for a parameter or body Zendesk cannot read."""
    return ZendeskError(400, "InvalidValue", description)
