"""Zendesk's ticket references: `#4711` for people, `[Request #4711]` in mail subjects, and the
agent's web page `https://SUBDOMAIN.zendesk.com/agent/tickets/4711`."""

from __future__ import annotations

import re

# `[Request #4711]` (what ticketflow writes), `[#4711]`, and `Request #4711` / `Ticket #4711`
# anywhere in a subject. A bare `#4711` is not taken: "Order #123 failed" names no ticket.
_IN_SUBJECT = re.compile(r"(?:\[\s*(?:(?:request|ticket)\s*)?#(\d{1,12})\s*\]"
                         r"|(?<![\w#])(?:request|ticket)\s+#(\d{1,12})(?!\d))", re.IGNORECASE)
_KEY = re.compile(r"#?(\d{1,12})")


class ZendeskRefs:
    """References to the tickets of the Zendesk at `base_url`."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def display(self, key: str) -> str:
        return f"#{key}"

    def subject_tag(self, key: str) -> str:
        return f"[Request #{key}]"

    def in_subject(self, subject: str) -> list[str]:
        found = [str(int(a or b)) for a, b in _IN_SUBJECT.findall(subject)]
        return list(dict.fromkeys(found))

    def parse(self, text: str) -> str | None:
        match = _KEY.fullmatch(text.strip())
        return str(int(match[1])) if match and int(match[1]) > 0 else None

    def web_url(self, key: str) -> str:
        return f"{self.base_url}/agent/tickets/{key}"
