"""The `zendesk:` section of mappings.yaml: the workflow's words as one Zendesk Support spells
them (custom statuses, groups for tiers, a drop-down field or tags for the category)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from connector.config.refs import RoleRef, StatusRef
from connector.config.tagged import Strict, Tagged, single_key

StatusCategory = Literal["new", "open", "pending", "hold", "solved"]
AGENT_LABEL_MAX = 48  # Zendesk refuses longer agent labels


class CustomStatus(Strict):
    """A custom ticket status: the agent label agents see, in one of Zendesk's categories."""

    label: str = Field(min_length=1, max_length=AGENT_LABEL_MAX)
    category: StatusCategory


class DropDownCategory(Tagged):
    """The category is a drop-down custom field with this title; each workflow category is
    an option (its tag is the category's name in lower case, spaces as `_`)."""

    kind = "drop_down"
    drop_down: str = Field(min_length=1)


class TagCategory(Tagged):
    """The category is a tag: this prefix and the category's name (`cat_access`)."""

    kind = "tag_prefix"
    tag_prefix: str = Field(min_length=1, pattern=r"^[a-z0-9_:-]+$")


CategoryTarget = Annotated[
    Annotated[DropDownCategory, Tag("drop_down")] | Annotated[TagCategory, Tag("tag_prefix")],
    Discriminator(single_key),
]


class ZendeskSection(Strict):
    """Zendesk's names for the workflow: a custom status per workflow status, a group per
    role that works a tier (a ticket's tier is its group's), where the category is kept and,
    optionally, a numeric custom field for the survey's score. The customer is the requester."""

    statuses: dict[StatusRef, CustomStatus]
    groups: dict[RoleRef, str] = Field(
        description="Role -> the Zendesk group its people work in; a tier's group is its role's.")
    category: CategoryTarget
    satisfaction: str | None = Field(
        None, description="Title of a numeric custom field the survey's score is written to.")

    @model_validator(mode="after")
    def _distinct(self) -> ZendeskSection:
        labels: dict[str, str] = {}
        for ours, theirs in self.statuses.items():
            if theirs.label.lower() in labels:
                raise ValueError(
                    f"statuses {labels[theirs.label.lower()]!r} and {ours!r} both map to the "
                    f"custom status {theirs.label!r}; expected one custom status each")
            labels[theirs.label.lower()] = ours
        return self


def tag_of(name: str) -> str:
    """The tag Zendesk keeps for a drop-down option or a tag prefix: lower case, no spaces."""
    return "_".join(name.lower().split())


__all__: list[Any] = ["CustomStatus", "DropDownCategory", "TagCategory", "ZendeskSection",
                      "tag_of"]
