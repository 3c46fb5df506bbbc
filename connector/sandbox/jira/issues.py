"""Issue writes: create, edit, transition, assign, comment, attach, link; stamped as in Jira."""

from __future__ import annotations

import json
from typing import Any

from connector.sandbox.jira.adf import is_adf
from connector.sandbox.jira.errors import ApiError, bad_request, field_error
from connector.sandbox.jira.fieldvalues import (
    NOT_SETTABLE,
    change_items,
    current_value,
    parse_value,
    status_item,
    store_value,
)
from connector.sandbox.jira.model import (
    LINK_TYPES,
    WRITABLE_FIELDS,
    Attachment,
    ChangeItem,
    Comment,
    Event,
    Issue,
    Link,
)
from connector.sandbox.jira.store import Store

_DONE_RESOLUTION = "10000"


class IssueWriter:
    """Applies client writes to the store; `version` is the REST version ("2" or "3")."""

    def __init__(self, store: Store, version: str) -> None:
        self.store = store
        self.version = version

    # -- create and edit ------------------------------------------------------------------

    def create(self, payload: Any) -> Issue:
        fields = _object(payload, "fields")
        project = self._project_of(fields)
        if "issuetype" not in fields:
            raise field_error("issuetype", "Specify an issue type")
        values = self._parse_fields(fields, project.id, creating=True)
        if "summary" not in values:
            raise field_error("summary", "You must specify a summary of the issue.")
        now = self.store.now_ms()
        number = project.next_number
        project.next_number += 1
        issue = Issue(id=self.store.next_id("issue"), key=f"{project.key}-{number}",
                      project_id=project.id, issuetype_id=values.pop("issuetype"),
                      summary=values.pop("summary"), status_id="", created=now, updated=now,
                      reporter=self.store.me)
        workflow = self.store.workflow_for(project.id, issue.issuetype_id)
        issue.status_id = workflow.initial_status()
        for fid, value in values.items():
            store_value(issue, fid, value)
        issue.properties.update(_properties(payload))  # set with the issue, as Jira does
        self.store.add_issue(issue)
        self.store.announce(Event("jira:issue_created", issue.id, self.store.me, now,
                                  type_name="issue_created"))
        self._apply_comment_updates(issue, _object(payload, "update", required=False))
        return issue

    def _project_of(self, fields: dict[str, Any]) -> Any:
        ref = fields.get("project")
        if isinstance(ref, dict) and (ref.get("id") or ref.get("key")):
            try:
                return self.store.project(str(ref.get("id") or ref.get("key")))
            except ApiError:
                pass
        raise field_error("project", "Specify a valid project ID or key")

    def _parse_fields(self, fields: dict[str, Any], project_id: int, *,
                      creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for fid, raw in fields.items():
            if fid == "project" and creating:
                continue
            if fid not in WRITABLE_FIELDS or fid == "project":
                raise field_error(fid, NOT_SETTABLE.format(fid))
            values[fid] = parse_value(self.store, fid, raw, version=self.version,
                                      project_id=project_id)
        return values

    def edit(self, issue: Issue, payload: Any) -> None:
        """`PUT /issue/{key}`: `fields` sets values, `update` applies add/remove/set operations."""
        fields = _object(payload, "fields", required=False)
        update = _object(payload, "update", required=False)
        both = sorted(set(fields) & set(update))
        if both:
            raise field_error(both[0], f"Field '{both[0]}' cannot be set in both "
                                       "'fields' and 'update'")
        values = self._parse_fields(fields, issue.project_id, creating=False)
        for fid, operations in update.items():
            if fid != "comment":
                values[fid] = self._apply_operations(issue, fid, operations)
        issue.properties.update(_properties(payload))
        items = self._change(issue, values)
        self.store.record(issue, items)
        self._apply_comment_updates(issue, update)

    def _apply_operations(self, issue: Issue, fid: str, operations: Any) -> Any:
        if fid not in WRITABLE_FIELDS or fid == "project":
            raise field_error(fid, NOT_SETTABLE.format(fid))
        if not isinstance(operations, list):
            raise field_error(fid, "Update operations must be a list")
        value = current_value(issue, fid)
        for operation in operations:
            if not isinstance(operation, dict) or len(operation) != 1:
                raise field_error(fid, "Each update operation has exactly one verb")
            verb, arg = next(iter(operation.items()))
            value = self._operation(issue, fid, value, verb, arg)
        return value

    def _operation(self, issue: Issue, fid: str, value: Any, verb: str, arg: Any) -> Any:
        def parse(raw: Any) -> Any:
            return parse_value(self.store, fid, raw, version=self.version,
                               project_id=issue.project_id)

        if verb == "set":
            return parse(arg)
        if fid not in ("labels", "components") or verb not in ("add", "remove"):
            raise field_error(fid, f"The operation '{verb}' is not supported by field '{fid}'")
        item = parse([arg])[0]
        if verb == "add":
            return [*value, item] if item not in value else list(value)
        return [v for v in value if v != item]

    def _change(self, issue: Issue, values: dict[str, Any]) -> list[ChangeItem]:
        items: list[ChangeItem] = []
        for fid, value in values.items():
            old = current_value(issue, fid)
            items += change_items(self.store, fid, old, value)
            store_value(issue, fid, value)
            if fid == "resolution" and old != value:
                issue.resolution_date = self.store.now_ms() if value else None
        return items

    # -- workflow and people ----------------------------------------------------------------

    def transition(self, issue: Issue, payload: Any) -> None:
        """Move along a transition allowed from the current status, or 400 as Jira does."""
        wanted = _object(payload, "transition").get("id")
        workflow = self.store.workflow_for(issue.project_id, issue.issuetype_id)
        allowed = {t.id: t for t in workflow.allowed_from(issue.status_id)}
        if str(wanted) not in allowed:
            raise bad_request(f"Transition id '{wanted}' is not valid for this issue.")
        # Jira's default transitions have no screen, so no field may be set on the way.
        for fid in _object(payload, "fields", required=False):
            raise field_error(fid, NOT_SETTABLE.format(fid))
        update = _object(payload, "update", required=False)
        for fid in update:
            if fid != "comment":
                raise field_error(fid, NOT_SETTABLE.format(fid))
        target = allowed[str(wanted)].to_status
        issue.properties.update(_properties(payload))
        items: list[ChangeItem] = []
        if target != issue.status_id:
            items.append(status_item(self.store, issue.status_id, target))
            self.store.set_status(issue, target)
        items += self._change(issue, {"resolution": self._resolution_after(issue)})
        self.store.record(issue, items)
        self._apply_comment_updates(issue, update)

    def _resolution_after(self, issue: Issue) -> str | None:
        """Entering a Done status resolves the issue as Done; leaving one clears it."""
        done = self.store.statuses[issue.status_id].category == "DONE"
        if done:
            return issue.resolution_id or _DONE_RESOLUTION
        return None

    def assign(self, issue: Issue, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise bad_request("The request body must be a JSON object.")
        assignee = parse_value(self.store, "assignee", payload, version=self.version,
                               project_id=issue.project_id)
        if assignee != issue.assignee:
            self.store.record(issue, self._change(issue, {"assignee": assignee}))

    # -- comments, attachments, links -------------------------------------------------------

    def add_comment(self, issue: Issue, payload: Any) -> Comment:
        if not isinstance(payload, dict):
            raise bad_request("The request body must be a JSON object.")
        body = payload.get("body")
        if self.version == "3" and not is_adf(body):
            raise field_error("comment", "Comment body is not valid!")
        if self.version != "3" and (not isinstance(body, str) or not body.strip()):
            raise field_error("comment", "Comment body can not be empty!")
        properties = _properties(payload)
        now = self.store.now_ms()
        comment = Comment(self.store.next_id("comment"), self.store.me, body, now, now,
                          properties, payload.get("visibility"))
        issue.comments.append(comment)
        self.store.comment_owner[comment.id] = issue.id
        self.store.touch(issue, now)  # Jira bumps `updated` for comments, without a history
        # Jira announces a comment twice: as itself and as an update of its issue.
        for name, kind in (("comment_created", "comment_created"),
                           ("jira:issue_updated", "issue_commented")):
            self.store.announce(Event(name, issue.id, self.store.me, now, comment=comment,
                                      type_name=kind))
        return comment

    def _apply_comment_updates(self, issue: Issue, update: dict[str, Any]) -> None:
        for operation in update.get("comment") or []:
            if isinstance(operation, dict) and isinstance(operation.get("add"), dict):
                self.add_comment(issue, operation["add"])

    def attach(self, issue: Issue, files: list[tuple[str, str, bytes]]) -> list[Attachment]:
        now = self.store.now_ms()
        added = [Attachment(self.store.next_id("attachment"), name, mime, content,
                            self.store.me, now) for name, mime, content in files]
        issue.attachments.extend(added)
        self.store.record(issue, [ChangeItem("Attachment", "jira", "attachment", None, None,
                                             str(a.id), a.filename) for a in added])
        return added

    def link(self, payload: Any) -> None:
        """`POST /issueLink`: the inward issue gets an outward link ('blocks') to the other."""
        type_ref = _object(payload, "type")
        name = next((n for n, (tid, _, _) in LINK_TYPES.items()
                     if type_ref.get("name") == n or str(type_ref.get("id")) == tid), None)
        if name is None:
            raise ApiError(404, ["No issue link type with name "
                                 f"'{type_ref.get('name')}' found."])
        source = self._linked(_object(payload, "inwardIssue"))
        target = self._linked(_object(payload, "outwardIssue"))
        link_id = self.store.next_id("link")
        _, out_text, in_text = LINK_TYPES[name]
        source.links.append(Link(link_id, name, True, target.id))
        target.links.append(Link(link_id, name, False, source.id))
        self.store.record(source, [ChangeItem("Link", "jira", "issuelinks", None, None,
                                              target.key, f"This issue {out_text} {target.key}")])
        self.store.record(target, [ChangeItem("Link", "jira", "issuelinks", None, None,
                                              source.key, f"This issue {in_text} {source.key}")])

    def _linked(self, ref: dict[str, Any]) -> Issue:
        found = self.store.find_issue(str(ref.get("key") or ref.get("id") or ""))
        if found is None:
            raise ApiError(404, ["Issue Does Not Exist"])
        return found


def _properties(payload: Any) -> dict[str, Any]:
    """`properties` of a create, edit, transition or comment: a list of {key, value}."""
    found = payload.get("properties") if isinstance(payload, dict) else None
    if found is None:
        return {}
    if not isinstance(found, list) or not all(
            isinstance(p, dict) and isinstance(p.get("key"), str) and p["key"]
            for p in found):
        raise bad_request("properties must be a list of {\"key\": ..., \"value\": ...}.")
    return {p["key"]: json.loads(json.dumps(p.get("value"))) for p in found}


def _object(payload: Any, key: str, *, required: bool = True) -> dict[str, Any]:
    """`payload[key]` as a dict; a missing optional part is empty, anything else is a 400."""
    value = payload.get(key) if isinstance(payload, dict) else None
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"The request body must contain an object '{key}'.")
    return value
