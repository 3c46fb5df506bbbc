"""An action's identity as the ledger records it, and whether today's rules still define it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connector.config.actions import RECIPIENT_WORDS, Action
from connector.config.rules import Rule

# Definitions by id(action), with the action kept so its id cannot be reused: a time rule
# plans the same few config objects for thousands of tickets.
_DEFINITIONS: dict[int, tuple[Action, str]] = {}


def definition(action: Action) -> str:
    """Canonical JSON of the action as the admin wrote it (defaults left out, keys sorted), so
    the digest changes when the action's meaning in rules.yaml does, not when ticketflow
    gains an optional setting."""
    known = _DEFINITIONS.get(id(action))
    if known is not None and known[0] is action:
        return known[1]
    dumped = action.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(_DEFINITIONS) > 4096:
        _DEFINITIONS.clear()
    _DEFINITIONS[id(action)] = (action, text)
    return text


def digest(text: str) -> str:
    """SHA-256 of a definition, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def describe(text: str) -> str:
    """A definition in rules.yaml's own flow style: `notify {to: customer, template: x}`."""
    try:
        dumped = json.loads(text)
    except ValueError:
        return text
    if not isinstance(dumped, dict) or len(dumped) != 1:
        return text
    ((kind, spec),) = dumped.items()
    return f"{kind} {_flow(spec)}" if spec else str(kind)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        recipient = _recipient(value)
        if recipient is not None:
            return recipient
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return str(value)


def _recipient(value: dict[str, Any]) -> str | None:
    """A recipient as written: `customer`, `{role: tier2}`, `{address: ops@example.edu}`."""
    to = value.get("to")
    if set(value) == {"to"} and to in RECIPIENT_WORDS:
        return str(to)
    if to in ("role", "address") and set(value) == {"to", to}:
        return f"{{{to}: {value[to]}}}"
    return None


@dataclass(frozen=True)
class Replay:
    """The action a ledger row may perform now, or why it may not (`action` None)."""

    action: Action | None
    reason: str = ""


def replay(rules: Sequence[Rule], *, rule: str, index: int, kind: str,
           recorded: str = "", recorded_digest: str = "") -> Replay:
    """Perform only what the rule still says: the same rule, index and kind, and the same
    definition (rows recorded before digests existed are matched on kind alone)."""
    found = next((r for r in rules if r.name == rule), None)
    was = describe(recorded) if recorded else kind
    prefix = f"rules.yaml changed: rule '{rule}'"
    if found is None:
        return Replay(None, f"{prefix} is gone (its action {index} was {was}); not performed")
    if not found.enabled:
        return Replay(None, f"{prefix} is disabled (its action {index} was {was}); "
                      "not performed")
    if not 0 <= index < len(found.then):
        return Replay(None, f"{prefix} has no action {index} now (it has {len(found.then)}); "
                      f"it was {was}; not performed")
    action = found.then[index]
    now = definition(action)
    if action.kind != kind or (recorded_digest and digest(now) != recorded_digest):
        return Replay(None, f"{prefix} action {index} was {was}, now {describe(now)}; "
                      "not performed")
    return Replay(action)
