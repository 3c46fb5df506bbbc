"""The `if:` part of a rule: one condition per key, combined with `all`, `any` and `not`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from connector.config.durations import DurationField
from connector.config.refs import CategoryRef, RoleRef, StatusRef, TierRef
from connector.config.tagged import Strict, Tagged, one_or_many, registry, single_key


def compile_regex(pattern: str) -> str:
    """Check a regular expression compiles; the error says why not, as `re` puts it."""
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"invalid regular expression {pattern!r}: {error}; expected a Python regular expression"
        ) from None
    return pattern


Regex = Annotated[str, BeforeValidator(lambda v: compile_regex(v) if isinstance(v, str) else v)]


class Elapsed(Strict):
    """A time comparison: `{over: 4h}`, `{under: 2 business days}`, `{over: tier_limit}`."""

    over: DurationField | Literal["tier_limit"] | None = Field(
        None,
        description="True when more time than this has passed. `tier_limit` means the "
        "ticket's tier's `escalate_after` (by category where set).",
    )
    under: DurationField | None = Field(None, description="True when less time has passed.")
    business: bool = Field(False, description="Count only business time of the calendar.")

    @model_validator(mode="after")
    def _needs_a_bound(self) -> Elapsed:
        if self.over is None and self.under is None:
            raise ValueError("no bound given; expected `over:` or `under:` (or both)")
        return self


class AssigneeIs(Strict):
    """Who the ticket is assigned to: `none`, `any`, a role, or a user."""

    role: RoleRef | None = None
    user: str | None = None
    state: Literal["none", "any"] | None = None


def _assignee_word(value: Any) -> Any:
    """`assignee: none` and `assignee: any` are shorthand for `{state: ...}`."""
    return {"state": value} if isinstance(value, str) else value


class LabelsAre(Strict):
    """Label tests: `{any_of: [vip]}`, `{all_of: [...]}`, `{none_of: [...]}`."""

    any_of: list[str] = Field(default_factory=list)
    all_of: list[str] = Field(default_factory=list)
    none_of: list[str] = Field(default_factory=list)


class StatusCondition(Tagged):
    """The ticket's workflow status is one of these."""

    kind = "status"
    status: Annotated[list[StatusRef], one_or_many(str)]


class TierCondition(Tagged):
    """The ticket's tier is one of these levels."""

    kind = "tier"
    tier: Annotated[list[TierRef], one_or_many(int)]


class CategoryCondition(Tagged):
    """The ticket's category is one of these."""

    kind = "category"
    category: Annotated[list[CategoryRef], one_or_many(str)]


class TextMatches(Tagged):
    """The summary or description matches a regular expression (`(?i)` for any case)."""

    kind = "text_matches"
    text_matches: Regex


class AssigneeCondition(Tagged):
    """The ticket's assignee: `none`, `any`, `{role: tier2}` or `{user: bob@example.edu}`."""

    kind = "assignee"
    assignee: Annotated[
        AssigneeIs,
        BeforeValidator(_assignee_word, json_schema_input_type=Literal["none", "any"] | AssigneeIs),
    ]


class ReporterDomain(Tagged):
    """The customer's email address is at one of these domains."""

    kind = "reporter_domain"
    reporter_domain: Annotated[list[str], one_or_many(str)]


class LabelsCondition(Tagged):
    """The ticket's labels pass these tests."""

    kind = "labels"
    labels: LabelsAre


class TimeInStatus(Tagged):
    """Time since the ticket entered its current status."""

    kind = "time_in_status"
    time_in_status: Elapsed


class Age(Tagged):
    """Time since the ticket was created."""

    kind = "age"
    age: Elapsed


class SinceCustomerReply(Tagged):
    """Time since the customer last wrote (or since creation if they never replied)."""

    kind = "since_customer_reply"
    since_customer_reply: Elapsed


class AllOf(Tagged):
    """Every condition in the list holds."""

    kind = "all"
    all: ConditionList


class AnyOf(Tagged):
    """At least one condition in the list holds."""

    kind = "any"
    any: ConditionList


class NotCondition(Tagged):
    """The conditions inside do not all hold."""

    kind = "not"
    not_: ConditionList = Field(alias="not")


def condition_type(value: Any) -> Any:
    """Which condition a YAML mapping entry is: its key."""
    return single_key(value)


Condition = Annotated[
    Annotated[StatusCondition, Tag("status")]
    | Annotated[TierCondition, Tag("tier")]
    | Annotated[CategoryCondition, Tag("category")]
    | Annotated[TextMatches, Tag("text_matches")]
    | Annotated[AssigneeCondition, Tag("assignee")]
    | Annotated[ReporterDomain, Tag("reporter_domain")]
    | Annotated[LabelsCondition, Tag("labels")]
    | Annotated[TimeInStatus, Tag("time_in_status")]
    | Annotated[Age, Tag("age")]
    | Annotated[SinceCustomerReply, Tag("since_customer_reply")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotCondition, Tag("not")],
    Discriminator(condition_type),
]

CONDITIONS = registry(
    StatusCondition,
    TierCondition,
    CategoryCondition,
    TextMatches,
    AssigneeCondition,
    ReporterDomain,
    LabelsCondition,
    TimeInStatus,
    Age,
    SinceCustomerReply,
    AllOf,
    AnyOf,
    NotCondition,
)


def split_mapping(value: Any) -> Any:
    """`{status: X, tier: 1}` is shorthand for all of `[{status: X}, {tier: 1}]`."""
    if isinstance(value, dict):
        return [{key: item} for key, item in value.items()]
    return value


ConditionList = Annotated[list[Condition], BeforeValidator(split_mapping)]

for _model in CONDITIONS.values():
    _model.model_rebuild()


class CategoryDef(Strict):
    """A ticket category and how `categorize` recognises it."""

    name: str
    when: ConditionList | None = Field(None, description="Conditions that put a ticket here.")
    default: bool = Field(False, description="The category when no other matches.")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("empty name; expected the category's name")
        return name

    @model_validator(mode="after")
    def _when_or_default(self) -> CategoryDef:
        if self.when is None and not self.default:
            raise ValueError(
                f"category {self.name!r} has no `when:`; "
                "expected `when:` conditions or `default: true`"
            )
        return self
