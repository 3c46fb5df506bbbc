"""Model of `mappings.yaml`: which tracker, its section of names (connector.config.trackers),
and the shared mailbox; and the older flat layout, still read with a warning."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ByteSize,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from connector.config.durations import DurationField
from connector.config.problems import Problem, problem_at
from connector.config.source import Document, KeyPath, Location
from connector.config.tagged import Strict
from connector.config.trackers import (
    MAIL_ADDRESS,
    JiraSection,
    JiraSections,
    RoleDef,
    TrackerSection,
    ZendeskSectionOnly,
)
from connector.errors import ConfigError

TrackerName = Literal["jira", "zendesk"]
TRACKER_NAMES: dict[TrackerName, str] = {"jira": "Jira", "zendesk": "Zendesk"}
# Trackers that mail their own users (rules.yaml `notifications.assignee.via: jira_notify`).
NOTIFYING_TRACKERS = frozenset({"jira"})
# The keys of the flat layout (before per-tracker sections), all of them Jira's.
FLAT_JIRA_KEYS = ("project", "issue_type", "statuses", "fields", "roles")
_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # RFC 8601: a token, a host name


def _byte_size(value: Any) -> Any:
    """`10 MB`, `512 KiB` or a number of bytes, with an error that says so."""
    try:
        return TypeAdapter(ByteSize).validate_python(value)
    except ValidationError:
        raise ValueError(f"{value!r} is not a size; expected a number of bytes or a size "
                         'like "10 MB" or "512 KiB"') from None


Size = Annotated[ByteSize, BeforeValidator(_byte_size)]
Domain = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                          pattern=r"^\s*[A-Za-z0-9.-]+\.[A-Za-z]{2,}\s*$")]


class Mailbox(Strict):
    """The helpdesk mailbox, and how mail intake treats what arrives in it."""

    address: str = Field(pattern=MAIL_ADDRESS)
    reopen_window: DurationField = Field(
        "7 days", validate_default=True,
        description="A reply to a Complete ticket within this time reopens it (Complete -> "
        "Reviewing); a later one opens a new ticket linked to the old one.")
    max_attachment_size: Size = Field(
        "10 MB", validate_default=True,
        description='Larger attachments are not uploaded but named in a comment, e.g. "10 MB".')
    max_message_size: Size = Field(
        "25 MB", validate_default=True,
        description="Of larger mail only the header is read; the ticket says so.")
    trusted_domains: list[Domain] = Field(
        default_factory=list,
        description="Sender domains whose mail is never treated as bulk or automatic (their "
        "systems mark people's mail as bulk); such mail is acknowledged like any other.")
    authserv_id: str | None = Field(
        None,
        description="The name your receiving mail server writes first in its "
        "Authentication-Results headers (e.g. mx.example.edu). Only those headers are read: "
        "mail whose DMARC, DKIM or SPF verdict failed there never joins an existing ticket, "
        "and its new ticket is labelled tf-unverified. Unset: verdicts are not read.")

    @field_validator("authserv_id")
    @classmethod
    def _one_name(cls, name: str | None) -> str | None:
        if name is not None and not _AUTHSERV_ID.fullmatch(name.strip()):
            raise ValueError(
                f"{name!r} is not an authserv-id; expected the one name your mail server "
                "writes first in its Authentication-Results headers, such as "
                '"mx.example.edu" (not the whole header)')
        return None if name is None else name.strip()


class MappingsFile(Strict):
    """`mappings.yaml`: the tracker ticketflow works with, the section holding how it spells
    the workflow (the other section may be there too, checked but unused), and the mailbox.
    `jira:` may list several projects; the first is the default (mail to no project's own
    address opens its tickets there)."""

    tracker: TrackerName = Field(
        description="jira or zendesk: which tracker, and so which section below is used.")
    jira: JiraSections | None = Field(
        None, description="One Jira project's names, or a list of projects' (the first is the "
        "default).")
    zendesk: ZendeskSectionOnly | None = Field(None, description="The Zendesk desk's names.")
    mailbox: Mailbox

    @property
    def sections(self) -> tuple[TrackerSection, ...]:
        """Every project of the tracker `tracker:` picks, the default first (the loader has
        made sure there is one)."""
        chosen = self.jira if self.tracker == "jira" else self.zendesk
        if chosen is None:
            raise ConfigError([f"mappings.yaml: tracker: {self.tracker}, but no "
                               f"`{self.tracker}:` section"])
        return tuple(chosen) if isinstance(chosen, list) else (chosen,)

    @property
    def section(self) -> TrackerSection:
        """The default project's section (the first)."""
        return self.sections[0]

    @property
    def project(self) -> str:
        """The default project, as the state file and reports name it."""
        return self.section.project

    @property
    def projects(self) -> tuple[str, ...]:
        """Every project ticketflow works in, the default first."""
        return tuple(section.project for section in self.sections)

    def section_of(self, project: str) -> TrackerSection:
        """A project's section; the default one for a project not in the file (a ticket
        mirrored before its project was taken out, or an adapter that names none)."""
        return next((s for s in self.sections if s.project == project), self.section)

    def roles_of(self, project: str) -> Mapping[str, RoleDef]:
        """Who does a project's work, by role name."""
        return self.section_of(project).roles

    @property
    def roles(self) -> Mapping[str, RoleDef]:
        """The default project's roles (every project defines the roles the rules name)."""
        return self.section.roles

    @property
    def staff(self) -> list[str]:
        """Everyone in a role in any project, once each, in the file's order."""
        return list(dict.fromkeys(user for section in self.sections
                                  for role in section.roles.values() for user in role.users))

    @property
    def addresses(self) -> list[str]:
        """The helpdesk's own addresses: the shared mailbox's, then each project's."""
        own = [s.mailbox.address for s in self.sections
               if isinstance(s, JiraSection) and s.mailbox is not None]
        return [self.mailbox.address, *own]

    def project_for_mail(self, recipients: Iterable[str]) -> str:
        """The project whose own mailbox address a mail was sent to; else the default."""
        wanted = {address.lower() for address in recipients}
        for section in self.sections:
            mailbox = getattr(section, "mailbox", None)
            if mailbox is not None and mailbox.address.lower() in wanted:
                return section.project
        return self.project

    @property
    def keeps_satisfaction(self) -> bool:
        """Whether the tracker keeps the survey's score in a field of its own (in every
        project: a survey may answer for any of them)."""
        return all(s.fields.satisfaction is not None for s in self.sections)


