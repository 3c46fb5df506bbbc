"""`ZendeskClient`: the Support API endpoints ticketflow uses, in Zendesk's own terms.

Every call goes through the one retry layer (`JsonApi`): a 429 is waited out as its
`Retry-After` asks, a wrong-shaped answer is a MalformedAnswerError. Users come sideloaded
(`include=users`) wherever Zendesk offers it, so a ticket read names its people at no cost.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from connector.errors import ConfigError
from connector.http.json_api import JsonApi
from connector.http.retry import Remote, Retrier
from connector.settings import Settings
from connector.tracker.zendesk.shapes import a_list, an_object, member, members, reading

Json = Mapping[str, Any]
TIMEOUT = (10.0, 60.0)  # connect, read: a hung Zendesk must not hang a cycle
PAGE = 100  # the most Zendesk's cursor-paged lists give at once
SHOW_MANY = 100
ZENDESK = Remote("Zendesk", "check TICKETFLOW_ZENDESK_EMAIL / TICKETFLOW_ZENDESK_TOKEN "
                            "(or TICKETFLOW_ZENDESK_OAUTH_TOKEN)")


class ZendeskClient:
    """One Zendesk Support account, as its API spells things (ids, custom statuses, audits)."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api

    # -- people ------------------------------------------------------------------------------

    def me(self) -> Json:
        return member(self.api.request("GET", "/api/v2/users/me.json", idempotent=True),
                      "user", "users/me")

    def user_by_email(self, email: str) -> Json | None:
        found = self.api.request("GET", "/api/v2/users/search.json",
                                 params={"query": f"email:{email}"}, idempotent=True)
        wanted = email.strip().lower()
        return next((u for u in members(found, "users", "users/search")
                     if str(u.get("email") or "").lower() == wanted), None)

    def users(self, ids: Sequence[str]) -> list[Json]:
        """The users with these ids (those that exist), a hundred a request."""
        out: list[Json] = []
        for start in range(0, len(ids), SHOW_MANY):
            batch = ",".join(ids[start:start + SHOW_MANY])
            out += members(self.api.request("GET", "/api/v2/users/show_many.json",
                                            params={"ids": batch}, idempotent=True),
                           "users", "users/show_many")
        return out

    # -- tickets ------------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> tuple[Json, list[Json]]:
        """One ticket and its people."""
        body = self.api.request("GET", f"/api/v2/tickets/{ticket_id}.json",
                                params={"include": "users"}, idempotent=True)
        return member(body, "ticket", "ticket"), members(body, "users", "ticket")

    def tickets_with_external_id(self, external_id: str) -> list[Json]:
        body = self.api.request("GET", "/api/v2/tickets.json",
                                params={"external_id": external_id}, idempotent=True)
        return members(body, "tickets", "tickets by external_id")

    def comments(self, ticket_id: str) -> tuple[list[Json], list[Json]]:
        """Every comment of the ticket, oldest first, and their authors."""
        comments: list[Json] = []
        users: list[Json] = []
        for body in self._cursor_pages(f"/api/v2/tickets/{ticket_id}/comments.json",
                                       {"include": "users"}, "comments"):
            comments += members(body, "comments", "comments")
            users += members(body, "users", "comments")
        return comments, users

    def audits(self, ticket_id: str) -> list[Json]:
        """Every audit of the ticket, oldest first."""
        audits: list[Json] = []
        for body in self._cursor_pages(f"/api/v2/tickets/{ticket_id}/audits.json", {},
                                       "audits"):
            audits += members(body, "audits", "audits")
        return audits

    def create(self, ticket: Json) -> Json:
        """A new ticket (never sent twice by the retry layer unless refused undone)."""
        body = self.api.request("POST", "/api/v2/tickets.json", json={"ticket": ticket},
                                idempotent=False)
        return member(body, "ticket", "created ticket")

    def update(self, ticket_id: str, ticket: Json) -> Json | None:
        """Change a ticket; the update's audit (None when nothing changed). An update that
        adds a comment is not sent twice: a second would add it again."""
        body = self.api.request("PUT", f"/api/v2/tickets/{ticket_id}.json",
                                json={"ticket": ticket}, idempotent="comment" not in ticket)
        audit = an_object(body, "updated ticket").get("audit")
        return an_object(audit, "updated ticket: audit") if audit is not None else None

    def upload(self, filename: str, content: bytes, content_type: str) -> str:
        """Upload a file; the token a comment attaches it with."""
        body = self.api.request("POST", "/api/v2/uploads.json", params={"filename": filename},
                                data=content, headers={"Content-Type": content_type},
                                idempotent=True)  # an unused upload expires: a second is harmless
        with reading("upload"):
            return str(member(body, "upload", "upload")["token"])

    def count(self, query: str) -> int:
        body = self.api.request("GET", "/api/v2/search/count.json", params={"query": query},
                                idempotent=True)
        with reading("search count"):
            return int(an_object(body, "search count")["count"])

    # -- change feeds (10 requests a minute) ----------------------------------------------------

    def export(self, *, cursor: str | None = None, start_time: int = 0) -> Json:
        """One page of the cursor-based incremental ticket export, with users sideloaded."""
        params: dict[str, Any] = {"include": "users"}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params["start_time"] = start_time
        body = an_object(self.api.request("GET", "/api/v2/incremental/tickets/cursor.json",
                                          params=params, idempotent=True), "ticket export")
        with reading("ticket export"):
            a_list(body["tickets"], "ticket export: tickets")
            str(body["after_cursor"])
            bool(body["end_of_stream"])
        return body

    def events(self, start_time: int) -> Json:
        """One page of the ticket events export since `start_time`, comments included."""
        body = an_object(self.api.request(
            "GET", "/api/v2/incremental/ticket_events.json",
            params={"start_time": start_time, "include": "comment_events"}, idempotent=True),
            "ticket events")
        with reading("ticket events"):
            a_list(body["ticket_events"], "ticket events")
            int(body["end_time"])
        return body

    # -- the account's catalogue (install-scheme, online check, translation) ------------------

    def listing(self, path: str, key: str) -> list[Json]:
        """Every item of a list endpoint (`custom_statuses` has no pages; others do)."""
        items: list[Json] = []
        for body in self._cursor_pages(path, {}, key):
            items += members(body, key, key)
        return items

    def make(self, path: str, key: str, item: Json) -> Json:
        """Create one catalogue item (a status, field, group or membership)."""
        body = self.api.request("POST", path, json={key: item}, idempotent=False)
        return member(body, key, f"created {key}")

    def show(self, path: str, key: str) -> Json:
        """One catalogue item by its path (TrackerError 404 when it is gone)."""
        return member(self.api.request("GET", path, idempotent=True), key, key)

    def change(self, path: str, key: str, item: Json) -> Json:
        """Replace what `item` names of one catalogue item (the same PUT twice is harmless)."""
        body = self.api.request("PUT", path, json={key: item}, idempotent=True)
        return member(body, key, f"updated {key}")

    def replace(self, path: str, key: str, item: Json) -> None:
        """Replace one item whose PUT answers nothing (204: a webhook); twice is harmless."""
        self.api.request("PUT", path, json={key: item}, idempotent=True)

    def _cursor_pages(self, path: str, params: Mapping[str, Any],
                      what: str) -> Iterator[Json]:
        """Cursor pagination (`page[size]`, `meta.has_more`, `meta.after_cursor`)."""
        query: dict[str, Any] = {**params, "page[size]": PAGE}
        while True:
            body = an_object(self.api.request("GET", path, params=query, idempotent=True), what)
            yield body
            meta = body.get("meta")
            if not isinstance(meta, Mapping) or not meta.get("has_more"):
                return
            with reading(what):
                query["page[after]"] = str(meta["after_cursor"])


