"""Routes for people: the caller, users by id or search, groups and group memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from connector.sandbox.control import json_object
from connector.sandbox.routing import Reply, Request, Route
from connector.sandbox.zendesk.errors import bad_value, forbidden, invalid
from connector.sandbox.zendesk.model import Group, Membership, User
from connector.sandbox.zendesk.paging import page_of
from connector.sandbox.zendesk.render import Renderer

if TYPE_CHECKING:
    from connector.sandbox.zendesk.app import ZendeskApp


def _admin(app: ZendeskApp) -> None:
    if app.store.current_user.role != "admin":
        raise forbidden()


def me(app: ZendeskApp, req: Request) -> Reply:
    """The authenticated user."""
    return Reply(body={"user": Renderer(app.base_url).user(app.store.current_user)})


def show_user(app: ZendeskApp, req: Request) -> Reply:
    """One user by id."""
    return Reply(body={"user": Renderer(app.base_url).user(app.store.user(req.params["id"]))})


def show_many_users(app: ZendeskApp, req: Request) -> Reply:
    """`ids=1,2,3`: those users that exist, at most 100."""
    raw = [i for value in req.args("ids") for i in value.split(",") if i.strip()]
    if not raw or len(raw) > 100:
        raise bad_value("ids takes 1 to 100 user ids")
    r = Renderer(app.base_url)
    found = [app.store.users[int(i)] for i in raw
             if i.strip().isdigit() and int(i) in app.store.users]
    return Reply(body={"users": [r.user(u) for u in found]})


def sideload_users(app: ZendeskApp, req: Request, body: dict[str, Any],
                   ids: Iterable[int | None]) -> dict[str, Any]:
    """With `include=users`, the users these ids name beside the records (Zendesk's
    sideloading), each once."""
    if "users" not in (req.arg("include") or "").split(","):
        return body
    wanted = dict.fromkeys(i for i in ids if i is not None and i in app.store.users)
    r = Renderer(app.base_url)
    return {**body, "users": [r.user(app.store.users[i]) for i in wanted]}


def search_users(app: ZendeskApp, req: Request) -> Reply:
    """`query=email:ADDRESS` finds that user; any other query matches names and addresses."""
    query = (req.arg("query") or "").strip()
    if not query:
        raise bad_value("query is required")
    found: list[User]
    if query.lower().startswith("email:"):
        user = app.store.user_by_email(query.split(":", 1)[1])
        found = [user] if user else []
    else:
        lowered = query.lower()
        found = [u for u in app.store.users.values()
                 if lowered in u.name.lower() or lowered in u.email.lower()]
    r = Renderer(app.base_url)
    page = page_of(req, f"{r.api}/users/search.json", "users", found)
    page["users"] = [r.user(u) for u in page["users"]]
    return Reply(body=page)


def list_groups(app: ZendeskApp, req: Request) -> Reply:
    """Every group."""
    r = Renderer(app.base_url)
    page = page_of(req, f"{r.api}/groups.json", "groups", list(app.store.groups.values()))
    page["groups"] = [r.group(g) for g in page["groups"]]
    return Reply(body=page)


def create_group(app: ZendeskApp, req: Request) -> Reply:
    """{"group": {"name", "description"}} (admins); names are unique."""
    _admin(app)
    data = _wrapped(req, "group")
    name = str(data.get("name") or "").strip()
    if not name:
        raise invalid("name", "Name: cannot be blank")
    if any(g.name.lower() == name.lower() for g in app.store.groups.values()):
        raise invalid("name", "Name: has already been taken")
    now = app.store.now()
    group = Group(app.store.next_id("group"), name, str(data.get("description") or ""),
                  now, now)
    app.store.groups[group.id] = group
    return Reply(201, {"group": Renderer(app.base_url).group(group)})


def show_group(app: ZendeskApp, req: Request) -> Reply:
    """One group."""
    return Reply(body={"group": Renderer(app.base_url).group(app.store.group(
        req.params["id"]))})


def list_memberships(app: ZendeskApp, req: Request) -> Reply:
    """Every group membership (or one user's, under /users/{id}/group_memberships)."""
    found = list(app.store.memberships.values())
    if "id" in req.params:
        user = app.store.user(req.params["id"])
        found = [m for m in found if m.user_id == user.id]
    r = Renderer(app.base_url)
    page = page_of(req, f"{r.api}/group_memberships.json", "group_memberships", found)
    page["group_memberships"] = [r.membership(m) for m in page["group_memberships"]]
    return Reply(body=page)


def create_membership(app: ZendeskApp, req: Request) -> Reply:
    """{"group_membership": {"user_id", "group_id"}} (admins): an agent joins a group."""
    _admin(app)
    data = _wrapped(req, "group_membership")
    user = app.store.user(data.get("user_id"))
    group = app.store.group(data.get("group_id"))
    if not user.is_agent:
        raise invalid("user_id", "User: must be an agent")
    if app.store.member_of(user.id, group.id):
        raise invalid("user_id", "User: is already a member of this group")
    first = app.store.default_group(user.id) is None
    member = Membership(app.store.next_id("membership"), user.id, group.id,
                        app.store.now(), default=first)
    app.store.memberships[member.id] = member
    return Reply(201, {"group_membership": Renderer(app.base_url).membership(member)})


def _wrapped(req: Request, key: str) -> dict[str, Any]:
    data = json_object(req).get(key)
    if not isinstance(data, dict):
        raise bad_value(f"The request body must contain a `{key}` object.")
    return data


ROUTES = [
    Route("GET", "/api/v2/users/me", me),
    Route("GET", "/api/v2/users/search", search_users),
    Route("GET", "/api/v2/users/show_many", show_many_users),
    Route("GET", "/api/v2/users/{id}", show_user),
    Route("GET", "/api/v2/users/{id}/group_memberships", list_memberships),
    Route("GET", "/api/v2/groups", list_groups),
    Route("POST", "/api/v2/groups", create_group),
    Route("GET", "/api/v2/groups/{id}", show_group),
    Route("GET", "/api/v2/group_memberships", list_memberships),
    Route("POST", "/api/v2/group_memberships", create_membership),
]
