"""The models of a rule-test file: cases with tickets, a timeline of steps, and expectations."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, field_validator

from connector.config.durations import DurationField
from connector.config.models import Calendar
from connector.config.moments import MomentField, StartField
from connector.config.refs import CategoryRef, StatusRef, TemplateRef, TierRef
from connector.config.tagged import Strict, Tagged, bare_word_to_mapping, one_or_many

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EXPECT_KEYS = ("expect", "expect_not")
# The kinds of ACTIONS, spelt out for the type checker (a test holds them equal).
ActionKind = Literal["transition", "categorize", "assign", "escalate", "comment", "notify",
                     "survey"]
LedgerStatus = Literal["pending", "blocked", "done", "failed", "skipped", "superseded"]
MailOutcome = Literal["ticket", "comment", "quarantine"]
# The header lines a mail step writes itself.
_COMPOSED = ("from", "to", "subject", "date", "message-id", "in-reply-to", "references",
             "mime-version")


def _one_line(value: Any) -> Any:
    """Mail headers and names are one line of printable text: a line break would be a header."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError(f"{value!r} holds a control character; expected one line of "
                         "printable text")
    return value


def _address(value: Any) -> Any:
    if isinstance(value, str) and not _EMAIL.match(value.strip()):
        raise ValueError(f"{value!r} is not an email address; expected an address like "
                         "pat.doe@uni.example.edu")
    return value.strip() if isinstance(value, str) else value


def _sender(value: Any) -> Any:
    """An address, or a name and an address as mail writes them (`Pat Doe <pat@...>`)."""
    if isinstance(value, str):
        _address(parseaddr(value)[1] or value)
    return value


Line = Annotated[str, BeforeValidator(_one_line)]
Address = Annotated[str, BeforeValidator(_address), BeforeValidator(_one_line)]
Sender = Annotated[str, BeforeValidator(_sender), BeforeValidator(_one_line)]
# A person: a role member of mappings.yaml by address or by the name before the @ (`alice`),
# any other address, `customer`, `staff` (the assignee, else support's first member) or
# `ticketflow` (its own user). Resolved against the configuration when the file is checked.
Person = Annotated[str, BeforeValidator(_one_line), Field(min_length=1)]
TicketName = Annotated[str, BeforeValidator(_one_line), Field(min_length=1)]


class TicketSpec(Strict):
    """A ticket's starting fields, as it is created in the tracker."""

    summary: Line
    description: str = ""
    customer: Address | None = Field(None, description="The customer's address.")
    labels: list[Line] = Field(default_factory=list)
    category: CategoryRef | None = None
    tier: TierRef | None = None
    assignee: Person | None = None


class ActionExpect(Strict):
    """An action a rule took in this step (a ledger row), by rule and kind."""

    rule: str = Field(description="The rule's name in rules.yaml.")
    kind: ActionKind | None = Field(None, description="notify, escalate, categorize, ...")
    status: LedgerStatus | None = Field(None, description="How it ended (done, skipped, ...).")
    outcome: str | None = Field(None, description="Words its outcome contains.")
    count: int | None = Field(None, ge=0, description="Exactly this many (under expect).")


def _rule_name(value: Any) -> Any:
    """`- acknowledge` names the rule alone."""
    return {"rule": value} if isinstance(value, str) else value


class MessageExpect(Strict):
    """A message ticketflow queued in this step (an outbox row), by template and recipient."""

    template: TemplateRef
    to: Line | None = Field(None, description="customer, assignee or an address.")
    at: MomentField | None = Field(None, description="When it is to be sent.")
    count: int | None = Field(None, ge=0, description="Exactly this many (under expect).")


class Expectation(Strict):
    """What must hold after a step (under `expect`) or must not (under `expect_not`)."""

    ticket: TicketName | None = Field(None, description="Whose; the step's ticket if unset.")
    actions: list[Annotated[ActionExpect, BeforeValidator(
        _rule_name, json_schema_input_type=str | ActionExpect)]] = Field(default_factory=list)
    messages: list[MessageExpect] = Field(default_factory=list)
    status: StatusRef | None = None
    tier: TierRef | None = None
    category: CategoryRef | None = Field(None, description="A category, or none.")
    assignee: Person | None = Field(None, description="A person, or none.")
    mail: MailOutcome | None = Field(None, description="How the step's mail ended.")


class _Step(Tagged):
    expect: Expectation | None = None
    expect_not: Expectation | None = None


class Created(_Step):
    """The ticket is created in the tracker, with its fields from `tickets:`."""

    kind = "created"
    created: TicketName


class StatusSpec(Strict):
    ticket: TicketName | None = None
    to: Annotated[list[StatusRef], one_or_many(str), Field(min_length=1)] = Field(
        description="The status, or several moved through in order before ticketflow looks.")
    by: Person
    assignee: Person | None = Field(None, description="Assigned on the way (as Jira's "
                                    "transition screen does).")


class StatusStep(_Step):
    """A person (or ticketflow) moves the ticket through the workflow."""

    kind = "status"
    status: StatusSpec


class AssignSpec(Strict):
    ticket: TicketName | None = None
    to: Person = Field(description="A person, or none to unassign.")
    by: Person


class AssignStep(_Step):
    """A person assigns the ticket."""

    kind = "assign"
    assign: AssignSpec


