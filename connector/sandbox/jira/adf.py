"""Rich text both ways: wiki strings (REST v2, Data Center) and Atlassian Document Format (v3)."""

from __future__ import annotations

from typing import Any

# Jira keeps one body per comment or description and renders it per API version: v3 answers
# ADF, v2 answers a wiki-markup string. The sandbox stores whatever it was given and converts
# on the way out, paragraphs <-> blank-line separated blocks and hardBreak <-> newline.


def is_adf(value: object) -> bool:
    """True for something shaped like an ADF document (what v3 requires for rich text)."""
    return (isinstance(value, dict) and value.get("type") == "doc"
            and isinstance(value.get("content"), list))


def to_adf(value: object) -> dict[str, Any] | None:
    """An ADF document for a stored body (string or ADF); None stays None."""
    if value is None:
        return None
    if is_adf(value):
        assert isinstance(value, dict)
        return value
    paragraphs = str(value).split("\n\n")
    return {"type": "doc", "version": 1,
            "content": [_paragraph(block) for block in paragraphs if block != ""]}


def _paragraph(block: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for index, line in enumerate(block.split("\n")):
        if index:
            content.append({"type": "hardBreak"})
        if line:
            content.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": content}


def to_text(value: object) -> str | None:
    """A plain string for a stored body; ADF is flattened the way Jira renders it for v2."""
    if value is None:
        return None
    if not is_adf(value):
        return str(value)
    assert isinstance(value, dict)
    return "\n\n".join(_block_text(node) for node in value["content"])


def _block_text(node: object) -> str:
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    children = node.get("content")
    if not isinstance(children, list):
        return ""
    joiner = "\n" if kind in ("bulletList", "orderedList") else ""
    return joiner.join(_block_text(child) for child in children)
