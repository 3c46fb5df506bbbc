"""The `notifications:` and `feedback:` sections of rules.yaml: channels, limits, survey link."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from connector.config.conditions import Regex
from connector.config.durations import DurationField
from connector.config.refs import TemplateRef
from connector.config.tagged import Strict

# The templates whose messages answer a customer's mail directly (RFC 3834 `auto-replied`)
# when rules.yaml names none; every other automatic message is `auto-generated`.
DEFAULT_ACKNOWLEDGEMENTS = ("request_submitted",)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FORM_PLACEHOLDERS = ("ticket", "resolution")


class AssigneeChannel(Strict):
    """How engineers hear about tickets assigned or escalated to them."""

    via: Literal["jira_notify", "email", "webhook"] = Field(
        "jira_notify",
        description="jira_notify: Jira's own notification mail to the user; email: a message "
        "to the address in mappings.yaml roles, through the outbox; webhook: a Slack or Teams "
        "incoming webhook (its URL from TICKETFLOW_WEBHOOK_URL, never from YAML).",
    )
    webhook_format: Literal["slack", "teams"] = Field(
        "slack", description="The JSON shape the webhook expects."
    )


class CustomerChannel(Strict):
    """How customers hear about their requests."""

    via: Literal["email", "public_comment", "jsm_comment"] = Field(
        "email",
        description="email: through the outbox; public_comment: a public comment on the "
        "ticket, which the tracker mails to the customer itself (Jira Service Management, "
        "Zendesk); jsm_comment: the older word for public_comment.",
    )


class RateLimit(Strict):
    """At most `per_recipient` automatic messages to one address within `per`."""

    per_recipient: int = Field(10, ge=1)
    per: DurationField = Field("1h", validate_default=True)


class Notifications(Strict):
    """Channels for staff and customers, loop protection and the flood limit."""

    assignee: AssigneeChannel = Field(default_factory=AssigneeChannel)
    customer: CustomerChannel = Field(default_factory=CustomerChannel)
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    acknowledgement_templates: list[TemplateRef] | None = Field(
        None,
        description="Templates that acknowledge a customer's mail: sent with `Auto-Submitted: "
        "auto-replied` (others: auto-generated). Default: [request_submitted].",
    )
    no_auto_reply: list[Regex] = Field(
        default_factory=list,
        description="More address patterns that never get automatic mail (searched, "
        "case-insensitive), beside the built-in mailer-daemon, postmaster, noreply, ...",
    )

    def acknowledgements(self) -> tuple[str, ...]:
        """The templates sent as `auto-replied`."""
        if self.acknowledgement_templates is None:
            return DEFAULT_ACKNOWLEDGEMENTS
        return tuple(self.acknowledgement_templates)


class Feedback(Strict):
    """Where the survey's link leads: an external form, or ticketflow's own page."""

    form_url: str | None = Field(
        None,
        description="An external survey (e.g. REDCap) with {ticket} (and optionally "
        "{resolution}) in it; without it, ticketflow's own /feedback page served by `run`.",
    )
    expires_after: DurationField = Field(
        "30 days", validate_default=True,
        description="How long a link to the built-in page stays valid.",
    )

    @field_validator("form_url")
    @classmethod
    def _form_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"{url!r} is not a web address; expected https://...")
        unknown = [p for p in _PLACEHOLDER.findall(url) if p not in FORM_PLACEHOLDERS]
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}} in {url!r}; expected "
                + " or ".join(f"{{{name}}}" for name in FORM_PLACEHOLDERS)
            )
        if "{ticket}" not in url:
            raise ValueError(f"{url!r} has no {{ticket}}; expected the ticket key in the link")
        return url
