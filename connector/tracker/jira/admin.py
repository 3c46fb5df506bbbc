"""Jira administration over REST: statuses, workflows, schemes, components, fields, projects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import TrackerError
from connector.tracker.jira.http import JiraHttp
from connector.tracker.jira.records import Flavor

log = logging.getLogger(__name__)

# Legacy status category keys (GET /status) -> the names the new APIs use.
_CATEGORY_KEYS = {"new": "TODO", "indeterminate": "IN_PROGRESS", "done": "DONE"}


@dataclass(frozen=True)
class JiraStatus:
    """A status as Jira has it; `category` is TODO, IN_PROGRESS or DONE."""

    id: str
    name: str
    category: str


@dataclass(frozen=True)
class JiraTransition:
    """A workflow edge by status names; `sources` is empty for a global or initial one."""

    name: str
    sources: tuple[str, ...]
    target: str
    kind: str


@dataclass(frozen=True)
class JiraWorkflow:
    """A workflow's statuses and transitions, by name (Data Center tells neither)."""

    name: str
    statuses: tuple[str, ...] = ()
    transitions: tuple[JiraTransition, ...] = ()


@dataclass(frozen=True)
class JiraScheme:
    """A workflow scheme: the default workflow and issue type id -> workflow name."""

    id: str
    name: str
    default_workflow: str
    mappings: Mapping[str, str]


@dataclass(frozen=True)
class JiraProject:
    """A project and its issue types (name -> id)."""

    id: str
    key: str
    issue_types: Mapping[str, str]


