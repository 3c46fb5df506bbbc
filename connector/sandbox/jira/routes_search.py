"""Routes for searching: Cloud's enhanced search and counts, Data Center's `/search`, changelogs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector.sandbox.jira import search as limits
from connector.sandbox.jira.errors import REMOVED_SEARCH, ApiError, bad_request
from connector.sandbox.jira.issue_view import IssueView, parse_csv, render_issue, select_fields
from connector.sandbox.jira.jql import JqlError
from connector.sandbox.jira.model import CLOUD, DC, FIELDS_BY_ID, History
from connector.sandbox.jira.query import CompiledQuery
from connector.sandbox.jira.render import Json, Renderer, field_schema
from connector.sandbox.routing import Reply, Request, Route, to_int

if TYPE_CHECKING:
    from connector.sandbox.jira.app import JiraApp

BULK_MAX_ISSUES = 1000
BULK_MAX_FIELDS = 10
BULK_DEFAULT_PAGE = 1000
BULK_MAX_PAGE = 10000
ISSUE_CHANGELOG_PAGE = 100


def _params(req: Request) -> dict[str, Any]:
    """GET query parameters and POST bodies, read into one shape."""
    if req.method == "GET":
        return {"jql": req.arg("jql"), "nextPageToken": req.arg("nextPageToken"),
                "maxResults": req.arg("maxResults"), "startAt": req.arg("startAt"),
                "fields": req.args("fields") or None, "expand": req.args("expand"),
                "properties": req.args("properties")}
    body = req.json()
    if not isinstance(body, dict):
        raise bad_request("The search request must be a JSON object.")
    expand = body.get("expand")
    return {"jql": body.get("jql"), "nextPageToken": body.get("nextPageToken"),
            "maxResults": body.get("maxResults"), "startAt": body.get("startAt"),
            "fields": body.get("fields"),
            "expand": expand if isinstance(expand, list) else [expand] if expand else [],
            "properties": body.get("properties") or []}


def _compile(app: JiraApp, jql: str) -> CompiledQuery:
    try:
        return app.searcher.compile(jql, app.time_zone)
    except JqlError as error:
        raise bad_request(str(error)) from None


def _results(app: JiraApp, jql: str) -> tuple[int, list[int]]:
    compiled = _compile(app, jql)
    return app.searcher.results(jql, app.time_zone, compiled)


def _top_level(fields: frozenset[str], expand: list[str]) -> Json:
    out: Json = {}
    if "names" in expand:
        out["names"] = {f: FIELDS_BY_ID[f].name for f in sorted(fields)}
    if "schema" in expand:
        out["schema"] = {f: field_schema(FIELDS_BY_ID[f]) for f in sorted(fields)}
    return out


def enhanced_search(app: JiraApp, req: Request) -> Reply:
    """`/search/jql`: token paging, `id`-only by default, no total (see `search` for limits)."""
    params = _params(req)
    jql = params["jql"] if isinstance(params["jql"], str) else ""
    fields = select_fields(params["fields"], "id")
    cap = limits.CLOUD_MAX_PAGE_KEYS if fields.only_keys else limits.CLOUD_MAX_PAGE_FIELDS
    size = min(to_int(params["maxResults"], limits.CLOUD_DEFAULT_PAGE, "maxResults"), cap)
    token = params["nextPageToken"]
    if token:
        snap, ids, offset = app.searcher.page_from_token(str(token), jql, app.time_zone)
    else:
        compiled = _compile(app, jql)
        if not compiled.bounded:
            raise bad_request(limits.UNBOUNDED)
        snap, ids = app.searcher.results(jql, app.time_zone, compiled)
        offset = 0
    expand = parse_csv(params["expand"])
    view = IssueView(fields, frozenset(expand), tuple(parse_csv(params["properties"])),
                     changelog_cap=limits.SEARCH_CHANGELOG_CAP, newest_first=True,
                     comment_cap=limits.SEARCH_COMMENT_CAP)
    r = Renderer(app.store, app.base_url, req.version)
    page = [app.store.issues[i] for i in ids[offset:offset + size] if i in app.store.issues]
    out: Json = {"issues": [render_issue(r, issue, view) for issue in page]}
    if size and offset + size < len(ids):  # maxResults=0 asks for no issues: no next page
        out["nextPageToken"] = limits.encode_token(snap, offset + size, jql)
    out["isLast"] = offset + size >= len(ids)
    out.update(_top_level(fields.ids, expand))
    return Reply(body=out)


def removed_search(app: JiraApp, req: Request) -> Reply:
    """Cloud removed `/rest/api/{2,3}/search` (CHANGE-2046): 410 with Cloud's own body."""
    raise ApiError(410, [REMOVED_SEARCH])


def dc_search(app: JiraApp, req: Request) -> Reply:
    """Data Center `/search`: `startAt`/`maxResults` (at most 1000) and a `total`."""
    params = _params(req)
    jql = params["jql"] if isinstance(params["jql"], str) else ""
    start = to_int(params["startAt"], 0, "startAt")
    size = min(to_int(params["maxResults"], limits.DC_DEFAULT_PAGE, "maxResults"),
               limits.DC_MAX_PAGE)
    _, ids = _results(app, jql)
    expand = parse_csv(params["expand"])
    view = IssueView(select_fields(params["fields"], "*navigable"), frozenset(expand),
                     tuple(parse_csv(params["properties"])),
                     comment_cap=limits.SEARCH_COMMENT_CAP)
    r = Renderer(app.store, app.base_url, req.version)
    page = [app.store.issues[i] for i in ids[start:start + size] if i in app.store.issues]
    out: Json = {"expand": "schema,names", "startAt": start, "maxResults": size,
                 "total": len(ids), "issues": [render_issue(r, i, view) for i in page]}
    out.update(_top_level(view.fields.ids, expand))
    return Reply(body=out)


