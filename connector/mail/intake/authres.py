"""The receiving server's verdict on who sent a mail, from its Authentication-Results (RFC 8601).

Anyone can write an Authentication-Results header into the mail they send, and every server
on the way may add one; a receiving server adds its own on top. So only headers whose
authserv-id is the mailbox's own server (`mailbox.authserv_id` in mappings.yaml) count, and
of those the topmost wins (RFC 8601 sections 5 and 7.1). DMARC decides when it gave a
verdict, since it is the check that ties the From address to the results; without one, a
DKIM or SPF pass is taken as a pass and a DKIM or SPF (hard) failure as a failure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "fail", "none"]
_RESULT = re.compile(r"\s*([A-Za-z0-9_-]+)(?:\s*/\s*[0-9]+)?\s*=\s*([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Verdict:
    """`fail` when the mailbox's server says the sender is not who From claims; `none` when it
    gave no verdict to go by (or none is configured)."""

    status: Status
    detail: str  # e.g. "dmarc=fail", for the ticket's warning and the logs

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def without_comments(value: str) -> str:
    """The header value with its (possibly nested) comments removed, quoted strings kept."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
        elif quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _split(value: str) -> list[str]:
    """`;`-separated parts, a `;` inside a quoted string kept."""
    parts, current, quoted = [], "", False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def results(value: str) -> tuple[str, dict[str, list[str]]]:
    """(authserv-id lower-cased, {method: [result, ...]}) of one header value."""
    head, *rest = _split(without_comments(value))
    words = head.split()
    server = words[0].strip('"').lower() if words else ""
    found: dict[str, list[str]] = {}
    for part in rest:
        match = _RESULT.match(part)
        if match:
            found.setdefault(match[1].lower(), []).append(match[2].lower())
    return server, found


def verdict(values: Sequence[str], authserv_id: str | None) -> Verdict:
    """The verdict of the topmost Authentication-Results header written by `authserv_id`
    (`values` in the order the headers stand in the mail, topmost first)."""
    if not authserv_id:
        return Verdict("none", "no authserv_id configured")
    ours = authserv_id.lower()
    for value in values:
        server, found = results(value)
        if server == ours:
            return _judged(found)
    return Verdict("none", f"no Authentication-Results from {authserv_id}")


def _judged(found: dict[str, list[str]]) -> Verdict:
    dmarc = found.get("dmarc", [])
    if "pass" in dmarc:
        return Verdict("pass", "dmarc=pass")
    if "fail" in dmarc:
        return Verdict("fail", "dmarc=fail")
    for method in ("dkim", "spf"):
        if "pass" in found.get(method, []):
            return Verdict("pass", f"{method}=pass")
    for method in ("dkim", "spf"):
        if "fail" in found.get(method, []):
            return Verdict("fail", f"{method}=fail")
    return Verdict("none", "no DMARC, DKIM or SPF verdict")
