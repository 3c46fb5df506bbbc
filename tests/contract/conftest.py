"""Fixtures for contract tests: Atlassian's OpenAPI document and a validator for its responses.

Responses are validated against `jira-cloud-platform.extract.json`, the operations the tests
use cut verbatim from Atlassian's document (see openapi_extract.py), so a clean clone can run
them; the full document beside the repository is only needed to check the extract is current.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30ReadValidator

from connector.sandbox import Sandbox

EXTRACT_PATH = Path(__file__).with_name("jira-cloud-platform.extract.json")

# Jira writes date-times as 2026-11-26T10:15:30.123-0600 (no colon in the offset). The
# document says `date-time`, which strict RFC 3339 would refuse; we check Jira's real shape.
_JIRA_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_jira_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(_JIRA_DATETIME.match(value))


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@_FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@_FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


# Where the document's schema contradicts Jira (and the document's own examples), we follow
# Jira and say so here. Changelog items carry "from": null and "fromString": null when a field
# was empty (see the getChangeLogs example in the document), though ChangeDetails omits
# `nullable`.
_NULLABLE = {"ChangeDetails": ("from", "fromString", "to", "toString")}


@cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(EXTRACT_PATH.read_text(encoding="utf-8"))
    for schema, names in _NULLABLE.items():
        for name in names:
            spec["components"]["schemas"][schema]["properties"][name]["nullable"] = True
    return spec


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The operations and schemas of the Jira Cloud platform OpenAPI document we test against."""
    return _spec()


Check = Callable[[requests.Response, str, str], Any]


def make_check(spec: dict[str, Any], formats: FormatChecker) -> Check:
    """check(response, "GET", "/rest/api/3/issue/{issueIdOrKey}") validates the body against
    the operation's schema for the response's status, $refs resolved in the whole document."""

    def check(response: requests.Response, method: str, path: str) -> Any:
        operation = spec["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method} {path} answered {status}, which the document does not list: "
            f"{response.text[:300]}")
        content = operation["responses"][status].get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if not schema:
            assert not response.content, f"{method} {path} {status} should have no body"
            return None
        body = response.json()
        # A local copy of `components` lets every "#/components/..." $ref resolve.
        rooted = {**schema, "components": spec["components"]}
        validator = OAS30ReadValidator(rooted, format_checker=formats)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method} {path}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
        return body

    return check


@pytest.fixture(scope="session")
def check_response(openapi: dict[str, Any]) -> Check:
    """Validates a Jira sandbox response against Atlassian's document (see make_check)."""
    return make_check(openapi, _FORMATS)


@pytest.fixture(scope="module")
def cloud() -> Iterator[Sandbox]:
    """A Cloud-flavor sandbox for one test module."""
    with Sandbox("cloud") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def http(cloud: Sandbox) -> Iterator[requests.Session]:
    """A session that talks to the Cloud sandbox with its credentials."""
    session = requests.Session()
    session.headers.update(cloud.auth_headers())
    yield session
    session.close()
