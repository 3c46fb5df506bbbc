"""mappings.yaml's per-tracker sections: how a Jira project or the Zendesk desk spells the
workflow's statuses, fields and roles.

Each section describes one project; `jira:` may hold a list of them (several projects in one
service, the first the default), so a file written with one section stays valid. Zendesk has
no projects: its section is one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from connector.config.refs import StatusRef
from connector.config.tagged import Strict, Tagged, registry, single_key

# Zendesk's status categories a custom status belongs to ("closed" is Zendesk's own, later).
ZendeskCategory = Literal["new", "open", "pending", "hold", "solved"]
ZENDESK_AGENT_LABEL_MAX = 48  # characters, as Zendesk allows


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


ProjectKey = Annotated[str, BeforeValidator(_strip), Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]
MAIL_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ProjectMailbox(Strict):
    """A project's own helpdesk address: mail sent to it opens tickets in this project."""

    address: str = Field(pattern=MAIL_ADDRESS, description="Mail to this address (To, Cc or "
                         "Delivered-To) opens its tickets in this project; other mail in the "
                         "first project.")


class RoleDef(Strict):
    """A group of people who share work."""

    users: Annotated[list[str], Field(min_length=1)]
    assign: Literal["round_robin", "least_loaded"] = "round_robin"


# --- jira: ------------------------------------------------------------------------------


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
    """Which storage a field mapping names: its key (this name shows in error messages)."""
    return single_key(value)


FieldTarget = Annotated[
    Annotated[ComponentTarget, Tag("component")]
    | Annotated[LabelTarget, Tag("label_prefix")]
    | Annotated[CustomFieldTarget, Tag("custom_field")],
    Discriminator(field_target_type),
]
FIELD_TARGETS = registry(ComponentTarget, LabelTarget, CustomFieldTarget)


class FieldMap(Strict):
    """Where ticketflow keeps what it knows about a Jira issue."""

    category: FieldTarget
    tier: FieldTarget
    customer_email: CustomFieldTarget
    satisfaction: CustomFieldTarget | None = None


class JiraSection(Strict):
    """`jira:`: the workflow's names as one Jira project spells them."""

    project: ProjectKey = Field(description="The Jira project key, e.g. HELP.")
    issue_type: str = Field(description="The issue type tickets are created with.")
    statuses: dict[StatusRef, str] = Field(
        description="Workflow status -> Jira status name; every workflow status is mapped.")
    fields: FieldMap
    roles: dict[str, RoleDef] = Field(
        description="Who does the work: Jira users (e-mail on Cloud, user name on Data Center).")
    mailbox: ProjectMailbox | None = Field(
        None, description="This project's own address (with several projects); mail to no "
        "project's address goes to the first project.")

    @model_validator(mode="after")
    def _distinct_jira_statuses(self) -> JiraSection:
        seen: dict[str, str] = {}
        for ours, theirs in self.statuses.items():
            if theirs in seen:
                raise ValueError(f"statuses {seen[theirs]!r} and {ours!r} both map to Jira "
                                 f"status {theirs!r}; expected one Jira status each")
            seen[theirs] = ours
        return self


# --- zendesk: ---------------------------------------------------------------------------


class ZendeskStatus(Strict):
    """A custom ticket status: the label agents see, and its status category."""

    agent_label: str = Field(min_length=1, max_length=ZENDESK_AGENT_LABEL_MAX)
    category: ZendeskCategory = Field(
        description="new, open, pending, hold or solved; the workflow's Done statuses are "
        "solved, the others are not.")


class TicketFieldTarget(Tagged):
    """Keep the value in a Zendesk ticket field (a drop-down for the category), by its id."""

    kind = "custom_field"
    custom_field: int = Field(gt=0, description="The ticket field's id (Admin Center, "
                              "Objects and rules, Tickets, Fields).")


class TagTarget(Tagged):
    """Keep the value as a tag with this prefix, e.g. `cat_access`."""

    kind = "tag_prefix"
    tag_prefix: str = Field(pattern=r"^[^\s,]+$", description="Zendesk tags hold no spaces.")


ZendeskTarget = Annotated[
    Annotated[TicketFieldTarget, Tag("custom_field")] | Annotated[TagTarget, Tag("tag_prefix")],
    Discriminator(field_target_type),
]
ZENDESK_TARGETS = registry(TicketFieldTarget, TagTarget)


class ZendeskFields(Strict):
    """Where ticketflow keeps what it knows about a Zendesk ticket. The tier is the group's
    (see roles) and the customer is the requester, so neither needs a field."""

    category: ZendeskTarget
    satisfaction: TicketFieldTarget | None = None


class ZendeskRole(RoleDef):
    """A role and the Zendesk group that works it: a ticket's tier is its group's tier."""

    group: str = Field(min_length=1, description="The Zendesk group's name.")


class ZendeskSection(Strict):
    """`zendesk:`: the workflow's names as one Zendesk desk spells them."""

    project: ProjectKey = Field(
        "ZENDESK", description="The name ticketflow's state, reports and metrics give these "
        "tickets (Zendesk has no projects).")
    statuses: dict[StatusRef, ZendeskStatus] = Field(
        description="Workflow status -> custom ticket status; every workflow status is mapped.")
    fields: ZendeskFields
    roles: dict[str, ZendeskRole] = Field(
        description="Who does the work: Zendesk agents by e-mail, and each role's group "
        "(one group per role).")


TrackerSection = JiraSection | ZendeskSection


def _one_or_several(value: Any) -> str:
    return "several" if isinstance(value, list) else "one"


JiraSections = Annotated[
    Annotated[JiraSection, Tag("one")]
    | Annotated[list[JiraSection], Field(min_length=1), Tag("several")],
    Discriminator(_one_or_several),
]
"""`jira:`: one project's section, or a list of them (the first is the default project)."""


def _one_desk(value: Any) -> Any:
    if isinstance(value, list):
        # ValueError, not TypeError: pydantic reports only ValueError as the value's problem.
        raise ValueError(  # noqa: TRY004
            "a list of sections, but Zendesk has no projects; expected one "
            "`zendesk:` section (run one ticketflow per Zendesk desk)")
    return value


ZendeskSectionOnly = Annotated[ZendeskSection, BeforeValidator(_one_desk)]
