"""Models of `rules.yaml` (workflow, calendar, tiers, rules) and `mappings.yaml` (Jira names)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BeforeValidator,
    ByteSize,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from connector.config.actions import Action
from connector.config.conditions import CategoryDef, ConditionList
from connector.config.durations import DurationField
from connector.config.events import Event
from connector.config.mappings_zendesk import ZendeskSection
from connector.config.notifications import Feedback, Notifications
from connector.config.refs import CategoryRef, RoleRef, StatusRef
from connector.config.tagged import Strict, Tagged, registry, single_key

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
StatusCategory = Literal["To Do", "In Progress", "Done"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
_AUTHSERV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # RFC 8601: a token, a host name
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class Calendar(Strict):
    """The team's working time, for business-hour arithmetic."""

    timezone: str = Field(description="IANA time zone, e.g. America/Chicago.")
    workdays: list[Weekday] = Field(default_factory=lambda: list(_WEEKDAYS))
    hours: str = Field("09:00-17:00", description='Working hours each workday, "HH:MM-HH:MM".')
    holidays: list[dt.date] = Field(default_factory=list, description="Dates with no work.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            import difflib  # noqa: PLC0415  (only needed on this error path)

            close = difflib.get_close_matches(name, available_timezones(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown time zone {name!r}{hint}; expected an IANA name like America/Chicago"
            ) from None
        return name

    @field_validator("hours")
    @classmethod
    def _hours_range(cls, hours: str) -> str:
        match = _HOURS.match(hours.replace(" ", ""))
        if not match or (match[3], match[4]) <= (match[1], match[2]):
            raise ValueError(
                f"{hours!r} is not a range of working hours; expected "
                '"HH:MM-HH:MM" with the end after the start, e.g. "08:00-17:00"'
            )
        return hours.replace(" ", "")

    @field_validator("workdays")
    @classmethod
    def _some_workdays(cls, days: list[str]) -> list[str]:
        if not days:
            raise ValueError("no workdays; expected at least one day such as mon")
        return days


class StatusDef(Strict):
    """A workflow status and its Jira status category."""

    name: str
    category: StatusCategory


class TransitionDef(Strict):
    """An allowed move between statuses, installed into Jira's workflow."""

    from_: StatusRef = Field(alias="from")
    to: StatusRef
    name: str | None = Field(None, description="Jira transition name; defaults to the target.")


class Workflow(Strict):
    """The statuses and transitions of the support workflow."""

    statuses: list[StatusDef]
    initial: StatusRef = Field(description="Where every new ticket starts.")
    transitions: list[TransitionDef]

    @property
    def done_statuses(self) -> frozenset[str]:
        """The statuses in the Done category: a ticket there is finished (the one definition)."""
        return frozenset(s.name for s in self.statuses if s.category == "Done")


class TierDef(Strict):
    """A support tier: who works it and how long a ticket may wait there."""

    tier: int = Field(ge=1, description="Level: 1 is first-line support.")
    name: str
    role: RoleRef = Field(description="The role in mappings.yaml that works this tier.")
    escalate_after: DurationField | None = Field(
        None, description="Time in status after which `over: tier_limit` holds."
    )
    by_category: dict[CategoryRef, DurationField] = Field(
        default_factory=dict, description="Per-category limits that override escalate_after."
    )


class Timeframe(Strict):
    """Promised times, used for ETAs in messages."""

    first_response: DurationField
    resolve: DurationField


class Limits(Strict):
    """Safety limits."""

    max_actions_per_issue_per_hour: int = Field(
        20,
        ge=1,
        description="Circuit breaker: more actions than this on one ticket in an hour "
        "stop further actions on it and are reported.",
    )


class Rule(Strict):
    """When something happens (`on`) and conditions hold (`if`), do the actions (`then`)."""

    name: str
    on: Event
    if_: ConditionList | None = Field(None, alias="if")
    then: list[Action] = Field(min_length=1)
    enabled: bool = True
    include_own_changes: bool = Field(
        False, description="Also react to changes ticketflow itself made."
    )
    description: str | None = None


class RulesFile(Strict):
    """`rules.yaml`: the workflow, its calendar, tiers, timeframes, categories and rules."""

    include: list[str] = Field(
        default_factory=list, description="More rule files (paths relative to the config dir)."
    )
    calendar: Calendar
    workflow: Workflow
    tiers: list[TierDef] = Field(min_length=1)
    timeframes: dict[str, Timeframe] = Field(
        default_factory=dict, description="Keyed tier1, tier2, ...: promised times per tier."
    )
    categories: list[CategoryDef] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    notifications: Notifications = Field(default_factory=Notifications)
    feedback: Feedback = Field(default_factory=Feedback)
    rules: list[Rule] = Field(default_factory=list)


class IncludedRules(Strict):
    """A file named by `include:`: more rules (and possibly more includes)."""

    include: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


# --- mappings.yaml ------------------------------------------------------------------------


class ComponentTarget(Tagged):
    """Keep the value as the issue's component."""

    kind = "component"
    component: Literal[True]


class LabelTarget(Tagged):
    """Keep the value as a label with this prefix, e.g. `cat-access`."""

    kind = "label_prefix"
    label_prefix: str = Field(min_length=1)


class CustomFieldTarget(Tagged):
    """Keep the value in a custom field, e.g. `customfield_10071`."""

    kind = "custom_field"
    custom_field: Annotated[str, Field(pattern=r"^customfield_\d+$")]


def field_target_type(value: Any) -> Any:
    """Which storage a field mapping names: its key."""
    return single_key(value)


FieldTarget = Annotated[
    Annotated[ComponentTarget, Tag("component")]
    | Annotated[LabelTarget, Tag("label_prefix")]
    | Annotated[CustomFieldTarget, Tag("custom_field")],
    Discriminator(field_target_type),
]
FIELD_TARGETS = registry(ComponentTarget, LabelTarget, CustomFieldTarget)


class FieldMap(Strict):
    """Where ticketflow keeps what it knows about a ticket."""

    category: FieldTarget
    tier: FieldTarget
    customer_email: CustomFieldTarget
    satisfaction: CustomFieldTarget | None = None


class RoleDef(Strict):
    """A group of people who share work."""

    users: Annotated[list[str], Field(min_length=1)]
    assign: Literal["round_robin", "least_loaded"] = "round_robin"


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

    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class MappingsFile(Strict):
    """`mappings.yaml`: the workflow's names as one tracker spells them. On Jira: the project,
    issue type, statuses and fields; on Zendesk: the `zendesk:` section (`project` then names
    the help desk in ticketflow's state)."""

    tracker: Literal["jira", "zendesk"]
    project: Annotated[str, BeforeValidator(_strip), Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]
    issue_type: str = ""
    statuses: dict[StatusRef, str] = Field(default_factory=dict)
    fields: FieldMap | None = None
    zendesk: ZendeskSection | None = None
    roles: dict[str, RoleDef]
    mailbox: Mailbox

    @property
    def keeps_satisfaction(self) -> bool:
        """Whether the tracker keeps the survey's score in a field of its own."""
        if self.zendesk is not None:
            return self.zendesk.satisfaction is not None
        return self.fields is not None and self.fields.satisfaction is not None

    @property
    def jira_fields(self) -> FieldMap:
        """The Jira fields (validated present when the tracker is Jira)."""
        if self.fields is None:
            raise ValueError("mappings.yaml names no Jira fields")
        return self.fields

    @model_validator(mode="after")
    def _one_tracker(self) -> MappingsFile:
        if self.tracker == "zendesk":
            if self.zendesk is None:
                raise ValueError("tracker is zendesk but there is no `zendesk:` section; "
                                 "expected statuses, groups and category under `zendesk:`")
            # The workflow's statuses by their Zendesk names, as Jira's are given.
            object.__setattr__(self, "statuses",
                               {ours: s.label for ours, s in self.zendesk.statuses.items()})
            return self
        missing = [name for name, value in (("issue_type", self.issue_type),
                                            ("statuses", self.statuses),
                                            ("fields", self.fields)) if not value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}; expected them for tracker: jira")
        return self

    @model_validator(mode="after")
    def _distinct_jira_statuses(self) -> MappingsFile:
        seen: dict[str, str] = {}
        for ours, theirs in self.statuses.items():
            if theirs in seen:
                raise ValueError(
                    f"statuses {seen[theirs]!r} and {ours!r} both map to "
                    f"Jira status {theirs!r}; expected one Jira status each"
                )
            seen[theirs] = ours
        return self


__all__ = ["FIELD_TARGETS", "IncludedRules", "MappingsFile", "RoleRef", "Rule", "RulesFile"]
