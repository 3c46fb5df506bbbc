"""The sandbox's records (users, workflows, projects, issues, changelog) and Jira's catalogues."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Flavor = Literal["cloud", "datacenter"]
FLAVORS: tuple[Flavor, ...] = ("cloud", "datacenter")
# Which flavors a route serves (routes serve both unless they say otherwise).
CLOUD = frozenset({"cloud"})
DC = frozenset({"datacenter"})

# Status category as the new APIs spell it -> (legacy key, legacy id, name, colour).
CATEGORIES: dict[str, tuple[str, int, str, str]] = {
    "TODO": ("new", 2, "To Do", "blue-gray"),
    "IN_PROGRESS": ("indeterminate", 4, "In Progress", "yellow"),
    "DONE": ("done", 3, "Done", "green"),
}


@dataclass(slots=True)
class User:
    """A Jira user; Cloud names it by `account_id`, Data Center by `name` (and `key`)."""

    account_id: str
    name: str
    key: str
    email: str
    display_name: str
    time_zone: str
    active: bool = True


@dataclass(slots=True)
class Status:
    """A global status; `category` is TODO, IN_PROGRESS or DONE."""

    id: str
    name: str
    category: str
    description: str = ""


@dataclass(slots=True)
class Transition:
    """One workflow edge: GLOBAL (from any status), DIRECTED (from listed ones) or INITIAL."""

    id: str
    name: str
    kind: str
    to_status: str
    from_statuses: tuple[str, ...] = ()
    description: str = ""


@dataclass(slots=True)
class Workflow:
    """A workflow: its statuses and the transitions between them."""

    id: str
    name: str
    description: str
    statuses: list[str]
    transitions: list[Transition]
    created: int
    updated: int
    layouts: dict[str, dict[str, float]] = field(default_factory=dict)
    version_id: str = ""
    version: int = 0

    def allowed_from(self, status_id: str) -> list[Transition]:
        """Transitions an issue in `status_id` may take, ordered by id as Jira lists them."""
        found = [t for t in self.transitions
                 if t.kind == "GLOBAL" or (t.kind == "DIRECTED" and status_id in t.from_statuses)]
        return sorted(found, key=lambda t: int(t.id) if t.id.isdigit() else 0)

    def initial_status(self) -> str:
        """Where new issues start: the INITIAL transition's target, else the first status."""
        for transition in self.transitions:
            if transition.kind == "INITIAL":
                return transition.to_status
        return self.statuses[0]


@dataclass(slots=True)
class WorkflowScheme:
    """Which workflow each issue type of a project uses."""

    id: int
    name: str
    description: str
    default_workflow: str
    mappings: dict[str, str] = field(default_factory=dict)

    def workflow_for(self, issuetype_id: str) -> str:
        return self.mappings.get(issuetype_id, self.default_workflow)


@dataclass(slots=True)
class Component:
    """A project component (ticketflow may keep the category here)."""

    id: int
    name: str
    project_id: int
    description: str = ""


@dataclass(slots=True)
class Project:
    """A company-managed project."""

    id: int
    key: str
    name: str
    issuetype_ids: list[str]
    scheme_id: int
    lead: str
    type_key: str = "service_desk"
    next_number: int = 1
    properties: dict[str, Any] = field(default_factory=dict)
    unassignable: set[str] = field(default_factory=set)  # account ids not to be assigned


@dataclass(slots=True)
class ChangeItem:
    """One changed field inside a changelog history."""

    field: str
    fieldtype: str
    field_id: str
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None


@dataclass(slots=True)
class History:
    """One changelog entry: who changed what, when (sandbox clock, epoch ms)."""

    id: int
    author: str
    created: int
    items: list[ChangeItem]


@dataclass(slots=True)
class Comment:
    """A comment; `body` is kept as given (wiki string or ADF) and converted when read."""

    id: int
    author: str
    body: Any
    created: int
    updated: int
    properties: dict[str, Any] = field(default_factory=dict)
    visibility: dict[str, Any] | None = None

    @property
    def internal(self) -> bool:
        """JSM's `sd.public.comment` property marks a comment internal (agents only)."""
        value = self.properties.get("sd.public.comment")
        return isinstance(value, dict) and bool(value.get("internal"))


@dataclass(slots=True)
class Attachment:
    """A file attached to an issue."""

    id: int
    filename: str
    mime_type: str
    content: bytes
    author: str
    created: int