def approximate_count(app: JiraApp, req: Request) -> Reply:
    body = req.json()
    jql = body.get("jql") if isinstance(body, dict) else None
    compiled = _compile(app, jql if isinstance(jql, str) else "")
    if not compiled.bounded:
        raise bad_request(limits.UNBOUNDED)
    _, ids = app.searcher.results(str(jql), app.time_zone, compiled)
    return Reply(body={"count": len(ids)})


def issue_changelog(app: JiraApp, req: Request) -> Reply:
    """`/issue/{key}/changelog`: every history, oldest first, offset paging."""
    issue = app.store.issue(req.params["key"])
    r = Renderer(app.store, app.base_url, req.version)
    start = req.int_arg("startAt", 0)
    size = min(req.int_arg("maxResults", ISSUE_CHANGELOG_PAGE), ISSUE_CHANGELOG_PAGE)
    page = issue.histories[start:start + size]
    base = f"{r.api}/issue/{issue.key}/changelog"
    out: Json = {"self": f"{base}?maxResults={size}&startAt={start}", "maxResults": size,
                 "startAt": start, "total": len(issue.histories),
                 "isLast": start + len(page) >= len(issue.histories),
                 "values": [r.history(h) for h in page]}
    if not out["isLast"]:
        out["nextPage"] = f"{base}?maxResults={size}&startAt={start + size}"
    return Reply(body=out)


def bulk_changelog(app: JiraApp, req: Request) -> Reply:
    """`/changelog/bulkfetch`: histories of up to 1000 issues, by date then issue id, oldest first.

    A stateless `nextPageToken` carries the offset; `fieldIds` filters the items.
    """
    body = req.json()
    refs = body.get("issueIdsOrKeys") if isinstance(body, dict) else None
    if not isinstance(refs, list) or not refs:
        raise bad_request("issueIdsOrKeys must be a non-empty list.")
    if len(refs) > BULK_MAX_ISSUES:
        raise bad_request(f"issueIdsOrKeys must not contain more than {BULK_MAX_ISSUES} "
                          "issues.")
    field_ids = body.get("fieldIds") or []
    if not isinstance(field_ids, list) or len(field_ids) > BULK_MAX_FIELDS:
        raise bad_request(f"fieldIds must be a list of at most {BULK_MAX_FIELDS} field ids.")
    size = min(to_int(body.get("maxResults"), BULK_DEFAULT_PAGE, "maxResults"), BULK_MAX_PAGE)
    salt = repr((sorted(map(str, refs)), sorted(map(str, field_ids))))
    token = body.get("nextPageToken")
    offset = limits.decode_offset(str(token), salt) if token else 0
    entries = _bulk_entries(app, refs, {str(f) for f in field_ids})
    page = entries[offset:offset + size]
    r = Renderer(app.store, app.base_url, req.version)
    grouped: list[Json] = []
    for issue_id, history in page:
        if not grouped or grouped[-1]["issueId"] != str(issue_id):
            grouped.append({"issueId": str(issue_id), "changeHistories": []})
        grouped[-1]["changeHistories"].append(r.history(history))
    out: Json = {"issueChangeLogs": grouped}
    if offset + size < len(entries):
        out["nextPageToken"] = limits.encode_offset(offset + size, salt)
    return Reply(body=out)


def _bulk_entries(app: JiraApp, refs: list[Any], field_ids: set[str]
                  ) -> list[tuple[int, History]]:
    entries: list[tuple[int, int, int, History]] = []
    for ref in dict.fromkeys(str(x) for x in refs):
        issue = app.store.find_issue(ref)
        if issue is None:
            continue  # Jira leaves out issues that are missing or not visible
        for history in issue.histories:
            items = [i for i in history.items if not field_ids or i.field_id in field_ids]
            if items:
                kept = history if len(items) == len(history.items) else History(
                    history.id, history.author, history.created, items)
                entries.append((history.created, issue.id, history.id, kept))
    entries.sort(key=lambda e: e[:3])
    return [(issue_id, history) for _, issue_id, _, history in entries]


# POSTs that only query are reads (`read=True`): a backtest proves it wrote nothing.
ROUTES = [
    Route("GET", "/rest/api/{v}/search/jql", enhanced_search, CLOUD),
    Route("POST", "/rest/api/{v}/search/jql", enhanced_search, CLOUD, read=True),
    Route("GET", "/rest/api/{v}/search", removed_search, CLOUD),
    Route("POST", "/rest/api/{v}/search", removed_search, CLOUD),
    Route("POST", "/rest/api/{v}/search/approximate-count", approximate_count, CLOUD,
          read=True),
    Route("POST", "/rest/api/{v}/changelog/bulkfetch", bulk_changelog, CLOUD, read=True),
    Route("GET", "/rest/api/{v}/issue/{key}/changelog", issue_changelog, CLOUD),
    Route("GET", "/rest/api/{v}/search", dc_search, DC),
    Route("POST", "/rest/api/{v}/search", dc_search, DC, read=True),
]
