"""Plain text to ADF and back, and wiki escaping that leaves no markup in customer text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from connector.tracker.jira.adf import adf_to_text, escape_wiki, text_to_adf, unescape_wiki

# Text as people write it: no leading/trailing newlines or runs of 3+ (ADF has no empty blocks).
_LINES = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20)
_PARAGRAPHS = st.lists(
    st.lists(_LINES, min_size=1, max_size=3).map("\n".join), min_size=1, max_size=4
)


@given(_PARAGRAPHS)
def test_text_survives_adf_round_trip(paragraphs: list[str]) -> None:
    """Paragraphs split at blank lines and single line breaks come back exactly."""
    text = "\n\n".join(paragraphs)
    assert adf_to_text(text_to_adf(text)) == text


def test_adf_shape_is_what_jira_accepts() -> None:
    """A doc of paragraphs; a line break is a hardBreak node; no empty text nodes."""
    assert text_to_adf("Hello\nworld\n\nBye") == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Hello"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "world"},
                ],
            },
            {"type": "paragraph", "content": [{"type": "text", "text": "Bye"}]},
        ],
    }


def test_adf_written_by_people_reads_as_text() -> None:
    """Lists, mentions, code and headings flatten to readable text."""
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Steps"}],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {"type": "text", "text": "open "},
                                    {"type": "mention", "attrs": {"id": "1", "text": "@Bob"}},
                                ],
                            }
                        ],
                    },
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {
                                        "type": "text",
                                        "text": "export",
                                        "marks": [{"type": "strong"}],
                                    }
                                ],
                            }
                        ],
                    },
                ],
            },
            {"type": "codeBlock", "content": [{"type": "text", "text": "x = 1"}]},
            {"type": "rule"},
        ],
    }
    assert adf_to_text(doc) == "Steps\n\n- open @Bob\n- export\n\nx = 1"
    assert adf_to_text(None) == ""


@given(st.text(max_size=60))
def test_wiki_escaping_round_trips(text: str) -> None:
    """Whatever a customer writes is stored escaped and read back unchanged."""
    assert unescape_wiki(escape_wiki(text)) == text.replace("\r\n", "\n")


def test_wiki_escaping_defuses_mentions_macros_and_effects() -> None:
    """No bracket, brace, bang or effect character reaches Jira unescaped."""
    hostile = "[~admin] {html}<b>x</b>{html} !http://x/y.png! *bold* [link|http://evil]"
    escaped = escape_wiki(hostile)
    assert re.search(r"(?<!\\)[\[\]{}!*|~]", escaped) is None
    assert escaped.startswith("\\[\\~admin\\]")
    assert escape_wiki("h1. Title\nbq. quote") == "h1\\. Title\nbq\\. quote"