@dataclass(slots=True)
class Link:
    """One side of an issue link; `outward` is True on the issue that 'blocks'/'relates to'."""

    id: int
    type_name: str
    outward: bool
    other_id: int


@dataclass(slots=True)
class Issue:
    """An issue with everything the sandbox serves about it."""

    id: int
    key: str
    project_id: int
    issuetype_id: str
    summary: str
    status_id: str
    created: int
    updated: int
    reporter: str | None = None
    assignee: str | None = None
    description: Any = None
    labels: list[str] = field(default_factory=list)
    components: list[int] = field(default_factory=list)
    resolution_id: str | None = None
    resolution_date: int | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(slots=True)
class Event:
    """A change a webhook may announce: `jira:issue_created`, `jira:issue_updated` (with its
    changelog `history`, or with the `comment` when `type_name` is issue_commented) or
    `comment_created`."""

    name: str
    issue_id: int
    actor: str
    at: int
    history: History | None = None
    comment: Comment | None = None
    type_name: str = "issue_generic"


@dataclass(slots=True)
class Webhook:
    """An admin webhook (`/rest/webhooks/1.0/webhook`): where to post which events, and how."""

    id: int
    name: str
    url: str
    events: list[str]
    jql: str
    secret: str | None
    exclude_body: bool
    enabled: bool
    updated: int
    updated_by: str


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A field as `GET /field` describes it; `kind` drives validation of written values."""

    id: str
    name: str
    kind: str
    custom: bool = False
    navigable: bool = True
    system_type: str = ""

    @property
    def clause_names(self) -> list[str]:
        if self.custom:
            return [f"cf[{self.id.split('_')[1]}]", self.name]
        return [self.id]


FIELDS: tuple[FieldDef, ...] = (
    FieldDef("summary", "Summary", "string"),
    FieldDef("description", "Description", "rich"),
    FieldDef("status", "Status", "status"),
    FieldDef("assignee", "Assignee", "user"),
    FieldDef("reporter", "Reporter", "user"),
    FieldDef("created", "Created", "datetime"),
    FieldDef("updated", "Updated", "datetime"),
    FieldDef("labels", "Labels", "labels"),
    FieldDef("components", "Components", "components"),
    FieldDef("issuetype", "Issue Type", "issuetype"),
    FieldDef("project", "Project", "project"),
    FieldDef("resolution", "Resolution", "resolution"),
    FieldDef("resolutiondate", "Resolved", "datetime"),
    FieldDef("comment", "Comment", "comments", navigable=False),
    FieldDef("attachment", "Attachment", "attachments"),
    FieldDef("issuelinks", "Linked Issues", "links"),
    FieldDef("customfield_10070", "Category", "string", custom=True),
    FieldDef("customfield_10071", "Tier", "number", custom=True),
    FieldDef("customfield_10072", "Customer email", "string", custom=True),
    FieldDef("customfield_10073", "Satisfaction", "number", custom=True),
)
FIELDS_BY_ID: dict[str, FieldDef] = {f.id: f for f in FIELDS}

# Fields an edit may write (the rest are set by Jira itself or through their own endpoints).
WRITABLE_FIELDS = frozenset({
    "summary", "description", "assignee", "reporter", "labels", "components", "issuetype",
    "project", "resolution", "customfield_10070", "customfield_10071", "customfield_10072",
    "customfield_10073",
})

ISSUE_TYPES: tuple[dict[str, Any], ...] = (
    {"id": "10004", "name": "Service Request", "description": "A request for help.",
     "subtask": False, "hierarchyLevel": 0},
)

RESOLUTIONS: tuple[tuple[str, str, str], ...] = (
    ("10000", "Done", "Work has been completed on this issue."),
    ("10001", "Won't Do", "This issue won't be actioned."),
    ("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    ("10003", "Cannot Reproduce", "This issue couldn't be reproduced."),
)

# Link type name -> (id, outward description, inward description).
LINK_TYPES: dict[str, tuple[str, str, str]] = {
    "Blocks": ("10000", "blocks", "is blocked by"),
    "Cloners": ("10001", "clones", "is cloned by"),
    "Duplicate": ("10002", "duplicates", "is duplicated by"),
    "Relates": ("10003", "relates to", "relates to"),
}
