"""Searches and the changelogs that go with them, in as few requests as each flavor allows.

Cloud: enhanced search pages, and one `changelog/bulkfetch` per 1000 issues read ahead across
pages (falling back to `/issue/{id}/changelog` where bulkfetch is missing). Data Center: the
search embeds each complete changelog (`expand=changelog`), so none costs a request of its own.
Changelogs fetched with a search are handed out once, to the `changelogs` call that follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from connector.errors import TrackerError
from connector.tracker.jira import paging
from connector.tracker.jira.convert import (
    ISSUE_FIELDS,
    a_list,
    an_object,
    oldest_first,
    reading,
    to_change,
    to_issue,
)
from connector.tracker.jira.http import JiraHttp
from connector.tracker.jira.records import Change, Flavor, Issue

log = logging.getLogger(__name__)


def quoted(value: str) -> str:
    """A JQL string literal; quotes and backslashes in names cannot end it early."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


Projects = str | Sequence[str]
"""One project's key, or several projects' keys searched at once."""


def project_jql(projects: Projects) -> str:
    """`project = "HELP"`, or `project in ("HELP", "OPS")`: one search for every project."""
    keys = [projects] if isinstance(projects, str) else list(projects)
    if len(keys) == 1:
        return f"project = {quoted(keys[0])}"
    return f"project in ({', '.join(quoted(k) for k in keys)})"


def open_jql(projects: Projects,
             done_statuses: Sequence[str] | Mapping[str, Sequence[str]]) -> str:
    """Issues of the projects in none of the done statuses: one list for all, or each
    project's own (its Done statuses may be named otherwise, or be another's open ones)."""
    if isinstance(done_statuses, Mapping):
        distinct = {tuple(names) for names in done_statuses.values()}
        if len(distinct) > 1:
            return " OR ".join(f"({open_jql(p, names)})" for p, names in done_statuses.items())
        done_statuses = next(iter(distinct), ())
    excluded = "".join(f" AND status != {quoted(s)}" for s in done_statuses)
    return f"{project_jql(projects)}{excluded}"


class ChangeFeed:
    """Issue searches and changelogs for one Jira."""

    def __init__(self, http: JiraHttp, *, flavor: Flavor, custom_fields: Sequence[str]) -> None:
        self._http = http
        self._flavor = flavor
        self._custom_fields = list(custom_fields)
        self._bulk_works = flavor == "cloud"
        self._held: dict[str, list[Any]] = {}  # changelogs fetched with the last search

    @property
    def fields(self) -> list[str]:
        """The explicit field list every search asks for (never `*all`)."""
        return [*ISSUE_FIELDS, *self._custom_fields]

    def count(self, jql: str) -> int:
        if self._flavor == "cloud":
            found = self._http.post("search/approximate-count", {"jql": jql}, idempotent=True)
            with reading("approximate count"):
                return int(an_object(found, "approximate count")["count"])
        body = {"jql": jql, "maxResults": 0, "fields": ["id"]}
        with reading("search count"):
            return int(an_object(self._http.post("search", body, idempotent=True),
                                 "search count")["total"])

    def search(self, jql: str, *, page_size: int,
               unchanged: Callable[[list[Issue]], Collection[str]] | None = None,
               ) -> Iterator[list[Issue]]:
        """Pages of issues, oldest first as the JQL orders them. The ids `unchanged` names
        on a page (issues the caller holds as they are) get no changelog fetched ahead."""
        self._held.clear()
        skipped: set[str] = set()

        def issues(raw_pages: Iterable[list[Mapping[str, Any]]]) -> Iterator[list[Issue]]:
            for raw in raw_pages:
                page = [to_issue(r, custom_fields=self._custom_fields) for r in raw]
                skipped.update(unchanged(page) if unchanged else ())
                yield page

        if self._flavor == "datacenter":
            embedded = paging.server_search(
                self._http, jql, fields=self.fields, page_size=page_size, expand=["changelog"])
            yield from issues(map(self._hold_embedded, embedded))
            return
        pages = issues(paging.cloud_search(self._http, jql, fields=self.fields,
                                           page_size=page_size))
        if self._bulk_works:
            pages = paging.read_ahead(pages, key=lambda i: None if i.id in skipped else i.id,
                                      fetch=self._hold_bulk, batch=paging.BULK_CHANGELOG_ISSUES)
        yield from pages

    def changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Every history of these issues, oldest first: held ones first, the rest fetched."""
        ids = list(dict.fromkeys(issue_ids))
        raw = {i: self._held.pop(i) for i in ids if i in self._held}
        rest = [i for i in ids if i not in raw]
        fetched = self._bulk(rest) if rest and self._bulk_works else None
        if rest and fetched is None:
            fetch = paging.issue_changelog if self._flavor == "cloud" else paging.expanded_changelog
            fetched = {i: fetch(self._http, i) for i in rest}
        raw.update(fetched or {})
        return {i: oldest_first(to_change(h, issue_id=i) for h in raw.get(i, [])) for i in ids}

    def _hold_bulk(self, ids: list[str]) -> None:
        self._held.update(self._bulk(ids) or {})

    def _hold_embedded(self, page: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Keep the complete changelogs a Data Center search embedded; the page, as it was."""
        with reading("search result's changelog"):
            for raw in page:
                changelog = an_object(raw.get("changelog") or {}, "changelog")
                histories = list(a_list(changelog.get("histories"), "changelog"))
                if int(changelog.get("total", len(histories))) <= len(histories):
                    self._held[_issue_id(raw)] = histories
        return page

    def _bulk(self, ids: list[str]) -> dict[str, list[Any]] | None:
        try:
            return paging.bulk_changelogs(self._http, ids)
        except TrackerError as error:
            if error.status not in (404, 405):
                raise
            log.warning(
                "changelog/bulkfetch unavailable (HTTP %s); reading changelogs issue by issue",
                error.status,
            )
            self._bulk_works = False
            return None


def _issue_id(raw: Mapping[str, Any]) -> str:
    """A search result's issue id (a result without one is a malformed answer)."""
    with reading("search result"):
        return str(raw["id"])
