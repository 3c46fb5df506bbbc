"""What the workflow's names are in one Zendesk account: custom status, group, field and option
ids, read once and kept in the state's notes so a cron-driven cycle need not ask again."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.tracker.base import Notes
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import an_id, reading

log = logging.getLogger(__name__)

STATUSES = "/api/v2/custom_statuses.json"
FIELDS = "/api/v2/ticket_fields.json"
GROUPS = "/api/v2/groups.json"


@dataclass(frozen=True)
class FieldInfo:
    """A custom ticket field: its id, title, type and (drop-downs) option tag -> option name."""

    id: str
    type: str
    options: dict[str, str] = field(default_factory=dict)
    title: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Ids by name, as the account has them now. Labels and names are matched without case."""

    statuses: dict[str, str]                  # custom status id -> agent label
    categories: dict[str, str]                # custom status id -> status category
    fields: dict[str, FieldInfo]              # field id -> the field
    groups: dict[str, str]                    # group id -> name

    def status_id(self, label: str) -> str | None:
        wanted = label.lower()
        return next((i for i, name in self.statuses.items() if name.lower() == wanted), None)

    def group_id(self, name: str) -> str | None:
        wanted = name.lower()
        return next((i for i, group in self.groups.items() if group.lower() == wanted), None)

    def field(self, ident: str) -> FieldInfo | None:
        return self.fields.get(ident)

    def to_json(self) -> str:
        return json.dumps({"statuses": self.statuses, "categories": self.categories,
                           "groups": self.groups,
                           "fields": {i: [f.type, f.options, f.title]
                                      for i, f in self.fields.items()}})

    @classmethod
    def from_json(cls, text: str) -> Catalogue:
        raw = json.loads(text)
        fields = {i: FieldInfo(str(i), str(k), dict(o), str(t))
                  for i, (k, o, t) in raw["fields"].items()}
        return cls(dict(raw["statuses"]), dict(raw["categories"]), fields, dict(raw["groups"]))


def read(client: ZendeskClient) -> Catalogue:
    """The account's custom statuses, custom ticket fields and groups (three requests)."""
    statuses, categories, fields, groups = {}, {}, {}, {}
    with reading("custom statuses"):
        for status in client.listing(STATUSES, "custom_statuses"):
            ident = str(an_id(status["id"]))
            statuses[ident] = str(status["agent_label"])
            categories[ident] = str(status["status_category"])
    with reading("ticket fields"):
        for item in client.listing(FIELDS, "ticket_fields"):
            found = _field(item)
            fields[found.id] = found
    with reading("groups"):
        for group in client.listing(GROUPS, "groups"):
            groups[str(an_id(group["id"]))] = str(group["name"])
    return Catalogue(statuses, categories, fields, groups)


def _field(item: Mapping[str, Any]) -> FieldInfo:
    options = {str(o["value"]): str(o["name"])
               for o in item.get("custom_field_options") or [] if isinstance(o, Mapping)}
    return FieldInfo(str(an_id(item["id"])), str(item["type"]), options, str(item["title"]))


class CatalogueCache:
    """The catalogue, from the notes while it serves, else read (and noted) anew. `key` names
    it in the notes: the account and the mappings it was read for."""

    def __init__(self, client: ZendeskClient, notes: Notes | None, key: str) -> None:
        self._client = client
        self._notes = notes
        self._key = key
        self._current: Catalogue | None = None
        self._fresh = False  # read from Zendesk in this process

    def get(self) -> Catalogue:
        if self._current is None:
            noted = self._notes.meta(self._key) if self._notes else None
            if noted is not None:
                try:
                    self._current = Catalogue.from_json(noted)
                except (ValueError, KeyError, TypeError):
                    self._current = None
            if self._current is None:
                self.refresh()
        assert self._current is not None
        return self._current

    def refresh(self) -> Catalogue | None:
        """Read it again, once per process (something was not found): None if already done."""
        if self._fresh and self._current is not None:
            return None
        self._current = read(self._client)
        self._fresh = True
        if self._notes is not None:
            self._notes.set_meta(self._key, self._current.to_json())
        log.info("read Zendesk's custom statuses, fields and groups")
        return self._current
