"""Between Zendesk's words and the workflow's: custom statuses, groups as tiers, the category in
a drop-down field or a tag, the requester as the customer, audits as history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.config.trackers import TagTarget, ZendeskSection
from connector.errors import ConfigError, NoTransitionError
from connector.tracker.feed import Change, ChangeItem, field_change
from connector.tracker.values import Comment, Person, TrackedTicket, WorkflowFields
from connector.tracker.zendesk.catalogue import Catalogue, CatalogueCache
from connector.tracker.zendesk.people import People
from connector.tracker.zendesk.shapes import an_id, parse_time, reading

if TYPE_CHECKING:
    from connector.config.loader import Config

Json = Mapping[str, Any]


def tag_of(name: str) -> str:
    """The tag Zendesk keeps for a drop-down option or a tag prefix: lower case, no spaces."""
    return "_".join(name.lower().split())


@dataclass(frozen=True)
class Workflow:
    """What the adapter must know of rules.yaml and the `zendesk:` section: statuses, moves,
    tiers, categories. (mappings.yaml is checked on loading: the Done statuses are the solved
    ones, one custom status per workflow status, one group per role.)"""

    section: ZendeskSection
    initial: str
    done: frozenset[str]
    transitions: tuple[tuple[str, str, str], ...]  # (name, from, to)
    tier_groups: dict[int, str]                     # tier -> its role's group name
    categories: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> Workflow:
        section = config.mappings.zendesk
        if section is None:
            raise ConfigError(["mappings.yaml: zendesk: missing; expected the Zendesk names"])
        rules = config.rules
        tiers = {t.tier: section.roles[t.role].group for t in rules.tiers
                 if t.role in section.roles}
        return cls(section, rules.workflow.initial, rules.workflow.done_statuses,
                   tuple((t.name or t.to, t.from_, t.to) for t in rules.workflow.transitions),
                   tiers, tuple(c.name for c in rules.categories))

    def label(self, status: str) -> str:
        """The custom status's agent label a workflow status maps to (itself if unmapped)."""
        mapped = self.section.statuses.get(status)
        return mapped.agent_label if mapped else status

    def tag_prefix(self) -> str | None:
        category = self.section.fields.category
        return category.tag_prefix if isinstance(category, TagTarget) else None

    def category_field(self) -> str | None:
        category = self.section.fields.category
        return None if isinstance(category, TagTarget) else str(category.custom_field)

    def satisfaction_field(self) -> str | None:
        target = self.section.fields.satisfaction
        return str(target.custom_field) if target is not None else None


