"""Plain text <-> Atlassian Document Format (Cloud v3), and wiki markup escaping (Data Center).

Text written by customers reaches Jira through here, so neither form may let it become markup:
ADF text nodes carry no marks, and wiki text has every markup character escaped.
"""

from __future__ import annotations

import re
from typing import Any

# Characters that start wiki markup: mentions [~x], links [..], macros {x}, images !x!, effects
# *b* _i_ -s- +u+ ^sup^ ~sub~ ??cite?? {{mono}}, tables |, lists # and *, and the escape itself.
_WIKI_SPECIAL = re.compile(r"([\\\[\]{}!*_\-+^~?|#])")
_WIKI_LINE_START = re.compile(r"^(\s*)(h[1-6]|bq)\.", flags=re.MULTILINE)
_WIKI_UNESCAPE = re.compile(r"\\([\\\[\]{}!*_\-+^~?|#.])")


def text_to_adf(text: str) -> dict[str, Any]:
    """A document of paragraphs (split at blank lines), line breaks kept as hardBreak nodes."""
    paragraphs = [p for p in re.split(r"\n{2,}", text.replace("\r\n", "\n")) if p]
    return {"type": "doc", "version": 1, "content": [_paragraph(p) for p in paragraphs]}


def _paragraph(text: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            content.append({"type": "hardBreak"})
        if line:
            content.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": content}


def adf_to_text(document: Any) -> str:
    """The text of an ADF document: blocks separated by blank lines, mentions as @name."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    return "\n\n".join(t for t in (_block_text(b) for b in _children(document)) if t)


def _block_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind in ("bulletList", "orderedList"):
        return "\n".join("- " + _block_text(item) for item in _children(node))
    if kind in (
        "listItem",
        "blockquote",
        "panel",
        "expand",
        "layoutSection",
        "layoutColumn",
        "table",
        "tableRow",
        "tableCell",
        "tableHeader",
    ):
        return "\n".join(t for t in (_block_text(c) for c in _children(node)) if t)
    return (
        "".join(_inline_text(c) for c in _children(node)) if _children(node) else _inline_text(node)
    )


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        name = str(attrs.get("text") or attrs.get("id") or "")
        return name if name.startswith("@") else "@" + name
    if kind in ("emoji", "status", "date"):
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    return "".join(_inline_text(c) for c in _children(node))


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    content = node.get("content")
    return [c for c in content if isinstance(c, dict)] if isinstance(content, list) else []


def escape_wiki(text: str) -> str:
    """Text that Jira's wiki renderer shows as written: no mentions, macros, links or effects."""
    escaped = _WIKI_SPECIAL.sub(r"\\\1", text.replace("\r\n", "\n"))
    return _WIKI_LINE_START.sub(lambda m: f"{m[1]}{m[2]}\\.", escaped)


def unescape_wiki(text: str) -> str:
    """The inverse of `escape_wiki` (other markup in text written by people is left as is)."""
    return _WIKI_UNESCAPE.sub(r"\1", text)
