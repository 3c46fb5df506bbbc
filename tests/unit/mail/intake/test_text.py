"""Readable text: HTML converted without a dependency, quoted history and signatures cut."""

from __future__ import annotations

import pytest

from connector.mail.intake.text import QUOTE_MARK, html_to_text, split_reply


def test_html_keeps_structure_links_and_image_names() -> None:
    """Paragraphs, line breaks, list items, links as `text (url)`, `cid:` images by name."""
    text = html_to_text("<p>One<br>two</p><ul><li>a</li><li>b</li></ul>"
                        '<a href="https://x.example/p">the page</a> <img src="cid:logo.png">'
                        "<table><tr><td>x</td><td>y</td></tr></table>")
    assert "One\ntwo" in text
    assert "- a\n- b" in text
    assert "the page (https://x.example/p)" in text
    assert "[image: logo.png]" in text


def test_html_drops_scripts_styles_and_survives_broken_markup() -> None:
    """No script or style text; unclosed tags and stray brackets do not raise."""
    text = html_to_text("<style>p{}</style><script>x()</script><p>kept<b>bold<i></p></div><<>")
    assert text.startswith("kept")
    assert "x()" not in text and "p{}" not in text


@pytest.mark.parametrize("marker", [
    '<div class="gmail_quote">', '<div id="divRplyFwdMsg">', '<div id="appendonsend"></div>',
    '<blockquote type="cite">', '<div class="yahoo_quoted">',
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">',
])
def test_quote_containers_of_each_client_are_marked(marker: str) -> None:
    """Gmail, Outlook (three ways), Apple Mail and Yahoo quote blocks become a cut mark."""
    text = html_to_text(f"<p>New text</p>{marker}<p>old text</p></div>")
    assert QUOTE_MARK in text
    assert split_reply(text).text == "New text"


@pytest.mark.parametrize("attribution", [
    "On Mon, 30 Nov 2026 at 08:45, REDCap Helpdesk <redcap_helpdesk@example.edu> wrote:",
    "Am 30.11.2026 um 08:45 schrieb REDCap Helpdesk <redcap_helpdesk@example.edu>:",
    "Le lun. 30 nov. 2026 à 08:45, REDCap Helpdesk a écrit :",
    "El lun, 30 nov 2026 a las 08:45, REDCap Helpdesk escribió:",
    "Il giorno lun 30 nov 2026, REDCap Helpdesk ha scritto:",
    "Op ma 30 nov. 2026 om 08:45 schreef REDCap Helpdesk:",
    "Den mån 30 nov. 2026 kl 08:45 skrev REDCap Helpdesk:",
    "W dniu 30.11.2026 o 08:45 REDCap Helpdesk pisze:",
    "2026年11月30日 08:45\uff0cREDCap Helpdesk 写道\uff1a",
    "-----Original Message-----",
    "-----Ursprüngliche Nachricht-----",
    "-- Please reply above this line --",
])
def test_attribution_lines_in_many_languages_cut_the_history(attribution: str) -> None:
    """The reply above an attribution line is kept; the quote below it is cut."""
    reply = split_reply(f"Thanks, it works now.\n\n{attribution}\n> old text\n> more")
    assert reply.text == "Thanks, it works now."
    assert reply.trimmed


def test_an_attribution_wrapped_over_two_lines_is_found() -> None:
    """Gmail wraps long attribution lines: `On …, Name <addr>` then `wrote:`."""
    reply = split_reply("Yes.\n\nOn Mon, 30 Nov 2026 at 08:45, REDCap Helpdesk\n"
                        "<redcap_helpdesk@example.edu> wrote:\n> Hello")
    assert reply.text == "Yes."


def test_outlook_header_block_and_signatures_are_cut() -> None:
    """Outlook's From/Sent/To block (any language) and `-- `, "Sent from my iPhone"."""
    outlook = ("Danke!\n\n________________________________\nVon: Helpdesk <h@example.edu>\n"
               "Gesendet: Montag, 30. November 2026 08:45\nAn: Alex\nBetreff: [HELP-1]\n\nold")
    assert split_reply(outlook).text == "Danke!"
    assert split_reply("Fixed.\n-- \nPat Doe\nEpidemiology").text == "Fixed."
    assert split_reply("On my way.\n\nSent from my iPhone").text == "On my way."


def test_nothing_is_cut_when_the_reply_would_be_empty() -> None:
    """A bottom-posted reply (the quote first) is kept whole rather than emptied."""
    text = "On Mon, Support wrote:\n> question\n\nMy answer is below the quote."
    reply = split_reply(text)
    assert reply.text == text
    assert not reply.trimmed


def test_plain_text_without_history_is_unchanged() -> None:
    """Ordinary text (even with a `From:` line in prose) is not cut."""
    text = "From: the export page I get an error.\nIt says timeout."
    assert split_reply(text).text == text
    assert not split_reply(text).trimmed