class CommentSpec(Strict):
    ticket: TicketName | None = None
    by: Person
    text: str = Field(min_length=1)
    internal: bool = False


class CommentStep(_Step):
    """Someone comments on the ticket in the tracker."""

    kind = "comment"
    comment: CommentSpec


class BounceSpec(Strict):
    status: Annotated[str, Field(pattern=r"^[245]\.\d{1,3}\.\d{1,3}$")] = Field(
        "5.1.1", description="The delivery status code, e.g. 5.1.1 (no such user).")
    recipient: Address | None = Field(None, description="Who could not be reached; the "
                                      "ticket's customer if unset.")


class MailSpec(Strict):
    from_: Sender = Field(alias="from", description="pat@... or Pat Doe <pat@...>")
    to: Address | None = Field(None, description="The helpdesk's address if unset.")
    subject: Line
    body: str = ""
    in_reply_to: TicketName | None = Field(
        None, description="A ticket: the mail answers the newest message ticketflow sent on it.")
    headers: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")], Line] = Field(
        default_factory=dict, description="More header lines, e.g. Auto-Submitted.")
    bounce: BounceSpec | None = Field(
        None, description="A delivery failure report (RFC 3464) returning that message.")
    opens: TicketName | None = Field(None, description="The name of the ticket it opens.")

    @field_validator("headers")
    @classmethod
    def _not_ours(cls, headers: dict[str, str]) -> dict[str, str]:
        taken = [name for name in headers if name.lower() in _COMPOSED
                 or name.lower().startswith("content-")]
        if taken:
            raise ValueError(f"{', '.join(taken)}: set from the step's own keys (from, to, "
                             "subject, body, in_reply_to); expected other header lines, such "
                             "as Auto-Submitted")
        return headers


class MailStep(_Step):
    """A mail arrives in the helpdesk mailbox; the next cycle's intake reads it."""

    kind = "mail"
    mail: MailSpec


class AdvanceTo(Strict):
    to: MomentField


def _advance_form(value: Any) -> str:
    # Tags that are no key of the file, so an error's place is not read as one.
    return "moment" if isinstance(value, dict | AdvanceTo) else "duration"


class AdvanceStep(_Step):
    """Time passes (cycles run as the service would run them)."""

    kind = "advance"
    advance: Annotated[
        Annotated[DurationField, Tag("duration")] | Annotated[AdvanceTo, Tag("moment")],
        Discriminator(_advance_form)]


def _nothing(value: dict[str, Any]) -> dict[str, Any]:
    if value:
        raise ValueError(f"run takes nothing, got {', '.join(map(str, value))}; expected "
                         "`- run` (or `- run:` with expect: beside it)")
    return value


class RunStep(_Step):
    """One cycle now."""

    kind = "run"
    run: Annotated[dict[str, Any], AfterValidator(_nothing)] = Field(
        description="Nothing: `- run` or `- run:`.")


class Check(_Step):
    """Only expectations: nothing happens in between."""

    kind = "expect"


STEP_KINDS = ("created", "status", "assign", "comment", "mail", "advance", "run")
STEP_TAGS = (*STEP_KINDS, "expect")


def step_kind(value: Any) -> Any:
    """Which step a timeline item is: its one step key (`expect`/`expect_not` beside it), or
    `expect` for an item of expectations only."""
    if isinstance(value, _Step):
        return value.kind
    if not isinstance(value, dict):
        return f"({type(value).__name__})"
    named = [k for k in value if k in STEP_KINDS]
    other = [k for k in value if k not in STEP_KINDS and k not in EXPECT_KEYS]
    if len(named) == 1:
        return named[0]  # any other key is reported as unknown, with a suggestion
    if len(named) > 1:
        return "(several keys: " + ", ".join(map(str, named)) + ")"
    if len(other) == 1:
        return str(other[0])
    if other:
        return "(several keys: " + ", ".join(map(str, other)) + ")"
    return "expect" if value else "(empty mapping)"


_StepUnion = Annotated[
    Annotated[Created, Tag("created")] | Annotated[StatusStep, Tag("status")]
    | Annotated[AssignStep, Tag("assign")] | Annotated[CommentStep, Tag("comment")]
    | Annotated[MailStep, Tag("mail")] | Annotated[AdvanceStep, Tag("advance")]
    | Annotated[RunStep, Tag("run")] | Annotated[Check, Tag("expect")],
    Discriminator(step_kind),
]
# `- run` alone is a step too.
Step = Annotated[_StepUnion, BeforeValidator(bare_word_to_mapping,
                                             json_schema_input_type=Literal["run"] | _StepUnion)]


class Case(Strict):
    """One rule test: the clock start, the tickets and what happens to them."""

    name: Line
    start: StartField | None = Field(None, description="The file's `start` if unset.")
    calendar: Calendar | None = Field(None, description="rules.yaml's calendar if unset.")
    tickets: dict[TicketName, TicketSpec] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("empty name; expected words saying what the case shows")
        return name


class TestFile(Strict):
    """A file of rule tests (`rules/tests/*.yaml`)."""

    __test__ = False  # not a pytest class, whatever its name

    start: StartField | None = Field(None, description="Every case's clock start, unless set.")
    calendar: Calendar | None = Field(None, description="Every case's calendar, unless set.")
    cases: list[Case] = Field(min_length=1)