def jira_sections(mappings: MappingsFile) -> tuple[JiraSection, ...]:
    """The `jira:` projects: the Jira adapter's names (ConfigError when the file has none)."""
    if mappings.jira is None:
        raise ConfigError([f"mappings.yaml: tracker: {mappings.tracker}, and no `jira:` "
                           "section; expected one to work with Jira"])
    return tuple(mappings.jira) if isinstance(mappings.jira, list) else (mappings.jira,)


def located_sections(mappings: MappingsFile, name: str) -> list[tuple[KeyPath, TrackerSection]]:
    """A tracker's sections with their key paths: `jira` for one, `jira[1]` in a list."""
    found: TrackerSection | list[TrackerSection] | None = getattr(mappings, name)
    if isinstance(found, list):
        return [((name, index), section) for index, section in enumerate(found)]
    return [] if found is None else [((name,), found)]


def located_jira(mappings: MappingsFile) -> list[tuple[KeyPath, JiraSection]]:
    """The `jira:` projects with their key paths (none when the file has no `jira:`)."""
    if mappings.jira is None:
        return []
    if isinstance(mappings.jira, list):
        return [(("jira", index), section) for index, section in enumerate(mappings.jira)]
    return [(("jira",), mappings.jira)]


def jira_section(mappings: MappingsFile) -> JiraSection:
    """The default (first) Jira project's section."""
    return jira_sections(mappings)[0]


def missing_section(mappings: MappingsFile, document: Document) -> list[Problem]:
    """The section `tracker:` picks must be there."""
    name = mappings.tracker
    if getattr(mappings, name) is not None:
        return []
    return [problem_at(document, ("tracker",),
                       f"{name}, but the file has no `{name}:` section; expected a `{name}:` "
                       f"section with the {TRACKER_NAMES[name]} names of the workflow's "
                       "statuses, fields and roles")]


def flat_layout(document: Document) -> Problem | None:
    """Read the older flat layout (`project:`, `statuses:` ... at the top, Jira only) as a
    `jira:` section, keeping every key's place; the warning to show, located at the first
    flat key. None when the file is not flat (a mix of both is left to the model to refuse)."""
    data = document.data
    flat = [key for key in data if key in FLAT_JIRA_KEYS]
    if not flat or data.get("tracker") != "jira" or "jira" in data:
        return None
    first = document.source.locate((flat[0],), prefer_key=True)
    data["jira"] = {key: data.pop(key) for key in flat}
    for key in flat:
        document.source.move((key,), ("jira", key))
    if first is not None:
        document.source.keys[("jira",)] = document.source.values[("jira",)] = first
    return Problem(
        first or Location(document.display_name, 1, 1), flat[0],
        f"deprecated flat layout: {', '.join(flat)} at the top of the file are read as the "
        "`jira:` section; expected them indented under `jira:` (see the README, "
        '"mappings.yaml"); the flat layout will stop being read in a later release')
