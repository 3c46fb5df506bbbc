"""Bytes and headers to text whatever the declared charset says: aliases, then fallbacks."""

from __future__ import annotations

import codecs
import email.header
import re

# Labels mail clients use that Python does not know, or knows as a narrower charset than the
# senders meant. Latin-1 labels read as cp1252 (as browsers do): Windows clients label cp1252
# text (curly quotes, euro signs) as iso-8859-1. Chinese labels read as GB18030, the superset.
ALIASES: dict[str, str | None] = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "ansi_x3.4-1968": "cp1252",
    "cp-1252": "cp1252", "windows-1252": "cp1252", "x-cp1252": "cp1252",
    "windows-874": "cp874", "iso-8859-8-i": "iso-8859-8", "iso-8859-6-i": "iso-8859-6",
    "x-sjis": "cp932", "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932",
    "x-gbk": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "euc-cn": "gb18030",
    "x-euc-cn": "gb18030", "cp936": "gb18030",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949",
    "iso-2022-jp": "iso2022_jp_ext", "x-mac-roman": "mac_roman", "macintosh": "mac_roman",
    "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7", "x-unicode20utf8": "utf-8",
    "unknown-8bit": None, "x-unknown": None, "unknown": None, "x-user-defined": None,
    "8bit": None, "7bit": None, "default": None, "none": None,
}  # fmt: skip
# Tried in order when the declared charset is missing, unknown or wrong.
FALLBACKS = ("utf-8", "cp1252")
# When a declared Japanese charset fails, the others are tried (as Zammad does).
_JAPANESE = ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004", "cp932", "euc_jp")
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?]*\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def codec_for(label: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when it says nothing usable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in ALIASES:
        return ALIASES[name]
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, label: str | None = None) -> tuple[str, str]:
    """Text and the codec that read it: declared (aliased), else UTF-8, else cp1252, else
    Latin-1, which cannot fail. Valid UTF-8 wins over a Latin-1 label (a common lie)."""
    declared = codec_for(label)
    candidates: list[str] = []
    if declared in ("cp1252", None) and _is_utf8(data):
        candidates.append("utf-8")
    if declared is not None:
        candidates.append(declared)
        if declared.startswith(("iso2022_jp", "cp932", "euc_jp")):
            candidates += _JAPANESE
    candidates += FALLBACKS
    for codec in dict.fromkeys(candidates):
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1"), "latin-1"


def _is_utf8(data: bytes) -> bool:
    """Non-ASCII bytes that are valid UTF-8: almost never an accident in other charsets."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def fix_8bit(text: str) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogates) read as UTF-8 or cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("ascii", "surrogateescape"))[0]


def unfold(value: str) -> str:
    return _FOLD.sub("", value)


def decode_header(raw: str) -> str:
    """A header's text: unfolded, 8-bit bytes repaired, RFC 2047 encoded words decoded with
    the same charset fallbacks as bodies (an unknown or broken charset keeps the text)."""
    text = fix_8bit(unfold(raw)).replace("\x00", "")
    if not _ENCODED_WORD.search(text):
        return text.strip()
    try:
        chunks = email.header.decode_header(text)
    except Exception:  # noqa: BLE001 - any parser failure keeps the text as it came
        return text.strip()
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:  # plain text between encoded words, as decode_header made it
            out.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            # An encoded word names its charset: a bad byte in it is one U+FFFD, not a
            # reason to read the whole run (decode_header joins neighbours) as cp1252.
            codec = codec_for(charset)
            try:
                out.append(chunk.decode(codec, "replace") if codec else decode_bytes(chunk)[0])
            except LookupError:
                out.append(decode_bytes(chunk)[0])
    return "".join(out).strip()