class Words:
    """Translation both ways for one account; ids come from the catalogue, people from
    `People`; `me` is ticketflow's own user id (a ticket it requested has no customer)."""

    def __init__(self, workflow: Workflow, catalogue: CatalogueCache, people: People) -> None:
        self.workflow = workflow
        self._catalogue = catalogue
        self.people = people
        self.me: str | None = None

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue.get()

    def _with_refresh(self, find: Any) -> Any:
        """`find(catalogue)`, and once more after reading the catalogue again if it found
        nothing (an admin added a status or group since it was noted)."""
        found = find(self.catalogue)
        if found is None and (fresh := self._catalogue.refresh()) is not None:
            found = find(fresh)
        return found

    # -- reading ---------------------------------------------------------------------------

    def status(self, status_id: str | None) -> str:
        """The workflow status of a custom status id; an unmapped one as its own label."""
        if status_id is None:
            return ""
        label = self._with_refresh(lambda c: c.statuses.get(status_id)) or status_id
        ours = next((name for name, s in self.workflow.section.statuses.items()
                     if s.agent_label.lower() == str(label).lower()), None)
        return ours or str(label)

    def tier(self, group_id: str | None) -> int | None:
        if group_id is None:
            return None
        name = self._with_refresh(lambda c: c.groups.get(group_id))
        return next((t for t, g in self.workflow.tier_groups.items()
                     if name is not None and g.lower() == name.lower()), None)

    def category(self, raw: Json) -> str | None:
        prefix = self.workflow.tag_prefix()
        if prefix is not None:
            tags = {str(t) for t in raw.get("tags") or []}
            return next((c for c in self.workflow.categories if prefix + tag_of(c) in tags),
                        None)
        value = self._custom(raw, self.workflow.category_field())
        return self._category_named(str(value)) if value else None

    def _category_named(self, tag: str) -> str | None:
        """The workflow category a drop-down option's tag stands for: the option named like
        it (an admin's own drop-down), or the tag install-scheme gives it."""
        info = self._with_refresh(lambda c: c.field(self.workflow.category_field() or ""))
        name = (info.options.get(tag) if info else None) or ""
        return next((c for c in self.workflow.categories
                     if c.lower() == name.lower() or tag_of(c) == tag), tag)

    def _category_tag(self, category: str) -> str:
        """The option tag to write for a workflow category (see `_category_named`)."""
        info = self._with_refresh(lambda c: c.field(self.workflow.category_field() or ""))
        options = info.options if info else {}
        return next((tag for tag, name in options.items() if name.lower() == category.lower()),
                    tag_of(category))

    def satisfaction(self, raw: Json) -> int | None:
        ident = self.workflow.satisfaction_field()
        value = self._custom(raw, ident) if ident else None
        return int(value) if value not in (None, "") else None

    def ticket(self, raw: Json, comments: Sequence[Comment] = (),
               complete: bool = True) -> TrackedTicket:
        """A ticket in the workflow's words (its people must be known to `people`)."""
        with reading("ticket"):
            key = str(an_id(raw["id"]))
            requester = self.people.get(an_id(raw.get("requester_id")))
            return TrackedTicket(
                key=key, id=key, summary=str(raw.get("subject") or ""),
                status=self.status(an_id(raw.get("custom_status_id"))),
                created=parse_time(raw["created_at"]), updated=parse_time(raw["updated_at"]),
                text=str(raw.get("description") or ""),
                tier=self.tier(an_id(raw.get("group_id"))), category=self.category(raw),
                assignee=self.people.get(an_id(raw.get("assignee_id"))),
                customer=self._customer(requester),
                reporter=self.people.get(an_id(raw.get("submitter_id"))),
                labels=tuple(str(t) for t in raw.get("tags") or []),
                satisfaction=self.satisfaction(raw), comments=tuple(comments),
                comments_complete=complete)

    def _customer(self, requester: Person | None) -> str | None:
        """The requester's address, unless ticketflow itself is the requester."""
        if requester is None or requester.ref == self.me:
            return None
        return requester.email

    def people_of(self, raw: Json) -> list[str | None]:
        """The user ids a ticket names (to ask for them all at once)."""
        return [an_id(raw.get(k)) for k in ("requester_id", "assignee_id", "submitter_id")]

    def comment(self, raw: Json, *, created: Any = None) -> Comment:
        """A comment (from the comments list, or a Comment event with its audit's time)."""
        with reading("comment"):
            return Comment(str(an_id(raw["id"])), parse_time(raw.get("created_at") or created),
                           self.people.get(an_id(raw.get("author_id"))),
                           str(raw.get("body") or ""), bool(raw.get("public", True)))

    def change(self, audit_id: str, at: Any, author_id: Any,
               events: Iterable[Json]) -> Change | None:
        """An audit's field changes as a Change (None when it changed no field)."""
        with reading("audit"):
            items = [item for event in events if _kind(event) == "Change"
                     for item in self._items(event)]
            if not items:
                return None
            return Change(audit_id, parse_time(at), self.people.get(an_id(author_id)),
                          tuple(items))

    def _items(self, event: Json) -> list[ChangeItem]:
        name, after, before = _field_event(event)
        if name == "custom_status_id":
            old, new = self.status(_text(before)), self.status(_text(after))
            return [ChangeItem("status", before=old or None, after=new)] if old != new else []
        if name == "assignee_id":
            return [ChangeItem("assignee", before=_text(before), after=_text(after))]
        if name == "group_id":
            old_tier, new_tier = self.tier(_text(before)), self.tier(_text(after))
            return [] if old_tier == new_tier else [
                field_change("tier", _shown(old_tier), _shown(new_tier))]
        if name == "requester_id":
            return [field_change("customer", self._email(before), self._email(after))]
        if name == "tags":
            return self._tag_items(before, after)
        if name in ("subject", "priority", "type"):
            return [ChangeItem("field", name, _text(before), _text(after))]
        if name.isdigit():
            return self._custom_items(name, before, after)
        return []

    def _tag_items(self, before: Any, after: Any) -> list[ChangeItem]:
        if self.workflow.tag_prefix() is None:
            return []
        old = self.category({"tags": before or []})
        new = self.category({"tags": after or []})
        return [] if old == new else [field_change("category", old, new)]

    def _custom_items(self, field_id: str, before: Any, after: Any) -> list[ChangeItem]:
        if field_id == self.workflow.category_field():
            old = self._category_named(str(before)) if before else None
            new = self._category_named(str(after)) if after else None
            return [field_change("category", old, new)]
        if field_id == self.workflow.satisfaction_field():
            return [field_change("satisfaction", _text(before), _text(after))]
        return []

    def _email(self, ident: Any) -> str | None:
        person = self.people.get(_text(ident))
        return person.email if person else None

    # -- writing ---------------------------------------------------------------------------

    def status_id(self, status: str) -> str:
        label = self.workflow.label(status)
        found = self._with_refresh(lambda c: c.status_id(label))
        if found is None:
            raise NoTransitionError(f'Zendesk has no custom status "{label}" (for the workflow '
                                    f'status {status}); run `ticketflow install-scheme`')
        return str(found)

    def group_id(self, tier: int) -> str:
        name = self.workflow.tier_groups.get(tier)
        found = self._with_refresh(lambda c: c.group_id(name)) if name else None
        if found is None:
            shown = name or "its role has no group in mappings.yaml"
            raise NoTransitionError(f"Zendesk has no group for tier {tier} ({shown}); run "
                                    "`ticketflow install-scheme`")
        return str(found)

    def values(self, fields: WorkflowFields, current: Json | None) -> dict[str, Any]:
        """The ticket properties that set these workflow fields (status aside)."""
        given = fields.given()
        out: dict[str, Any] = {}
        custom: list[dict[str, Any]] = []
        if "tier" in given:
            out["group_id"] = None if given["tier"] is None else int(self.group_id(given["tier"]))
        if "assignee" in given:
            person: Person | None = given["assignee"]
            out["assignee_id"] = int(person.ref) if person else None
        if "customer" in given:
            # Zendesk keeps an existing user of this address as they are (see ZendeskTracker).
            email = given["customer"]
            out["requester"] = {"email": email, "name": email.partition("@")[0]} if email \
                else None
        if "category" in given:
            self._category_value(given["category"], current, out, custom)
        if "satisfaction" in given and (ident := self.workflow.satisfaction_field()):
            custom.append({"id": int(ident), "value": given["satisfaction"]})
        if custom:
            out["custom_fields"] = custom
        return {k: v for k, v in out.items() if not (k == "requester" and v is None)}

    def _category_value(self, category: str | None, current: Json | None,
                        out: dict[str, Any], custom: list[dict[str, Any]]) -> None:
        prefix = self.workflow.tag_prefix()
        if prefix is None:
            custom.append({"id": int(self.workflow.category_field() or 0),
                           "value": self._category_tag(category) if category else None})
            return
        ours = {prefix + tag_of(c) for c in self.workflow.categories}
        kept = [t for t in (current or {}).get("tags") or [] if t not in ours]
        out["tags"] = kept + ([prefix + tag_of(category)] if category else [])

    @staticmethod
    def _custom(raw: Json, field_id: str | None) -> Any:
        if field_id is None:
            return None
        for entry in raw.get("custom_fields") or []:
            if isinstance(entry, Mapping) and str(entry.get("id")) == field_id:
                return entry.get("value")
        return None


def _kind(event: Json) -> str:
    return str(event.get("event_type") or event.get("type") or "")


# Fields an event may name in the field-named form some exports use ({"status": "open"}).
_NAMED = ("custom_status_id", "assignee_id", "group_id", "requester_id", "tags", "subject",
          "priority", "type")


def _field_event(event: Json) -> tuple[str, Any, Any]:
    """(field name, value, previous value) of a Change event, in either form Zendesk writes."""
    if "field_name" in event:
        return str(event["field_name"]), event.get("value"), event.get("previous_value")
    name = next((n for n in _NAMED if n in event), "")
    return name, event.get(name), event.get("previous_value")


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _shown(value: int | None) -> str | None:
    return None if value is None else str(value)
