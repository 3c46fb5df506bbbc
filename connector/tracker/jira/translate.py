"""Jira's issues, users, comments and changelog in the workflow's words, and back.

mappings.yaml names the Jira status of each workflow status and where category, tier, customer
and satisfaction are kept (`FieldCodec`). A Jira status it does not map passes through as
itself (`validate --online` reports it); a changelog item becomes a status, assignee, tier or
category change, or a change of another field named by its Jira field id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.config.loader import Config
from connector.config.mappings import jira_section, jira_sections
from connector.config.trackers import JiraSection
from connector.tracker.feed import Change, ChangeItem, field_change
from connector.tracker.jira.fields import FieldCodec
from connector.tracker.jira.records import Change as JiraChange
from connector.tracker.jira.records import ChangeItem as JiraItem
from connector.tracker.jira.records import Comment as JiraComment
from connector.tracker.jira.records import Flavor, Issue, User
from connector.tracker.values import UNSET, Comment, Person, TrackedTicket, WorkflowFields

# Jira's newest comments come with a search or a read: at most this many (Cloud).
SEARCH_COMMENTS = 20
# The workflow's names of the fields FieldCodec keeps, as a changelog item reports them.
_FIELD_WORDS = {"category": "category", "tier": "tier", "customer_email": "customer",
                "satisfaction": "satisfaction"}


@dataclass(frozen=True)
class JiraVocabulary:
    """One Jira project's spelling of the workflow (mappings.yaml), both ways."""

    project: str
    issue_type: str
    statuses: Mapping[str, str]  # workflow status -> Jira status
    done: frozenset[str]         # workflow statuses in the Done category
    codec: FieldCodec
    flavor: Flavor = "cloud"

    @classmethod
    def from_config(cls, config: Config, *, flavor: Flavor = "cloud",
                    section: JiraSection | None = None) -> JiraVocabulary:
        """A project's vocabulary (`section`; the default project's when not given)."""
        jira = section or jira_section(config.mappings)
        return cls(jira.project, jira.issue_type, dict(jira.statuses),
                   config.rules.workflow.done_statuses,
                   FieldCodec(jira.fields, categories=[c.name for c in config.rules.categories]),
                   flavor)

    def jira_status(self, status: str) -> str:
        """The Jira status of a workflow status (an unmapped name is taken as Jira's own)."""
        return self.statuses.get(status, status)

    def workflow_status(self, jira_name: str | None) -> str:
        """The workflow status of a Jira status name; an unmapped one as itself."""
        name = jira_name or ""
        for ours, theirs in self.statuses.items():
            if theirs.lower() == name.lower():
                return ours
        return name

    def done_jira_statuses(self) -> list[str]:
        """The Jira names of the Done statuses, in mappings.yaml's order."""
        return [jira for ours, jira in self.statuses.items() if ours in self.done]

    # -- reading -----------------------------------------------------------------------

    def person(self, user: User | None) -> Person | None:
        if user is None:
            return None
        return Person(user.ref, user.email, user.display_name)

    def user(self, person: Person) -> User:
        """The Jira user a Person names: by account id on Cloud, user name on Data Center."""
        if self.flavor == "cloud":
            return User(person.display_name or person.ref, account_id=person.ref,
                        email=person.email)
        return User(person.display_name or person.ref, name=person.ref, email=person.email)

    def comment(self, comment: JiraComment) -> Comment:
        return Comment(comment.id, comment.created, self.person(comment.author), comment.body,
                       public=not comment.internal)

    def ticket(self, issue: Issue) -> TrackedTicket:
        """What the workflow reads of an issue."""
        values = self.codec.read(issue)
        total = issue.comment_total
        return TrackedTicket(
            key=issue.key, id=issue.id, summary=issue.summary, project=self.project,
            status=self.workflow_status(issue.status), created=issue.created,
            updated=issue.updated, text=issue.description, tier=values.tier,
            category=values.category, assignee=self.person(issue.assignee),
            customer=values.customer_email, reporter=self.person(issue.reporter),
            labels=issue.labels, satisfaction=values.satisfaction,
            comments=tuple(self.comment(c) for c in issue.comments),
            comments_complete=len(issue.comments) >= total if total is not None
            else len(issue.comments) < SEARCH_COMMENTS)

    def change(self, change: JiraChange) -> Change:
        """A changelog entry as changes to the workflow's fields (and others, by field id)."""
        items = tuple(item for raw in change.items for item in self._items(raw))
        return Change(change.id, change.created, self.person(change.author), items)

    def _items(self, raw: JiraItem) -> list[ChangeItem]:
        if raw.field == "status":
            return [ChangeItem("status", before=self.workflow_status(raw.from_string),
                               after=self.workflow_status(raw.to_string))]
        if raw.field == "assignee":
            return [ChangeItem("assignee", before=raw.from_value, after=raw.to_value)]
        held = self.codec.fields_in(raw)
        items = [field_change(_FIELD_WORDS[name], raw.from_string, raw.to_string)
                 for name in held]
        if not held or self.codec.others_changed(raw):
            items.append(ChangeItem("field", raw.field_id or raw.field, raw.from_string,
                                    raw.to_string))
        return items

    # -- writing -----------------------------------------------------------------------

    def field_values(self, current: Issue | None, fields: WorkflowFields) -> dict[str, Any]:
        """Raw Jira `fields` that set the given tier, category, customer and satisfaction,
        leaving out what `current` (when read) holds already."""
        now = self.codec.read(current) if current is not None else None

        def new(name: str, value: Any) -> Any:
            same = now is not None and getattr(now, name) == value
            return UNSET if value is UNSET or same else value

        return self.codec.updates(
            current, category=new("category", fields.category), tier=new("tier", fields.tier),
            customer_email=new("customer_email", fields.customer),
            satisfaction=new("satisfaction", fields.satisfaction))


@dataclass(frozen=True)
class JiraProjects:
    """Every project's vocabulary, the default (first) one first: a ticket is read and
    written in the words of the project its key names."""

    all: tuple[JiraVocabulary, ...]

    @classmethod
    def from_config(cls, config: Config, *, flavor: Flavor = "cloud") -> JiraProjects:
        return cls(tuple(JiraVocabulary.from_config(config, flavor=flavor, section=section)
                         for section in jira_sections(config.mappings)))

    @property
    def default(self) -> JiraVocabulary:
        return self.all[0]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(words.project for words in self.all)

    def named(self, project: str | None) -> JiraVocabulary:
        """A project's vocabulary by its key; the default one for None."""
        return next((w for w in self.all if w.project == project), self.default)

    def of(self, key: str) -> JiraVocabulary:
        """The vocabulary of the project an issue key (`OPS-12`) names."""
        return self.named(key.rsplit("-", 1)[0].upper())

    def done_by_project(self) -> dict[str, list[str]]:
        """Each project's Jira names of the Done statuses."""
        return {words.project: words.done_jira_statuses() for words in self.all}

    def custom_field_ids(self) -> list[str]:
        """The custom fields any project keeps values in (a search asks for them all)."""
        return list(dict.fromkeys(f for words in self.all for f in words.codec.custom_field_ids()))


def oldest_first(changes: Iterable[Change]) -> list[Change]:
    """Changelog order, whatever the endpoint returned."""
    return sorted(changes, key=lambda c: (c.at, int(c.id) if c.id.isdigit() else 0, c.id))
