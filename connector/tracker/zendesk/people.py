"""Zendesk users as `Person`s: learnt from sideloads, the rest asked for a hundred at a time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connector.tracker.values import Person
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import an_id, reading


def to_person(user: Mapping[str, Any]) -> Person:
    """A Zendesk user: its id as the ref, its email, its name."""
    with reading("user"):
        email = user.get("email")
        return Person(str(an_id(user["id"])), str(email) if email else None,
                      str(user.get("name") or ""))


class People:
    """Every user met so far, by id. Zendesk's system (id -1, automations) is no one."""

    def __init__(self, client: ZendeskClient) -> None:
        self._client = client
        self._known: dict[str, Person] = {}

    def learn(self, users: Iterable[Mapping[str, Any]]) -> None:
        for user in users:
            person = to_person(user)
            self._known[person.ref] = person

    def remember(self, person: Person) -> None:
        self._known[person.ref] = person

    def need(self, ids: Iterable[str | None]) -> None:
        """Ask Zendesk for the users among `ids` not met yet (one request per hundred)."""
        missing = sorted({i for i in ids if i and i.isdigit() and i not in self._known})
        if missing:
            self.learn(self._client.users(missing))

    def get(self, ident: str | None) -> Person | None:
        """The person with this id (asked for if unknown); None for none or the system."""
        if ident is None or not ident.isdigit():
            return None
        self.need([ident])
        return self._known.get(ident, Person(ident))