def connect(settings: Settings, *, retrier: Retrier | None = None,
            answered: bool = False) -> ZendeskClient:
    """A client for TICKETFLOW_ZENDESK_URL with the API token (basic auth `EMAIL/token:TOKEN`)
    or the OAuth token (bearer); a missing setting is a ConfigError naming it."""
    if not settings.zendesk_url:
        raise ConfigError(["environment: TICKETFLOW_ZENDESK_URL: not set; expected "
                           "https://SUBDOMAIN.zendesk.com"])
    session = requests.Session()
    session.headers["Authorization"] = authorization(settings)
    session.headers["Accept"] = "application/json"

    def transport(method: str, url: str, **kwargs: Any) -> requests.Response:
        return session.request(method, url, timeout=TIMEOUT, **kwargs)

    api = JsonApi(base_url=settings.zendesk_url, transport=transport,
                  retrier=retrier or Retrier(), remote=ZENDESK,
                  variable="TICKETFLOW_ZENDESK_URL", answered=answered)
    return ZendeskClient(api)


def authorization(settings: Settings) -> str:
    """The Authorization header: bearer with an OAuth token, else basic with the API token."""
    if settings.zendesk_oauth_token is not None:
        return f"Bearer {settings.zendesk_oauth_token.get_secret_value()}"
    if not settings.zendesk_email or settings.zendesk_token is None:
        raise ConfigError(["environment: TICKETFLOW_ZENDESK_EMAIL / TICKETFLOW_ZENDESK_TOKEN: "
                           "not set; expected an agent's email and API token (or "
                           "TICKETFLOW_ZENDESK_OAUTH_TOKEN)"])
    pair = f"{settings.zendesk_email}/token:{settings.zendesk_token.get_secret_value()}"
    return "Basic " + base64.b64encode(pair.encode()).decode()
