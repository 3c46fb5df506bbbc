"""`JiraTracker`: the Tracker protocol over mappings.yaml's Jira projects, Cloud or Data Center.

It speaks the workflow's words to the core and Jira's to `JiraClient`: statuses through the
workflow's transitions, category, tier, customer and satisfaction where mappings.yaml keeps
them, a mail's marker as a label, a follow-up as a "Relates" link, a web URL under `/browse/`.
Each issue is read and written in the words of the project its key names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from connector.errors import TrackerError
from connector.http.retry import Retrier
from connector.settings import Settings
from connector.tracker.base import MirroredVersions, Notes, OwnerClaim, Tracker, WebhookCall
from connector.tracker.claim import CLAIM_PROPERTY, claim_from_json, claim_json
from connector.tracker.feed import Change, FeedPage
from connector.tracker.jira import setup, webhooks
from connector.tracker.jira.bookmarks import OVERLAP, JiraFeed
from connector.tracker.jira.client import JiraClient, connect
from connector.tracker.jira.records import Flavor, Issue
from connector.tracker.jira.translate import JiraProjects, JiraVocabulary, oldest_first
from connector.tracker.refs import ProjectKeyRefs
from connector.tracker.values import (
    Attachment,
    Comment,
    NewTicket,
    Person,
    TrackedTicket,
    WorkflowFields,
)

if TYPE_CHECKING:
    from connector.config.loader import Config

# An issue property with the full Message-ID of the mail an issue was made from (for people
# and tools; ticketflow finds the issue again by the marker label, which JQL can search).
MAIL_PROPERTY = "ticketflow.mail"


class JiraTracker:
    """Jira projects in the workflow's words (one vocabulary, or `JiraProjects` for several).
    `notes` keeps what it learns across runs (its clock's offset, who ticketflow is there);
    `identity_key` names that in the notes."""

    def __init__(self, client: JiraClient, vocabulary: JiraVocabulary | JiraProjects, *,
                 notes: Notes | None = None, base_url: str = "", identity_key: str = "",
                 overlap: timedelta = OVERLAP, page_size: int = 100) -> None:
        self._client = client
        self._projects = (vocabulary if isinstance(vocabulary, JiraProjects)
                          else JiraProjects((vocabulary,)))
        self._words = self._projects.default
        self._notes = notes
        self._identity_key = identity_key
        self._base_url = base_url
        self._feed = JiraFeed(client, self._projects, notes, overlap=overlap,
                              page_size=page_size)
        self._refs = ticket_refs(self._projects.keys, base_url)
        self._ids: dict[str, str] = {}  # key -> issue id, as last read
        self._me: Person | None = None

    @property
    def flavor(self) -> Flavor:
        return self._client.flavor

    @property
    def client(self) -> JiraClient:
        """Jira in Jira's own terms (for the installer and the online checks)."""
        return self._client

    @property
    def refs(self) -> ProjectKeyRefs:
        return self._refs

    @property
    def projects(self) -> tuple[str, ...]:
        return self._projects.keys

    def scoped(self, projects: Sequence[str]) -> JiraTracker:
        """The same Jira over some of the projects only (the backfill of a project added to
        mappings.yaml, while the others go on from their bookmark)."""
        chosen = JiraProjects(tuple(w for w in self._projects.all if w.project in projects))
        return JiraTracker(self._client, chosen, notes=self._notes, base_url=self._base_url,
                           identity_key=self._identity_key, overlap=self._feed.overlap,
                           page_size=self._feed.page_size)

    # -- reading ---------------------------------------------------------------------------

    def changes(self, bookmark: str | None, *, now: datetime) -> Iterator[FeedPage]:
        return self._remembered(self._feed.changes(bookmark, now=now))

    def changes_after(self, bookmark: str, *, now: datetime,
                      mirrored: MirroredVersions) -> Iterator[FeedPage]:
        """The change feed without the issues the mirror holds as they are: an issue inside
        the overlap window costs no changelog read once recorded."""
        return self._remembered(self._feed.changes(bookmark, now=now, mirrored=mirrored))

    def _remembered(self, pages: Iterator[FeedPage]) -> Iterator[FeedPage]:
        """The pages, their tickets' ids kept (a later history read needs no lookup)."""
        for page in pages:
            self._ids.update((t.ticket.key, t.ticket.id) for t in page.tickets)
            yield page

    def count_open(self) -> int:
        return self._feed.count_open()

    def bookmark_at(self, instant: datetime) -> str:
        """The feed's bookmarks are instants of Jira's clock, as UTC ISO text."""
        return instant.astimezone(UTC).isoformat()

    def ticket(self, key: str) -> TrackedTicket:
        return self._read(self._client.get_issue(key))

    def comments(self, key: str) -> list[Comment]:
        return [self._projects.of(key).comment(c) for c in self._client.comments(key)]

    def history(self, key: str) -> list[Change]:
        issue_id = self._ids.get(key) or self._client.get_issue(key).id
        logs = self._client.changelogs([issue_id]).get(issue_id, [])
        return oldest_first(self._projects.of(key).change(c) for c in logs)

    def attachments(self, key: str) -> list[str]:
        """The files the changelog says were attached (Jira writes an entry for each)."""
        return [item.after for change in self.history(key) for item in change.items
                if item.kind == "field" and item.field.lower() == "attachment" and item.after]

    def find_by_mail_marker(self, marker: str) -> str | None:
        found = self._client.find_by_label(self._projects.keys, marker)
        return found.key if found else None

    def myself(self) -> Person:
        """ticketflow's Jira user, asked once and remembered (an idle cycle asks nothing)."""
        if self._me is None:
            known = self._notes.meta(self._identity_key) if self._notes else None
            if known is None:
                me = self._words.person(self._client.myself())
                if me is None:
                    raise TrackerError("Jira did not say who the API user is (GET myself)")
                known = me.ref
                if self._notes is not None:
                    self._notes.set_meta(self._identity_key, known)
            self._me = Person(known)
        return self._me

    def find_person(self, identity: str, *, project: str | None = None) -> Person | None:
        """A user who may be assigned issues of `project` (the default one for None): Jira's
        assignable-user search of that project, as a user may be assignable in one and not
        in another."""
        words = self._projects.named(project)
        return words.person(self._client.find_user(identity, assignable_in=words.project))

    # -- writing ---------------------------------------------------------------------------

    def create(self, ticket: NewTicket) -> str:
        """The issue, in its project (the default one unless named), with the mail's marker
        label and property set with it atomically."""
        words = self._projects.named(ticket.project)
        fields = words.field_values(None, ticket.fields)
        labels = [ticket.mail.marker] if ticket.mail else []
        labels += [*ticket.labels, *fields.pop("labels", [])]
        if labels:
            fields["labels"] = labels
        properties = None
        if ticket.mail is not None:
            properties = {MAIL_PROPERTY: {"message_id": ticket.mail.message_id,
                                          "key": ticket.mail.mail_key}}
        key = self._client.create_issue(
            words.project, issue_type=words.issue_type, summary=ticket.summary,
            description=ticket.description, fields=fields, properties=properties)
        rest = WorkflowFields(status=ticket.fields.status, assignee=ticket.fields.assignee)
        if rest.given():
            self.update(key, rest)
        return key

    def update(self, key: str, fields: WorkflowFields, *, restart_status: bool = False) -> None:
        """Fields (one edit), then the assignee, then the status through its transition."""
        given = fields.given()
        words = self._projects.of(key)
        current = self._client.get_issue(key) if words.codec.reads_first(given) else None
        values = words.field_values(current, fields)
        if values:
            self._client.update_fields(key, values)
        if "assignee" in given:
            person: Person | None = given["assignee"]
            holder = self._words.person(current.assignee) if current else None
            if current is None or (holder.ref if holder else None) != (
                    person.ref if person else None):
                self._client.assign(key, self._words.user(person) if person else None)
        if "status" in given:
            self._move(key, str(given["status"]), current, restart=restart_status)

    def _move(self, key: str, status: str, current: Issue | None, *, restart: bool) -> None:
        target = self._projects.of(key).jira_status(status)
        if current is not None and current.status.lower() == target.lower() and not restart:
            return
        self._client.transition_to(key, target, restart=restart,
                                   from_status=current.status if current else None)

    def add_comment(self, key: str, body: str, *, public: bool) -> Comment:
        return self._projects.of(key).comment(
            self._client.add_comment(key, body, internal=not public))

    def attach(self, key: str, attachment: Attachment) -> None:
        self._client.attach(key, attachment)

    def relate(self, key: str, other: str) -> None:
        self._client.link_issues(key, other, link_type="Relates")

    def notify(self, key: str, *, subject: str, text_body: str, html_body: str | None,
               people: Sequence[Person]) -> None:
        """Jira's own notification mail to its users."""
        self._client.notify(key, subject=subject, text_body=text_body, html_body=html_body,
                            users=[self._words.user(p) for p in people])

    def read_claim(self) -> OwnerClaim | None:
        """The owner claim, kept in a property of the project."""
        return claim_from_json(self._client.project_property(self._words.project,
                                                             CLAIM_PROPERTY))

    def write_claim(self, claim: OwnerClaim) -> None:
        self._client.set_project_property(self._words.project, CLAIM_PROPERTY,
                                          claim_json(claim))

    # -- setting up --------------------------------------------------------------------------

    def install_scheme(self, config: Config, *, dry_run: bool, output: Path | None = None,
                       echo: Callable[[str], None] = print,
                       wait: Callable[[float], None] = time.sleep) -> int:
        return setup.install_scheme(config, self._client, dry_run=dry_run, output=output,
                                    echo=echo, wait=wait)

    def register_webhook(self, hook: WebhookCall, *, dry_run: bool,
                         echo: Callable[[str], None] = print) -> bool:
        return webhooks.register_webhook(self._client.http, self.flavor, hook,
                                         dry_run=dry_run, echo=echo)

    def check_config(self, config: Config) -> str:
        return setup.validate_online(config, self._client)


    def _read(self, issue: Issue) -> TrackedTicket:
        self._ids[issue.key] = issue.id
        return self._projects.of(issue.key).ticket(issue)


def ticket_refs(projects: str | Sequence[str], base_url: str) -> ProjectKeyRefs:
    """How Jira names the projects' tickets (`HELP-12`), and where it shows them:
    `/browse/KEY` under the site's address."""
    base = base_url.rstrip("/")
    return ProjectKeyRefs(projects, url=lambda key: f"{base}/browse/{quote(key, safe='')}")


def offline_refs(config: Config, settings: Settings) -> ProjectKeyRefs | None:
    """The project's ticket references without asking Jira (for the report); None while
    TICKETFLOW_JIRA_URL is unset."""
    if not settings.jira_url:
        return None
    return ticket_refs(config.mappings.projects, settings.jira_url)


def open_tracker(config: Config, settings: Settings, *, notes: Notes | None = None,
                 retrier: Retrier | None = None) -> JiraTracker:
    """The configured Jira project as a Tracker; searches ask for the custom fields
    mappings.yaml names.

    With `notes` (the state), what an earlier run learnt is used: the flavor it detected (so
    an idle cycle asks no serverInfo), and that this Jira answered before (so a connection
    failure is retried as an outage, not reported at once as a wrong URL). Only a detected
    flavor is remembered: an explicit TICKETFLOW_JIRA_FLAVOR may be wrong, and later runs
    must not inherit the mistake."""
    known = _remembered_flavor(settings, notes)
    identity_key = f"jira_user {settings.jira_url} {settings.jira_email or ''}"
    answered = known is not None or (notes is not None and notes.meta(identity_key) is not None)
    projects = JiraProjects.from_config(config)
    client = connect(settings, custom_fields=projects.custom_field_ids(),
                     retrier=retrier, known_flavor=known, answered=answered)
    if notes is not None and settings.jira_flavor == "auto" and known is None:
        notes.set_meta(_flavor_key(settings), client.flavor)
    return JiraTracker(client, JiraProjects.from_config(config, flavor=client.flavor),
                       notes=notes, base_url=settings.jira_url or "", identity_key=identity_key)


def _flavor_key(settings: Settings) -> str:
    return f"jira_flavor {settings.jira_url}"


def _remembered_flavor(settings: Settings, notes: Notes | None) -> Flavor | None:
    """With `auto`, the flavor detected by an earlier run, so a cron-driven `once` does not ask
    serverInfo every time (an idle cycle then costs one search request)."""
    known = notes.meta(_flavor_key(settings)) if notes is not None else None
    if settings.jira_flavor == "auto" and known in ("cloud", "datacenter"):
        return cast("Flavor", known)
    return None


def describe(tracker: Tracker, settings: Settings) -> str:
    """`https://x.atlassian.net (cloud)`: which Jira, and the flavor spoken with it."""
    flavor = tracker.flavor if isinstance(tracker, JiraTracker) else "not Jira"
    return f"{settings.jira_url} ({flavor})"
