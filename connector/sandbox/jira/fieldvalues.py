"""Field values from clients: validated as Jira does; changes described as changelog items."""

from __future__ import annotations

from typing import Any

from connector.sandbox.jira.adf import is_adf, to_text
from connector.sandbox.jira.errors import field_error
from connector.sandbox.jira.model import FIELDS_BY_ID, ISSUE_TYPES, RESOLUTIONS, ChangeItem, Issue
from connector.sandbox.jira.store import Store

_RESOLUTION_NAMES = {rid: name for rid, name, _ in RESOLUTIONS}
_ISSUE_TYPE_NAMES = {str(t["id"]): str(t["name"]) for t in ISSUE_TYPES}
NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."


def parse_value(store: Store, fid: str, raw: Any, *, version: str, project_id: int) -> Any:
    """The stored form of a value a client sent for field `fid`, or a 400 like Jira's."""
    kind = FIELDS_BY_ID[fid].kind
    if kind == "string":
        return _string(fid, raw)
    if kind == "rich":
        return _rich(fid, raw, version)
    if kind == "number":
        if raw is None or (isinstance(raw, int | float) and not isinstance(raw, bool)):
            return raw
        raise field_error(fid, "Operation value must be a number")
    if kind == "user":
        account_id = _user(store, fid, raw)
        if fid == "assignee" and account_id in store.projects[project_id].unassignable:
            # Jira refuses a user without the project's Assignable User permission.
            raise field_error(fid, f"User '{_ident(raw)}' cannot be assigned issues.")
        return account_id
    if kind == "labels":
        return _labels(raw)
    if kind == "components":
        return [_component(store, ref, project_id) for ref in _list(fid, raw)]
    if kind == "issuetype":
        return _issuetype(store, raw, project_id)
    if kind == "resolution":
        return _resolution(raw)
    raise field_error(fid, NOT_SETTABLE.format(fid))


def _string(fid: str, raw: Any) -> str | None:
    if fid == "summary":
        if not isinstance(raw, str) or not raw.strip():
            raise field_error("summary", "You must specify a summary of the issue.")
        if len(raw) > 255:
            raise field_error("summary", "Summary must be less than 255 characters.")
        return raw
    if raw is None or isinstance(raw, str):
        return raw
    raise field_error(fid, "Operation value must be a string")


def _rich(fid: str, raw: Any, version: str) -> Any:
    if raw is None:
        return None
    if version == "3":
        if not is_adf(raw):
            raise field_error(fid, "Operation value must be an Atlassian Document "
                                   "(see the Atlassian Document Format)")
        return raw
    if not isinstance(raw, str):
        raise field_error(fid, "Operation value must be a string")
    return raw


def _ident(raw: Any) -> object:
    """The user reference a client sent: accountId (Cloud) or name/key (Data Center)."""
    if not isinstance(raw, dict):
        return None
    return next((raw[k] for k in ("accountId", "id", "name", "key") if raw.get(k) is not None),
                None)


def _user(store: Store, fid: str, raw: Any) -> str | None:
    if raw is None:
        return None
    ident = None
    if isinstance(raw, dict):
        keys = ("accountId", "id") if store.flavor == "cloud" else ("name", "key")
        ident = next((raw[k] for k in keys if raw.get(k) is not None), None)
    if ident in (None, "-1"):
        return None
    user = store.find_user(str(ident))
    if user is None or (store.flavor == "cloud" and user.account_id != ident):
        raise field_error(fid, f"User '{ident}' does not exist.")
    return user.account_id


def _list(fid: str, raw: Any) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise field_error(fid, f"Operation value for field '{fid}' must be an array")
    return raw


def _labels(raw: Any) -> list[str]:
    labels: list[str] = []
    for label in _list("labels", raw):
        if not isinstance(label, str) or not label:
            raise field_error("labels", "Labels must be non-empty strings.")
        if " " in label:
            raise field_error("labels", f"The label '{label}' contains spaces which is invalid.")
        if label not in labels:
            labels.append(label)
    return labels


