"""Who may call a sandbox: the API user, its token, and the people of the shipped mappings.yaml."""

from __future__ import annotations

import importlib.resources
from typing import Any

import yaml

API_USER = "sandbox@example.test"
API_USER_NAME = "Sandbox Admin"
API_TOKEN = "sandbox-token"  # noqa: S105 - the sandbox's published, fixed credential


def shipped_mappings() -> dict[str, Any]:
    """The packaged `mappings.yaml` as plain data (empty when it is not a mapping)."""
    resource = importlib.resources.files("connector") / "defaults" / "mappings.yaml"
    data: Any = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def shipped_user_emails() -> list[str]:
    """Every user named under a `roles.*.users` list of the packaged `mappings.yaml`, in order.

    The roles may sit at the top of the file or inside a per-tracker or per-project section;
    every `roles` mapping found is read, so the sandbox keeps seeding the same people whichever
    shape the file takes.
    """
    emails: list[str] = []
    for roles in find_values("roles"):
        for role in roles.values() if isinstance(roles, dict) else []:
            users = role.get("users") if isinstance(role, dict) else None
            for email in users if isinstance(users, list) else []:
                if str(email) not in emails:
                    emails.append(str(email))
    return emails


def find_values(key: str) -> list[Any]:
    """Every value stored under `key` anywhere in the shipped mappings.yaml, in file order."""
    return _values(shipped_mappings(), key)


def _values(node: Any, key: str) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                found.append(value)
            else:
                found += _values(value, key)
    elif isinstance(node, list):
        for value in node:
            found += _values(value, key)
    return found
