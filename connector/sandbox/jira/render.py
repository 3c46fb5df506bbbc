"""Records to JSON, shaped as Jira answers them for the flavor and REST version asked."""

from __future__ import annotations

from typing import Any

from connector.sandbox.jira.adf import to_adf, to_text
from connector.sandbox.jira.model import (
    CATEGORIES,
    FIELDS_BY_ID,
    ISSUE_TYPES,
    LINK_TYPES,
    RESOLUTIONS,
    Attachment,
    Comment,
    Component,
    FieldDef,
    History,
    Issue,
    Project,
    Status,
    Transition,
    User,
)
from connector.sandbox.jira.store import Store
from connector.sandbox.jira.timeutil import jira_datetime

Json = dict[str, Any]
_RESOLUTIONS = {rid: (name, text) for rid, name, text in RESOLUTIONS}
_ISSUE_TYPES = {str(t["id"]): t for t in ISSUE_TYPES}


class Renderer:
    """Renders for one request: `version` is the REST version in the path ("2" or "3")."""

    def __init__(self, store: Store, base_url: str, version: str) -> None:
        self.store = store
        self.base = base_url
        self.version = version
        self.api = f"{base_url}/rest/api/{version}"
        self.cloud = store.flavor == "cloud"
        self.tz = store.current_user.time_zone

    def dt(self, ms: int | None) -> str | None:
        return None if ms is None else jira_datetime(ms, self.tz)

    def body(self, value: object) -> Any:
        """Rich text: ADF on v3, a wiki string on v2 (and always on Data Center)."""
        return to_adf(value) if self.version == "3" else to_text(value)

    def avatars(self, kind: str, ident: str) -> Json:
        return {size: f"{self.base}/secure/{kind}avatar?size={size.split('x')[0]}&id={ident}"
                for size in ("48x48", "24x24", "16x16", "32x32")}

    # -- users ---------------------------------------------------------------------------

    def user(self, user: User, *, full: bool = False) -> Json:
        if self.cloud:
            out: Json = {"self": f"{self.api}/user?accountId={user.account_id}",
                         "accountId": user.account_id, "accountType": "atlassian"}
        else:
            out = {"self": f"{self.api}/user?username={user.name}", "key": user.key,
                   "name": user.name}
        out.update({"emailAddress": user.email, "avatarUrls": self.avatars("user", user.key),
                    "displayName": user.display_name, "active": user.active,
                    "timeZone": user.time_zone})
        if full:
            out["locale"] = "en_US"
        return out

    def user_ref(self, account_id: str | None) -> Json | None:
        user = self.store.users.get(account_id) if account_id else None
        return None if user is None else self.user(user)

    def user_id(self, account_id: str | None) -> str | None:
        """How the flavor names a user in changelog `from`/`to`: accountId or user name."""
        user = self.store.users.get(account_id) if account_id else None
        if user is None:
            return None
        return user.account_id if self.cloud else user.name

    # -- catalogue things -------------------------------------------------------------------

    def status(self, status: Status) -> Json:
        key, cat_id, cat_name, colour = CATEGORIES[status.category]
        return {"self": f"{self.api}/status/{status.id}", "description": status.description,
                "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
                "name": status.name, "id": status.id,
                "statusCategory": {"self": f"{self.api}/statuscategory/{cat_id}", "id": cat_id,
                                   "key": key, "colorName": colour, "name": cat_name}}

    def issuetype(self, type_id: str) -> Json:
        meta = _ISSUE_TYPES[type_id]
        return {"self": f"{self.api}/issuetype/{type_id}", "id": type_id,
                "description": meta["description"],
                "iconUrl": f"{self.base}/images/icons/issuetypes/task.png",
                "name": meta["name"], "subtask": meta["subtask"], "avatarId": 10318,
                "hierarchyLevel": meta["hierarchyLevel"]}

    def resolution(self, res_id: str | None) -> Json | None:
        if res_id is None:
            return None
        name, text = _RESOLUTIONS[res_id]
        return {"self": f"{self.api}/resolution/{res_id}", "id": res_id, "description": text,
                "name": name}

    def component(self, comp: Component, *, full: bool = False) -> Json:
        out: Json = {"self": f"{self.api}/component/{comp.id}", "id": str(comp.id),
                     "name": comp.name, "description": comp.description}
        if full:
            out.update({"assigneeType": "PROJECT_DEFAULT", "realAssigneeType": "PROJECT_DEFAULT",
                        "isAssigneeTypeValid": False, "projectId": comp.project_id,
                        "project": self.store.projects[comp.project_id].key})
        return out

    def project(self, project: Project, *, full: bool = False) -> Json:
        out: Json = {"self": f"{self.api}/project/{project.id}", "id": str(project.id),
                     "key": project.key, "name": project.name,
                     "projectTypeKey": project.type_key, "simplified": False,
                     "avatarUrls": self.avatars("project", str(project.id))}
        if full:
            out.update({
                "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                "description": "", "lead": self.user_ref(project.lead),
                "components": [self.component(c) for c in self.store.components_of(project.id)],
                "issueTypes": [self.issuetype(t) for t in project.issuetype_ids],
                "assigneeType": "UNASSIGNED", "versions": [], "roles": {}, "style": "classic",
                "isPrivate": False, "properties": {}})
        return out

    def field(self, fdef: FieldDef) -> Json:
        return {"id": fdef.id, "key": fdef.id, "name": fdef.name, "custom": fdef.custom,
                "orderable": True, "navigable": fdef.navigable, "searchable": True,
                "clauseNames": fdef.clause_names, "schema": field_schema(fdef)}

    def transition(self, transition: Transition, current_status: str, *,
                   with_fields: bool = False) -> Json:
        out: Json = {"id": transition.id, "name": transition.name,
                     "to": self.status(self.store.statuses[transition.to_status]),
                     "hasScreen": False, "isGlobal": transition.kind == "GLOBAL",
                     "isInitial": False, "isAvailable": True, "isConditional": False,
                     "isLooped": transition.to_status == current_status}
        if with_fields:
            out["fields"] = {}
        return out

    # -- issue parts ----------------------------------------------------------------------

    def comment(self, issue: Issue, comment: Comment, *, with_properties: bool = False) -> Json:
        """A comment; its properties only when `with_properties` (see `comment_properties`)."""
        out: Json = {"self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
                     "id": str(comment.id), "author": self.user_ref(comment.author),
                     "body": self.body(comment.body),
                     "updateAuthor": self.user_ref(comment.author),
                     "created": self.dt(comment.created), "updated": self.dt(comment.updated)}
        if self.cloud:
            out["jsdPublic"] = not comment.internal
        if with_properties and comment.properties:
            out["properties"] = [{"key": k, "value": v} for k, v in comment.properties.items()]
        if comment.visibility is not None:
            out["visibility"] = comment.visibility
        return out

    def comment_page(self, issue: Issue, cap: int | None) -> Json:
        """The `comment` field: all comments, or only the `cap` newest with the true `total`
        (searches embed 20); `startAt` is where the shown ones begin, oldest first."""
        shown = issue.comments if cap is None else issue.comments[-cap:]
        return {"comments": [self.comment(issue, c) for c in shown],
                "self": f"{self.api}/issue/{issue.id}/comment", "maxResults": len(shown),
                "total": len(issue.comments), "startAt": len(issue.comments) - len(shown)}

    def attachment(self, att: Attachment) -> Json:
        return {"self": f"{self.api}/attachment/{att.id}", "id": str(att.id),
                "filename": att.filename, "author": self.user_ref(att.author),
                "created": self.dt(att.created), "size": len(att.content),
                "mimeType": att.mime_type,
                "content": f"{self.api}/attachment/content/{att.id}"}

    def history(self, history: History) -> Json:
        return {"id": str(history.id), "author": self.user_ref(history.author),
                "created": self.dt(history.created),
                "items": [{"field": i.field, "fieldtype": i.fieldtype, "fieldId": i.field_id,
                           "from": i.from_, "fromString": i.from_string, "to": i.to,
                           "toString": i.to_string} for i in history.items]}

    def link(self, issue: Issue, link_id: int, type_name: str, outward: bool,
             other: Issue) -> Json:
        type_id, out_text, in_text = LINK_TYPES[type_name]
        other_json = {"id": str(other.id), "key": other.key,
                      "self": f"{self.api}/issue/{other.id}",
                      "fields": {"summary": other.summary,
                                 "status": self.status(self.store.statuses[other.status_id])}}
        return {"id": str(link_id), "self": f"{self.api}/issueLink/{link_id}",
                "type": {"id": type_id, "name": type_name, "inward": in_text,
                         "outward": out_text, "self": f"{self.api}/issueLinkType/{type_id}"},
                ("outwardIssue" if outward else "inwardIssue"): other_json}


def field_schema(fdef: FieldDef) -> Json:
    """The `schema` Jira gives each field in `GET /field`."""
    if fdef.custom:
        plugin = "textfield" if fdef.kind == "string" else "float"
        return {"type": fdef.kind, "custom":
                f"com.atlassian.jira.plugin.system.customfieldtypes:{plugin}",
                "customId": int(fdef.id.split("_")[1])}
    arrays = {"labels": "string", "components": "component", "attachments": "attachment",
              "links": "issuelinks"}
    if fdef.kind in arrays:
        return {"type": "array", "items": arrays[fdef.kind], "system": fdef.id}
    kind = {"rich": "string", "comments": "comments-page"}.get(fdef.kind, fdef.kind)
    return {"type": kind, "system": fdef.id}


def custom_field_ids() -> list[str]:
    return [f.id for f in FIELDS_BY_ID.values() if f.custom]