def _component(store: Store, ref: Any, project_id: int) -> int:
    components = store.components_of(project_id)
    if isinstance(ref, dict) and ref.get("id") is not None:
        for comp in components:
            if str(comp.id) == str(ref["id"]):
                return comp.id
        raise field_error("components", f"Component with id '{ref['id']}' does not exist.")
    name = ref.get("name") if isinstance(ref, dict) else None
    for comp in components:
        if comp.name == name:
            return comp.id
    raise field_error("components", f"Component name '{name}' is not valid")


def _issuetype(store: Store, raw: Any, project_id: int) -> str:
    allowed = store.projects[project_id].issuetype_ids
    if isinstance(raw, dict):
        wanted = raw.get("id")
        if wanted is None and raw.get("name") is not None:
            wanted = next((t for t, n in _ISSUE_TYPE_NAMES.items() if n == raw["name"]), None)
        if wanted is not None and str(wanted) in allowed:
            return str(wanted)
    raise field_error("issuetype", "Specify a valid issue type")


def _resolution(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        for rid, name in _RESOLUTION_NAMES.items():
            if str(raw.get("id")) == rid or raw.get("name") == name:
                return rid
    raise field_error("resolution", "Resolution must be one of: "
                      + ", ".join(_RESOLUTION_NAMES.values()))


def current_value(issue: Issue, fid: str) -> Any:
    """The stored value of a writable field, for diffs and `update` operations."""
    if fid.startswith("customfield_"):
        return issue.custom.get(fid)
    attr = {"resolution": "resolution_id", "issuetype": "issuetype_id"}.get(fid, fid)
    return getattr(issue, attr)


def store_value(issue: Issue, fid: str, value: Any) -> None:
    if fid.startswith("customfield_"):
        if value is None:
            issue.custom.pop(fid, None)
        else:
            issue.custom[fid] = value
        return
    attr = {"resolution": "resolution_id", "issuetype": "issuetype_id"}.get(fid, fid)
    setattr(issue, attr, value)


def change_items(store: Store, fid: str, old: Any, new: Any) -> list[ChangeItem]:
    """The changelog items Jira writes when `fid` goes from `old` to `new` (none if equal)."""
    if old == new:
        return []
    fdef = FIELDS_BY_ID[fid]
    if fdef.custom:
        return [ChangeItem(fdef.name, "custom", fid, None, _num_text(old), None, _num_text(new))]
    if fdef.kind == "user":
        return [ChangeItem(fid, "jira", fid, _user_ref(store, old), _user_name(store, old),
                           _user_ref(store, new), _user_name(store, new))]
    if fid == "labels":
        return [ChangeItem("labels", "jira", "labels", None, " ".join(old) or None, None,
                           " ".join(new) or None)]
    if fid == "components":
        gone = [ChangeItem("Component", "jira", "components", str(c),
                           store.components[c].name, None, None) for c in old if c not in new]
        added = [ChangeItem("Component", "jira", "components", None, None, str(c),
                            store.components[c].name) for c in new if c not in old]
        return gone + added
    if fid == "resolution":
        return [ChangeItem("resolution", "jira", "resolution", old, _RESOLUTION_NAMES.get(old),
                           new, _RESOLUTION_NAMES.get(new))]
    if fid == "issuetype":
        return [ChangeItem("issuetype", "jira", "issuetype", old, _ISSUE_TYPE_NAMES.get(old),
                           new, _ISSUE_TYPE_NAMES.get(new))]
    return [ChangeItem(fid, "jira", fid, None, to_text(old), None, to_text(new))]


def status_item(store: Store, old: str, new: str) -> ChangeItem:
    """Status changes carry status ids in from/to and names in the strings."""
    return ChangeItem("status", "jira", "status", old, store.statuses[old].name,
                      new, store.statuses[new].name)


def _num_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _user_ref(store: Store, account_id: str | None) -> str | None:
    user = store.users.get(account_id) if account_id else None
    if user is None:
        return None
    return user.account_id if store.flavor == "cloud" else user.name


def _user_name(store: Store, account_id: str | None) -> str | None:
    user = store.users.get(account_id) if account_id else None
    return None if user is None else user.display_name
