"""The `on:` part of a rule: which event makes ticketflow evaluate it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag

from connector.config.refs import StatusRef
from connector.config.tagged import (
    Strict,
    Tagged,
    bare_word_to_mapping,
    one_or_many,
    registry,
    single_key,
)


class Empty(Strict):
    """An event with no options."""


class Created(Tagged):
    """A ticket was created (in the tracker or from a mail)."""

    kind = "created"
    created: Empty


class Schedule(Tagged):
    """Evaluated on every cycle against the local mirror: for time-based rules."""

    kind = "schedule"
    schedule: Empty


class StatusChange(Strict):
    from_: Annotated[list[StatusRef], one_or_many(str)] | None = Field(
        None, alias="from", description="Any of these before."
    )
    to: Annotated[list[StatusRef], one_or_many(str)] | None = Field(
        None, description="Any of these after."
    )


class StatusChanged(Tagged):
    """The ticket moved from one status to another."""

    kind = "status_changed"
    status_changed: StatusChange


class Assigned(Tagged):
    """The ticket's assignee changed."""

    kind = "assigned"
    assigned: Empty


class CommentBy(Strict):
    by: Literal["customer", "staff", "anyone"] = "anyone"


class Commented(Tagged):
    """Someone commented: the customer (by mail or portal) or staff."""

    kind = "commented"
    commented: CommentBy


class FieldChange(Strict):
    field: str = Field(description="tier, category, customer or satisfaction, or another field "
                       "by the tracker's name for it (Jira: its field id, e.g. priority).")


class FieldChanged(Tagged):
    """A field other than status and assignee changed."""

    kind = "field_changed"
    field_changed: FieldChange


def event_type(value: Any) -> Any:
    """Which event an `on:` value is: its key, or the bare word."""
    return single_key(bare_word_to_mapping(value))


_EventUnion = Annotated[
    Annotated[Created, Tag("created")]
    | Annotated[Schedule, Tag("schedule")]
    | Annotated[StatusChanged, Tag("status_changed")]
    | Annotated[Assigned, Tag("assigned")]
    | Annotated[Commented, Tag("commented")]
    | Annotated[FieldChanged, Tag("field_changed")],
    Discriminator(event_type),
]

EVENTS = registry(Created, Schedule, StatusChanged, Assigned, Commented, FieldChanged)

Event = Annotated[
    _EventUnion,
    # A member with nothing to say can be a bare word (`- categorize`, `on: created`).
    BeforeValidator(
        bare_word_to_mapping, json_schema_input_type=Literal[tuple(EVENTS)] | _EventUnion
    ),
]
