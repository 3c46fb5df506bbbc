"""Models of `rules.yaml` and its included files: workflow, calendar, tiers, timeframes, rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator

from connector.config.actions import Action
from connector.config.conditions import CategoryDef, ConditionList
from connector.config.durations import DurationField
from connector.config.events import Event
from connector.config.notifications import Feedback, Notifications
from connector.config.refs import CategoryRef, RoleRef, StatusRef
from connector.config.tagged import Strict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
StatusCategory = Literal["To Do", "In Progress", "Done"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
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
    """A workflow status and its category (Done: the ticket is finished; on Jira, also the
    status category it is installed with)."""

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
