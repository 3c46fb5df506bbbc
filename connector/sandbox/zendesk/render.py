"""Records to JSON, in the shapes and property names of Zendesk's Support API."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from connector.sandbox.zendesk.model import (
    Audit,
    Comment,
    CustomStatus,
    Group,
    Membership,
    Ticket,
    TicketField,
    Upload,
    User,
    Webhook,
)

Json = dict[str, Any]
API_VIA: Json = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}


def stamp(seconds: int | None) -> str | None:
    """Zendesk's timestamps: ISO 8601 in UTC, to the second, `Z`."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def attachment_json(upload: Upload) -> Json:
    """An attachment as comments and upload answers show it."""
    return {"id": upload.id, "file_name": upload.file_name,
            "content_type": upload.content_type, "size": upload.size, "inline": False,
            "deleted": False, "content_url": f"https://sandbox.invalid/attachments/{upload.id}",
            "thumbnails": []}


def html_body(body: str) -> str:
    paragraphs = "".join(f'<p dir="auto">{html.escape(p)}</p>' for p in body.split("\n\n"))
    return f'<div class="zd-comment" dir="auto">{paragraphs}</div>'


class Renderer:
    """Renders for one request; `base` is the sandbox's URL (Zendesk's `url` properties)."""

    def __init__(self, base_url: str) -> None:
        self.api = f"{base_url}/api/v2"

    def user(self, user: User) -> Json:
        return {"id": user.id, "url": f"{self.api}/users/{user.id}.json", "name": user.name,
                "email": user.email, "created_at": stamp(user.created),
                "updated_at": stamp(user.updated), "time_zone": "Central Time (US & Canada)",
                "iana_time_zone": "America/Chicago", "locale": "en-US", "locale_id": 1,
                "role": user.role, "role_type": None, "active": user.active,
                "verified": True, "shared": False, "suspended": False, "moderator": False,
                "restricted_agent": False, "only_private_comments": False,
                "ticket_restriction": None if user.is_agent else "requested",
                "external_id": None, "tags": [], "user_fields": {}, "organization_id": None,
                "phone": None, "photo": None, "details": "", "notes": "", "alias": "",
                "signature": "", "report_csv": False, "chat_only": False}

    def group(self, group: Group) -> Json:
        return {"id": group.id, "url": f"{self.api}/groups/{group.id}.json",
                "name": group.name, "description": group.description,
                "default": group.default, "deleted": False, "is_public": True,
                "created_at": stamp(group.created), "updated_at": stamp(group.updated)}

    def membership(self, member: Membership) -> Json:
        return {"id": member.id, "url": f"{self.api}/group_memberships/{member.id}.json",
                "user_id": member.user_id, "group_id": member.group_id,
                "default": member.default, "created_at": stamp(member.created),
                "updated_at": stamp(member.created)}

    def status(self, status: CustomStatus) -> Json:
        return {"id": status.id, "url": f"{self.api}/custom_statuses/{status.id}.json",
                "status_category": status.category, "agent_label": status.agent_label,
                "raw_agent_label": status.agent_label, "end_user_label": status.end_user_label,
                "raw_end_user_label": status.end_user_label,
                "description": status.description, "raw_description": status.description,
                "end_user_description": status.end_user_description,
                "raw_end_user_description": status.end_user_description,
                "active": status.active, "default": status.default,
                "created_at": stamp(status.created), "updated_at": stamp(status.updated)}

    def field(self, fdef: TicketField) -> Json:
        out: Json = {"id": fdef.id, "url": f"{self.api}/ticket_fields/{fdef.id}.json",
                     "type": fdef.type, "title": fdef.title, "raw_title": fdef.title,
                     "description": fdef.description, "raw_description": fdef.description,
                     "position": fdef.position, "active": fdef.active,
                     "required": fdef.required, "collapsed_for_agents": False,
                     "regexp_for_validation": None, "title_in_portal": fdef.title,
                     "raw_title_in_portal": fdef.title, "visible_in_portal": fdef.system,
                     "editable_in_portal": fdef.system, "required_in_portal": False,
                     "tag": None, "removable": fdef.removable,
                     "agent_description": fdef.agent_description,
                     "created_at": stamp(fdef.created), "updated_at": stamp(fdef.updated)}
        if fdef.type in ("tagger", "multiselect"):
            out["custom_field_options"] = [
                {"id": o.id, "name": o.name, "raw_name": o.name, "value": o.value,
                 "default": o.default, "position": o.position,
                 "url": f"{self.api}/ticket_fields/{fdef.id}/options/{o.id}.json"}
                for o in fdef.options]
        return out

    def comment(self, comment: Comment) -> Json:
        return {"id": comment.id, "type": "Comment", "author_id": comment.author_id,
                "body": comment.body, "html_body": html_body(comment.body),
                "plain_body": comment.body, "public": comment.public,
                "attachments": [attachment_json(u) for u in comment.attachments],
                "audit_id": comment.audit_id, "via": API_VIA,
                "created_at": stamp(comment.created),
                "metadata": {"system": {"client": "ticketflow sandbox"}, "custom": {}}}

    def audit(self, audit: Audit) -> Json:
        return {"id": audit.id, "ticket_id": audit.ticket_id, "author_id": audit.author_id,
                "created_at": stamp(audit.created), "via": audit.via,
                "metadata": {"system": {}, "custom": {}}, "events": audit.events}

    def ticket(self, ticket: Ticket) -> Json:
        custom = [{"id": fid, "value": value} for fid, value in sorted(ticket.custom.items())]
        return {
            "id": ticket.id, "url": f"{self.api}/tickets/{ticket.id}.json",
            "external_id": ticket.external_id, "via": ticket.via,
            "created_at": stamp(ticket.created), "updated_at": stamp(ticket.updated),
            "generated_timestamp": ticket.generated, "type": ticket.type,
            "subject": ticket.subject, "raw_subject": ticket.subject,
            "description": ticket.description, "priority": ticket.priority,
            "status": ticket.status, "custom_status_id": ticket.custom_status_id,
            "requester_id": ticket.requester_id, "submitter_id": ticket.submitter_id,
            "assignee_id": ticket.assignee_id, "organization_id": None,
            "group_id": ticket.group_id, "collaborator_ids": [], "follower_ids": [],
            "email_cc_ids": [], "problem_id": None, "has_incidents": False,
            "is_public": ticket.is_public, "due_at": None, "tags": list(ticket.tags),
            "custom_fields": custom, "fields": custom, "sharing_agreement_ids": [],
            "followup_ids": list(ticket.followup_ids), "ticket_form_id": None,
            "brand_id": None, "allow_channelback": False, "allow_attachments": True,
            "from_messaging_channel": False}

    def webhook(self, hook: Webhook) -> Json:
        return {"id": hook.id, "name": hook.name, "status": hook.status,
                "subscriptions": list(hook.subscriptions), "endpoint": hook.endpoint,
                "http_method": hook.http_method, "request_format": hook.request_format,
                "created_at": stamp(hook.created), "created_by": str(hook.created_by),
                "updated_at": stamp(hook.updated), "updated_by": str(hook.created_by)}
