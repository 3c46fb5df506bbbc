"""One issue as JSON: which fields (`fields=`), which extras (`expand=`, `properties=`), caps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connector.sandbox.jira.model import FIELDS, FIELDS_BY_ID, Issue
from connector.sandbox.jira.render import Json, Renderer

ALL_FIELDS = frozenset(f.id for f in FIELDS)
NAVIGABLE_FIELDS = frozenset(f.id for f in FIELDS if f.navigable)
_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


@dataclass(frozen=True, slots=True)
class FieldSelection:
    """The fields to include; `id_only` is enhanced search's default answer, `{"id": ...}`."""

    ids: frozenset[str]
    id_only: bool = False
    only_keys: bool = False  # nothing but id/key asked: enhanced search allows 5000 a page


def select_fields(tokens: Iterable[str] | None, default: str) -> FieldSelection:
    """Read Jira's `fields` parameter: ids, `*all`, `*navigable`, `-id` exclusions, commas."""
    parts = [p.strip() for t in (tokens or []) for p in str(t).split(",") if p.strip()]
    if not parts:
        parts = [default]
    if parts == ["id"]:
        return FieldSelection(frozenset(), id_only=True, only_keys=True)
    chosen: set[str] = set()
    excluded: set[str] = set()
    for part in parts:
        if part == "*all":
            chosen |= ALL_FIELDS
        elif part == "*navigable":
            chosen |= NAVIGABLE_FIELDS
        elif part.startswith("-"):
            excluded.add(part[1:])
        elif part in FIELDS_BY_ID:
            chosen.add(part)
        # Jira ignores names it does not know (and `id`/`key`, which are always there).
    only_keys = all(p in ("id", "key") for p in parts)
    return FieldSelection(frozenset(chosen - excluded), only_keys=only_keys)


@dataclass(frozen=True, slots=True)
class IssueView:
    """How to render issues for one request."""

    fields: FieldSelection
    expand: frozenset[str] = frozenset()
    properties: tuple[str, ...] = ()
    changelog_cap: int | None = None  # newest N histories only (Cloud truncates)
    newest_first: bool = False  # Cloud's expand=changelog lists the most recent first
    comment_cap: int | None = None


def parse_csv(values: Iterable[str] | None) -> list[str]:
    """A list parameter that may come repeated, comma-separated, or both."""
    return [p.strip() for v in (values or []) for p in str(v).split(",") if p.strip()]


def render_issue(r: Renderer, issue: Issue, view: IssueView,
                 transitions: Callable[[Issue], list[Json]] | None = None) -> Json:
    if view.fields.id_only:
        return {"id": str(issue.id)}
    out: Json = {"expand": _EXPAND, "id": str(issue.id), "self": f"{r.api}/issue/{issue.id}",
                 "key": issue.key}
    out["fields"] = {fid: _FIELD_VALUES[fid](r, issue, view)
                     for fid in FIELDS_BY_ID if fid in view.fields.ids}
    if "changelog" in view.expand:
        out["changelog"] = _changelog(r, issue, view)
    if "names" in view.expand:
        out["names"] = {fid: FIELDS_BY_ID[fid].name for fid in out["fields"]}
    if "transitions" in view.expand and transitions is not None:
        out["transitions"] = transitions(issue)
    if view.properties:
        wanted = issue.properties if "*all" in view.properties else {
            k: v for k, v in issue.properties.items() if k in view.properties}
        out["properties"] = dict(wanted)
    return out


def _changelog(r: Renderer, issue: Issue, view: IssueView) -> Json:
    histories = issue.histories
    if view.changelog_cap is not None:
        histories = histories[-view.changelog_cap:]
    if view.newest_first:
        histories = histories[::-1]
    return {"startAt": 0, "maxResults": len(histories), "total": len(issue.histories),
            "histories": [r.history(h) for h in histories]}


def _links(r: Renderer, issue: Issue, _view: IssueView) -> list[Json]:
    found = []
    for link in issue.links:
        other = r.store.issues.get(link.other_id)
        if other is not None:
            found.append(r.link(issue, link.id, link.type_name, link.outward, other))
    return found


_FieldFn = Callable[[Renderer, Issue, IssueView], Any]
_FIELD_VALUES: dict[str, _FieldFn] = {
    "summary": lambda r, i, v: i.summary,
    "description": lambda r, i, v: r.body(i.description),
    "status": lambda r, i, v: r.status(r.store.statuses[i.status_id]),
    "assignee": lambda r, i, v: r.user_ref(i.assignee),
    "reporter": lambda r, i, v: r.user_ref(i.reporter),
    "created": lambda r, i, v: r.dt(i.created),
    "updated": lambda r, i, v: r.dt(i.updated),
    "labels": lambda r, i, v: list(i.labels),
    "components": lambda r, i, v: [r.component(r.store.components[c]) for c in i.components],
    "issuetype": lambda r, i, v: r.issuetype(i.issuetype_id),
    "project": lambda r, i, v: r.project(r.store.projects[i.project_id]),
    "resolution": lambda r, i, v: r.resolution(i.resolution_id),
    "resolutiondate": lambda r, i, v: r.dt(i.resolution_date),
    "comment": lambda r, i, v: r.comment_page(i, v.comment_cap),
    "attachment": lambda r, i, v: [r.attachment(a) for a in i.attachments],
    "issuelinks": _links,
    "customfield_10070": lambda r, i, v: i.custom.get("customfield_10070"),
    "customfield_10071": lambda r, i, v: i.custom.get("customfield_10071"),
    "customfield_10072": lambda r, i, v: i.custom.get("customfield_10072"),
    "customfield_10073": lambda r, i, v: i.custom.get("customfield_10073"),
}
