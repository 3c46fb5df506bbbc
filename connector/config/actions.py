"""The `then:` part of a rule: what ticketflow does, one action per list item."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, WithJsonSchema, model_validator

from connector.config.durations import DurationField
from connector.config.refs import CategoryRef, RoleRef, StatusRef, TemplateRef, TierRef
from connector.config.tagged import Strict, Tagged, bare_word_to_mapping, registry, single_key

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RECIPIENT_WORDS = ("customer", "assignee")


class Recipient(Strict):
    """Who a message goes to: the customer, the assignee, everyone in a role, or an address."""

    to: Literal["customer", "assignee", "role", "address"]
    role: RoleRef | None = None
    address: str | None = None


def parse_recipient(value: Any) -> Any:
    """`customer`, `assignee`, `{role: tier2}`, `{address: ops@example.edu}` or a bare address."""
    if isinstance(value, Recipient):
        return value
    if isinstance(value, str) and value in RECIPIENT_WORDS:
        return Recipient(to=value)
    if isinstance(value, str) and _EMAIL.match(value):
        return Recipient(to="address", address=value)
    if isinstance(value, dict) and set(value) == {"role"} and isinstance(value["role"], str):
        return Recipient(to="role", role=value["role"])
    if isinstance(value, dict) and set(value) == {"address"} and isinstance(value["address"], str):
        if not _EMAIL.match(value["address"]):
            raise ValueError(
                f"{value['address']!r} is not an email address; "
                "expected an address like ops@example.edu"
            )
        return Recipient(to="address", address=value["address"])
    raise ValueError(
        f"unknown recipient {value!r}; expected customer, assignee, "
        "{role: <role>} or {address: <email>}"
    )


RecipientField = Annotated[
    Recipient,
    BeforeValidator(parse_recipient),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": list(RECIPIENT_WORDS)},
                {"type": "string", "format": "email"},
                {
                    "type": "object",
                    "properties": {"role": {"type": "string"}},
                    "required": ["role"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"address": {"type": "string", "format": "email"}},
                    "required": ["address"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class TransitionSpec(Strict):
    to: StatusRef = Field(description="The workflow status to move the ticket to.")


class Transition(Tagged):
    """Move the ticket to a status (through the workflow's transition to it)."""

    kind = "transition"
    transition: TransitionSpec


class CategorizeSpec(Strict):
    category: CategoryRef | None = Field(
        None, description="Set this category; without it, the first matching `categories` entry."
    )


class Categorize(Tagged):
    """Set the ticket's category, from the `categories` list or as given."""

    kind = "categorize"
    categorize: CategorizeSpec


class AssignSpec(Strict):
    role: RoleRef | None = Field(None, description="Pick a member of this role.")
    user: str | None = Field(None, description="Assign this user.")
    strategy: Literal["round_robin", "least_loaded"] | None = Field(
        None, description="Overrides the role's `assign` strategy from mappings.yaml."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> AssignSpec:
        if (self.role is None) == (self.user is None):
            raise ValueError("expected exactly one of `role:` or `user:`")
        return self


class Assign(Tagged):
    """Assign the ticket to a person, or to a member of a role."""

    kind = "assign"
    assign: AssignSpec


class EscalateSpec(Strict):
    to_tier: Literal["next"] | TierRef = Field(
        "next", description="`next`, or the tier level to escalate to."
    )
    comment: TemplateRef | None = Field(
        None, description="Template for the internal comment (a built-in text when omitted)."
    )
    status: StatusRef = Field(
        "Assigned", description="The status an escalated ticket moves to (waiting for the tier)."
    )


class Escalate(Tagged):
    """Raise the tier: set it, reassign to that tier's role, move to Assigned, note it inside."""

    kind = "escalate"
    escalate: EscalateSpec


class CommentSpec(Strict):
    template: TemplateRef
    public: bool = Field(False, description="Visible to the customer (a public JSM comment).")


class Comment(Tagged):
    """Add a comment to the ticket from a template."""

    kind = "comment"
    comment: CommentSpec


class NotifySpec(Strict):
    to: RecipientField
    template: TemplateRef


class Notify(Tagged):
    """Send a message from a template, through the outbox."""

    kind = "notify"
    notify: NotifySpec


class SurveySpec(Strict):
    template: TemplateRef
    delay: DurationField | None = Field(None, description="Wait this long before sending.")


class Survey(Tagged):
    """Ask the customer for feedback, once per resolution."""

    kind = "survey"
    survey: SurveySpec


def action_type(value: Any) -> Any:
    """Which action a `then:` item is: its key, or the bare word."""
    return single_key(bare_word_to_mapping(value))


_ActionUnion = Annotated[
    Annotated[Transition, Tag("transition")]
    | Annotated[Categorize, Tag("categorize")]
    | Annotated[Assign, Tag("assign")]
    | Annotated[Escalate, Tag("escalate")]
    | Annotated[Comment, Tag("comment")]
    | Annotated[Notify, Tag("notify")]
    | Annotated[Survey, Tag("survey")],
    Discriminator(action_type),
]

ACTIONS = registry(Transition, Categorize, Assign, Escalate, Comment, Notify, Survey)

Action = Annotated[
    _ActionUnion,
    # A member with nothing to say can be a bare word (`- categorize`, `on: created`).
    BeforeValidator(
        bare_word_to_mapping, json_schema_input_type=Literal[tuple(ACTIONS)] | _ActionUnion
    ),
]
