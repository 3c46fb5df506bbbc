"""Readable text from mail bodies: HTML to text (stdlib), quoted history and signatures cut."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# A line the HTML converter leaves where a quoted-history container starts (Gmail, Outlook,
# Yahoo, Apple Mail): the trimmer cuts there. A private-use character cannot come from mail.
QUOTE_MARK = "\ue000"
MAX_HTML = 2_000_000  # characters converted; bigger bodies are cut first (bombs, 5000 links)
_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml"}
_BLOCK = {"p", "div", "table", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
          "hr", "section", "article", "header", "footer", "address", "dl", "dt", "dd", "center",
          "blockquote", "form", "fieldset", "main", "nav", "aside", "figure"}
_QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg", "mail-editor-reference")
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote",
                  "zmail_extra", "ms-outlook-mobile-reference")


class _HtmlText(HTMLParser):
    """Collects text with line structure; links as `text (url)`, images as `[image: alt]`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.quote = 0
        self.href: list[str | None] = []
        self.link_text: list[str] = []

    def _newline(self, count: int = 1) -> None:
        self.out.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): (v or "") for k, v in attrs}
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append("  ")
        elif tag == "img":
            label = found.get("alt") or found.get("title") or found.get("src", "")[:60]
            if label.startswith("cid:"):
                label = label[4:]
            if label:
                self.out.append(f"[image: {label}]")
        elif tag == "a":
            self.href.append(found.get("href"))
            self.link_text.append("")
        if self._starts_quote(tag, found):
            self.out.append(f"\n{QUOTE_MARK}\n")
        if tag in _BLOCK:
            self._newline(2 if tag in ("p", "blockquote", "table", "pre") else 1)
        if tag == "pre":
            self.pre += 1

    @staticmethod
    def _starts_quote(tag: str, attrs: dict[str, str]) -> bool:
        ident = attrs.get("id", "").lower()
        classes = attrs.get("class", "").lower()
        style = attrs.get("style", "").lower().replace(" ", "")
        return (ident in _QUOTE_IDS or any(c in classes for c in _QUOTE_CLASSES)
                or (tag == "blockquote" and attrs.get("type", "").lower() == "cite")
                or (tag == "div" and "border-top:solid#" in style and "1.0pt" in style))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.href:
            href, text = self.href.pop(), self.link_text.pop().strip()
            if href and href.startswith(("http://", "https://")) and href != text:
                self.out.append(f" ({href})")
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK:
            self._newline(2 if tag in ("p", "blockquote", "table", "pre") else 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = data if self.pre else re.sub(r"\s+", " ", data)
        self.out.append(text)
        if self.link_text:
            self.link_text[-1] += text


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body; never raises (bad markup is read as far as it
    goes). Quote containers are marked with QUOTE_MARK lines for `split_reply`."""
    parser = _HtmlText()
    try:
        parser.feed(html[:MAX_HTML])
        parser.close()
    except Exception:  # noqa: BLE001, S110 - html.parser is lenient; keep what was read
        pass
    return tidy("".join(parser.out))


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank start or end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1]):
            out.append(line if line.strip() else "")
    return "\n".join(out).strip("\n")


_W = r".{0,200}"
_ATTRIBUTION = [re.compile(p, re.IGNORECASE) for p in (
    rf"^on\b{_W}\bwrote:$", rf"^am\b{_W}\bschrieb\b{_W}:$", rf"^le\b{_W}\ba écrit\s?:$",
    rf"^el\b{_W}\bescribió:$", rf"^il\b{_W}\bha scritto:$", rf"^op\b{_W}\bschreef\b{_W}:$",
    rf"^(den|på)\b{_W}\bskrev\b{_W}:$", rf"^w dniu\b{_W}\b(pisze|napisał\w*)\b{_W}:$",
    rf"^em\b{_W}\bescreveu:$", rf"^{_W}写道[:\uff1a]$", rf"^{_W}wrote:$",
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|originalmeddelande|opprinnelig melding|"
    r"alkuperäinen viesti|oryginalna wiadomość|původní zpráva|原始邮件|原始郵件|"
    r"forwarded message|weitergeleitete nachricht|message transféré)\s*-{2,}$",
    r"^.{0,40}reply above this line.{0,40}$",
)]  # fmt: skip
_HEADER_FROM = re.compile(
    r"^\*?(from|von|de|da|van|från|fra|od|lähettäjä|发件人|寄件者)\s?\*?[:\uff1a]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|skickat|sendt|wysłano|"
    r"to|an|à|para|a|aan|till|til|do|subject|betreff|objet|asunto|oggetto|onderwerp|ämne|"
    r"emne|temat|cc|发送时间|收件人|主题)\s?\*?[:\uff1a]", re.IGNORECASE)
_SIGNATURE = [re.compile(p, re.IGNORECASE) for p in (
    r"^-- ?$", r"^sent from my \w+", r"^get outlook for (ios|android)", r"^von meinem .* gesendet",
    r"^envoyé de mon ", r"^enviado desde mi ", r"^inviato da ", r"^verzonden met ",
    r"^sent from (mail|yahoo mail|outlook) for ",
)]  # fmt: skip


@dataclass(frozen=True)
class Reply:
    """The new part of a message, and whether anything (history, signature) was cut."""

    text: str
    trimmed: bool


def split_reply(text: str) -> Reply:
    """Cut quoted history, attribution lines and signatures off a reply; the cut text must
    leave something, else the message is kept whole (a bottom-posted or empty reply)."""
    lines = text.split("\n")
    cut = _first_cut(lines)
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()  # a trailing quoted block (">" lines) is history too
    reply = tidy("\n".join(line for line in kept if line != QUOTE_MARK))
    full = tidy("\n".join(line for line in lines if line != QUOTE_MARK))
    if not reply.strip():
        return Reply(full, trimmed=False)
    return Reply(reply, trimmed=reply != full)


def _first_cut(lines: list[str]) -> int:
    for index, raw in enumerate(lines):
        line = raw.strip()
        if line == QUOTE_MARK or any(p.match(line) for p in _SIGNATURE):
            return index
        joined = f"{line} {lines[index + 1].strip()}" if index + 1 < len(lines) else line
        if any(p.match(line) or p.match(joined) for p in _ATTRIBUTION):
            return index
        if line.startswith("_" * 10) or _HEADER_FROM.match(line):
            following = [x.strip() for x in lines[index + 1:index + 6]]
            block = following if not line.startswith("_") else following[1:]
            starts = _HEADER_FROM.match(line) or (following and _HEADER_FROM.match(following[0]))
            if starts and sum(1 for x in block if _HEADER_NEXT.match(x)) >= 2:
                return index
    return len(lines)
