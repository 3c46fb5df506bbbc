"""Paging through Jira: enhanced search (Cloud tokens), startAt search (Data Center), changelogs."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from connector.errors import TrackerError
from connector.tracker.jira.convert import a_list, an_object, reading
from connector.tracker.jira.http import JiraHttp

log = logging.getLogger(__name__)

T = TypeVar("T")

BULK_CHANGELOG_ISSUES = 1000  # Cloud's limit of issues per changelog/bulkfetch request
BULK_CHANGELOG_PAGE = 10000  # histories per bulkfetch page (Cloud's maximum)
CHANGELOG_PAGE = 100


def cloud_search(
    http: JiraHttp, jql: str, *, fields: Sequence[str], page_size: int
) -> Iterator[list[Mapping[str, Any]]]:
    """Enhanced search (`POST search/jql`): follow `nextPageToken` until it is absent."""
    token: str | None = None
    while True:
        body: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": list(fields)}
        if token:
            body["nextPageToken"] = token
        page = an_object(http.post("search/jql", body, idempotent=True), "search page")
        issues = [an_object(i, "search result") for i in a_list(page.get("issues"), "search")]
        if issues:
            yield issues
        token = page.get("nextPageToken")
        if not token or page.get("isLast"):
            return


def server_search(
    http: JiraHttp, jql: str, *, fields: Sequence[str], page_size: int, expand: Sequence[str] = ()
) -> Iterator[list[Mapping[str, Any]]]:
    """Data Center search (`POST search`): `startAt` paging until `total` is reached."""
    start = 0
    while True:
        body: dict[str, Any] = {
            "jql": jql,
            "startAt": start,
            "maxResults": page_size,
            "fields": list(fields),
        }
        if expand:
            body["expand"] = list(expand)
        page = an_object(http.post("search", body, idempotent=True), "search page")
        issues = [an_object(i, "search result") for i in a_list(page.get("issues"), "search")]
        if issues:
            yield issues
        start += len(issues)
        with reading("search page"):
            total = int(page.get("total", 0))
        if not issues or start >= total:
            return


def read_ahead(
    pages: Iterable[list[T]],
    *,
    key: Callable[[T], str | None],
    fetch: Callable[[list[str]], object],
    batch: int,
) -> Iterator[list[T]]:
    """Pages in order, each once `fetch` has had all its ids, in batches of exactly `batch`.

    Batching across page boundaries is what makes N issues cost ceil(N / batch) fetches
    whatever the page size; a page waits until the batch holding its last id is fetched.
    An item whose `key` is None needs nothing fetched (the mirror has it as it is).
    """
    waiting: deque[list[T]] = deque()
    unfetched: list[str] = []
    fetched: set[str] = set()

    def ready(page: list[T]) -> bool:
        return all(ident is None or ident in fetched for ident in map(key, page))

    for page in pages:
        waiting.append(page)
        unfetched += [ident for ident in map(key, page) if ident is not None]
        while len(unfetched) >= batch:
            chunk, unfetched = unfetched[:batch], unfetched[batch:]
            fetch(chunk)
            fetched.update(chunk)
        while waiting and ready(waiting[0]):
            yield waiting.popleft()
    if unfetched:
        fetch(unfetched)
    yield from waiting


def bulk_changelogs(http: JiraHttp, issue_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Cloud `POST changelog/bulkfetch`: up to 1000 issues a request, pages by token."""
    found: dict[str, list[Any]] = {i: [] for i in issue_ids}
    for start in range(0, len(issue_ids), BULK_CHANGELOG_ISSUES):
        chunk = list(issue_ids[start : start + BULK_CHANGELOG_ISSUES])
        token: str | None = None
        while True:
            body: dict[str, Any] = {"issueIdsOrKeys": chunk, "maxResults": BULK_CHANGELOG_PAGE}
            if token:
                body["nextPageToken"] = token
            page = an_object(http.post("changelog/bulkfetch", body, idempotent=True),
                             "changelog bulk fetch")
            with reading("changelog bulk fetch"):
                for entry in a_list(page.get("issueChangeLogs"), "changelog bulk fetch"):
                    found.setdefault(str(entry["issueId"]), []).extend(
                        a_list(entry.get("changeHistories"), "changelog bulk fetch")
                    )
            token = page.get("nextPageToken")
            if not token:
                break
    return found


def issue_changelog(http: JiraHttp, issue_id: str) -> list[Any]:
    """Cloud `GET issue/{id}/changelog`, oldest first, by startAt pages."""
    histories: list[Any] = []
    while True:
        page = an_object(http.get(
            f"issue/{issue_id}/changelog",
            params={"startAt": len(histories), "maxResults": CHANGELOG_PAGE},
        ), "changelog page")
        values = list(a_list(page.get("values"), "changelog page"))
        histories.extend(values)
        with reading("changelog page"):
            total = int(page.get("total", 0))
        if not values or page.get("isLast", True) or len(histories) >= total:
            return histories


def expanded_changelog(http: JiraHttp, issue_id: str) -> list[Any]:
    """Data Center `GET issue/{id}?expand=changelog`; pages the rest if Jira held some back."""
    raw = an_object(http.get(f"issue/{issue_id}", params={"expand": "changelog",
                                                            "fields": "created"}), "issue")
    changelog = an_object(raw.get("changelog") or {}, "changelog")
    histories = list(a_list(changelog.get("histories"), "changelog"))
    with reading("changelog"):
        total = int(changelog.get("total", len(histories)))
    while len(histories) < total:
        try:
            page = http.get(
                f"issue/{issue_id}/changelog",
                params={"startAt": len(histories), "maxResults": CHANGELOG_PAGE},
            )
        except TrackerError as error:
            if error.status not in (404, 405):
                raise
            log.warning(
                "issue %s has %d changelog entries but Jira returned %d and has no "
                "changelog paging",
                issue_id,
                total,
                len(histories),
            )
            break
        values = list(a_list(an_object(page, "changelog page").get("values"), "changelog page"))
        if not values:
            break
        histories.extend(values)
    return histories
