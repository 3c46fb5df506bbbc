"""Jira's JSON (v2 wiki or v3 ADF, Cloud or Data Center) turned into ticketflow's domain values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from connector.http import shapes
from connector.tracker.jira.adf import adf_to_text, unescape_wiki
from connector.tracker.jira.records import Change, ChangeItem, Comment, Issue, User

# The system fields ticketflow reads; searches ask for exactly these plus the mapped custom fields.
ISSUE_FIELDS = (
    "summary",
    "status",
    "assignee",
    "reporter",
    "created",
    "updated",
    "labels",
    "components",
    "description",
    "issuetype",
    "project",
    "comment",
)


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Read Jira's answer inside: a wrong shape is a MalformedAnswerError (transient), never a
    KeyError or AttributeError that would end the cycle or give up on the mail being handled."""
    with shapes.reading(what, who="Jira"):
        yield


def an_object(value: Any, what: str) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else a MalformedAnswerError naming `what`."""
    return shapes.an_object(value, what, who="Jira")


def a_list(value: Any, what: str) -> Sequence[Any]:
    """`value` if it is a JSON array (None counts as empty), else a MalformedAnswerError."""
    return shapes.a_list(value, what, who="Jira")


def parse_time(value: Any) -> datetime:
    """Jira's `2026-01-15T10:00:00.000+0000` (or epoch milliseconds) as an aware datetime."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    when = datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def to_user(raw: Any) -> User | None:
    """A user as either flavor describes one (Cloud: accountId; Data Center: name)."""
    if not isinstance(raw, Mapping):
        return None
    account_id = raw.get("accountId")
    name = raw.get("name")
    email = raw.get("emailAddress")
    display = raw.get("displayName") or name or email or account_id or ""
    return User(
        display_name=str(display),
        account_id=str(account_id) if account_id else None,
        name=None if account_id or not name else str(name),
        email=str(email) if email else None,
    )


def rich_text(value: Any) -> str:
    """A description or comment body as plain text, from ADF (v3) or wiki markup (v2)."""
    if isinstance(value, Mapping):
        return adf_to_text(value)
    return unescape_wiki(str(value)) if value else ""


def to_issue(raw: Any, *, custom_fields: Iterable[str] = ()) -> Issue:
    """One issue from a search result or `GET issue`."""
    with reading("issue"):
        return _issue(an_object(raw, "issue"), custom_fields)


def _issue(raw: Mapping[str, Any], custom_fields: Iterable[str]) -> Issue:
    fields: Mapping[str, Any] = raw.get("fields") or {}
    status = fields.get("status") or {}
    category = status.get("statusCategory") or {}
    comment = fields.get("comment") or {}
    return Issue(
        id=str(raw["id"]),
        key=str(raw["key"]),
        summary=str(fields.get("summary") or ""),
        status=str(status.get("name") or ""),
        status_category=str(category.get("name") or ""),
        created=parse_time(fields["created"]),
        updated=parse_time(fields["updated"]),
        description=rich_text(fields.get("description")),
        assignee=to_user(fields.get("assignee")),
        reporter=to_user(fields.get("reporter")),
        labels=tuple(str(label) for label in fields.get("labels") or ()),
        components=tuple(str(c.get("name")) for c in fields.get("components") or ()),
        custom_fields={f: fields.get(f) for f in custom_fields if f in fields},
        comments=tuple(to_comment(c, issue_key=str(raw["key"]))
                       for c in comment.get("comments") or ()),
        comment_total=int(comment["total"]) if "total" in comment else None,
    )


def to_change(raw: Any, *, issue_id: str) -> Change:
    """One changelog history entry."""
    with reading(f"changelog of issue {issue_id}"):
        return _change(an_object(raw, "changelog entry"), issue_id)


def _change(raw: Mapping[str, Any], issue_id: str) -> Change:
    return Change(
        id=str(raw["id"]),
        issue_id=issue_id,
        created=parse_time(raw["created"]),
        author=to_user(raw.get("author")),
        items=tuple(
            ChangeItem(
                field=str(item.get("field") or ""),
                field_id=_text(item.get("fieldId")),
                from_value=_text(item.get("from")),
                from_string=_text(item.get("fromString")),
                to_value=_text(item.get("to")),
                to_string=_text(item.get("toString")),
            )
            for item in raw.get("items") or ()
        ),
    )


def oldest_first(changes: Iterable[Change]) -> list[Change]:
    """Changelog order regardless of endpoint (`expand=changelog` lists newest first)."""
    return sorted(changes, key=lambda c: (c.created, int(c.id) if c.id.isdigit() else 0, c.id))


def to_comment(raw: Any, *, issue_key: str) -> Comment:
    """A comment; internal when JSM's `sd.public.comment` property or `jsdPublic` says so."""
    with reading(f"comment on {issue_key}"):
        return _comment(an_object(raw, "comment"), issue_key)


def _comment(raw: Mapping[str, Any], issue_key: str) -> Comment:
    return Comment(
        id=str(raw["id"]),
        issue_key=issue_key,
        created=parse_time(raw["created"]),
        author=to_user(raw.get("author")),
        body=rich_text(raw.get("body")),
        internal=_is_internal(raw),
    )


def _is_internal(raw: Mapping[str, Any]) -> bool:
    for prop in raw.get("properties") or ():
        value = prop.get("value")
        if prop.get("key") == "sd.public.comment" and isinstance(value, Mapping):
            return bool(value.get("internal"))
    return raw.get("jsdPublic") is False


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