class JiraAdmin:
    """The admin reads and writes of install-scheme and `validate --online`."""

    def __init__(self, http: JiraHttp, *, flavor: Flavor) -> None:
        self.http = http
        self.flavor = flavor

    # -- reads -----------------------------------------------------------------------------

    def project(self, key: str) -> JiraProject | None:
        try:
            raw = self.http.get(f"project/{key}")
        except TrackerError as error:
            if error.status == 404:
                return None
            raise
        types = {str(t["name"]): str(t["id"]) for t in raw.get("issueTypes") or ()}
        return JiraProject(id=str(raw["id"]), key=str(raw["key"]), issue_types=types)

    def statuses(self) -> list[JiraStatus]:
        if self.flavor == "datacenter":
            return [
                JiraStatus(str(s["id"]), str(s["name"]), _category(s))
                for s in self.http.get("status")
            ]
        return [
            JiraStatus(str(s["id"]), str(s["name"]), str(s.get("statusCategory")))
            for s in self._pages("statuses/search", {"maxResults": 200})
        ]

    def project_statuses(self, key: str) -> dict[str, list[str]]:
        """Issue type name -> the status names of the workflow it uses in this project."""
        return {
            str(t["name"]): [str(s["name"]) for s in t.get("statuses") or ()]
            for t in self.http.get(f"project/{key}/statuses")
        }

    def workflow(self, name: str) -> JiraWorkflow | None:
        if self.flavor == "datacenter":
            found = self.http.get("workflow", params={"workflowName": name})
            return JiraWorkflow(name) if any(w.get("name") == name for w in found) else None
        page = self.http.get(
            "workflows/search",
            params={"queryString": name, "expand": "values.transitions", "maxResults": 50},
        )
        names = {
            str(s.get("statusReference") or s.get("id")): str(s["name"])
            for s in page.get("statuses") or ()
        }
        for raw in page.get("values") or ():
            if raw.get("name") == name:
                return _workflow(raw, names)
        return None

    def schemes(self) -> list[JiraScheme]:
        return [_scheme(s) for s in self._pages("workflowscheme", {"maxResults": 50})]

    def project_scheme(self, project_id: str) -> JiraScheme | None:
        """The scheme a project uses (Cloud; Data Center's REST does not say)."""
        if self.flavor == "datacenter":
            return None
        found = self.http.get("workflowscheme/project", params={"projectId": project_id})
        for entry in found.get("values") or ():
            return _scheme(entry["workflowScheme"])
        return None

    def issue_count(self, project: str) -> int:
        """How many issues the project has (enough to know whether it has any)."""
        jql = f'project = "{project}"'
        if self.flavor == "cloud":
            found = self.http.post("search/approximate-count", {"jql": jql}, idempotent=True)
            return int(found["count"])
        body = {"jql": jql, "maxResults": 0, "fields": ["id"]}
        return int(self.http.post("search", body, idempotent=True)["total"])

    def components(self, key: str) -> list[str]:
        return [str(c["name"]) for c in self.http.get(f"project/{key}/components")]

    def field_ids(self) -> dict[str, str]:
        """Field id -> name, system and custom."""
        return {str(f["id"]): str(f.get("name") or f["id"]) for f in self.http.get("field")}

    # -- writes (Cloud creates statuses and workflows; both create components) -------------

    def create_statuses(self, statuses: Sequence[tuple[str, str]]) -> list[JiraStatus]:
        body = {
            "scope": {"type": "GLOBAL"},
            "statuses": [{"name": n, "statusCategory": c} for n, c in statuses],
        }
        created = self.http.post("statuses", body)
        return [JiraStatus(str(s["id"]), str(s["name"]), str(s["statusCategory"])) for s in created]

    def create_workflow(self, payload: Mapping[str, Any]) -> None:
        self.http.post("workflows/create", payload)

    def create_scheme(
        self,
        *,
        name: str,
        description: str,
        default_workflow: str | None,
        mappings: Mapping[str, str],
    ) -> JiraScheme:
        body: dict[str, Any] = {
            "name": name,
            "description": description,
            "issueTypeMappings": dict(mappings),
        }
        if default_workflow:
            body["defaultWorkflow"] = default_workflow
        return _scheme(self.http.post("workflowscheme", body))

    def assign_scheme(self, *, project_id: str, scheme_id: str) -> None:
        self.http.put(
            "workflowscheme/project", {"projectId": project_id, "workflowSchemeId": scheme_id}
        )

    def switch_scheme(
        self,
        *,
        project_id: str,
        scheme_id: str,
        issue_type_id: str,
        moves: Mapping[str, str],
        wait: Callable[[float], None],
    ) -> None:
        """Move a project with issues to the scheme; Jira runs it as a task we wait for."""
        body = {
            "projectId": project_id,
            "targetSchemeId": scheme_id,
            "mappingsByIssueTypeOverride": [
                {
                    "issueTypeId": issue_type_id,
                    "statusMappings": [
                        {"oldStatusId": old, "newStatusId": new} for old, new in moves.items()
                    ],
                }
            ],
        }
        task = self.http.post("workflowscheme/project/switch", body)
        for _ in range(60):
            status = str((task or {}).get("status") or "COMPLETE")
            if status == "COMPLETE":
                return
            if status in ("FAILED", "CANCELLED", "DEAD"):
                raise TrackerError(
                    f"switching the workflow scheme failed: {task.get('message') or status}"
                )
            wait(2.0)
            task = self.http.get(f"task/{task['id']}")
        raise TrackerError(
            "switching the workflow scheme did not finish in 2 minutes; "
            "see Jira's admin screens, then run install-scheme again"
        )

    def create_component(self, *, project: str, name: str) -> None:
        self.http.post("component", {"project": project, "name": name})

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[Any]:
        start = 0
        while True:
            page = self.http.get(path, params={**params, "startAt": start})
            values = list(page.get("values") or ())
            yield from values
            start += len(values)
            if not values or page.get("isLast", True):
                return


def _category(raw: Mapping[str, Any]) -> str:
    key = str((raw.get("statusCategory") or {}).get("key") or "")
    return _CATEGORY_KEYS.get(key, key.upper())


def _workflow(raw: Mapping[str, Any], names: Mapping[str, str]) -> JiraWorkflow:
    def name(ref: Any) -> str:
        return names.get(str(ref), str(ref))

    transitions = tuple(
        JiraTransition(
            name=str(t.get("name") or ""),
            sources=tuple(
                name(link.get("fromStatusReference"))
                for link in t.get("links") or ()
                if link.get("fromStatusReference")
            ),
            target=name(t.get("toStatusReference")),
            kind=str(t.get("type") or ""),
        )
        for t in raw.get("transitions") or ()
    )
    statuses = tuple(name(s.get("statusReference")) for s in raw.get("statuses") or ())
    return JiraWorkflow(name=str(raw["name"]), statuses=statuses, transitions=transitions)


def _scheme(raw: Mapping[str, Any]) -> JiraScheme:
    return JiraScheme(
        id=str(raw.get("id") or ""),  # Jira's system default scheme has no id
        name=str(raw.get("name") or ""),
        default_workflow=str(raw.get("defaultWorkflow") or ""),
        mappings={str(k): str(v) for k, v in (raw.get("issueTypeMappings") or {}).items()},
    )
