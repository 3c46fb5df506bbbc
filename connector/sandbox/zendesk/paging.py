"""Zendesk's two ways of paging a list: offset (`page`, `per_page`, `next_page`, `count`) and
cursor (`page[size]`, `page[after]`; `meta.has_more`, `meta.after_cursor`, `links.next`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from connector.sandbox.routing import Request, to_int
from connector.sandbox.zendesk.errors import bad_value

MAX_PAGE = 100  # per page at most, on the lists the sandbox serves


def page_of(req: Request, url: str, key: str, items: Sequence[Any],
            default_size: int = MAX_PAGE) -> dict[str, Any]:
    """`{key: items of this page, ...paging}`; cursor paging when `page[size]` is given."""
    if req.arg("page[size]") is not None or req.arg("page[after]") is not None:
        return cursor_page(req, url, key, items)
    size = min(req.int_arg("per_page", default_size) or default_size, MAX_PAGE)
    number = max(req.int_arg("page", 1), 1)
    start = (number - 1) * size
    shown = list(items[start:start + size])

    def link(n: int) -> str:
        return f"{url}?{urlencode({'page': n, 'per_page': size})}"

    return {key: shown, "next_page": link(number + 1) if start + size < len(items) else None,
            "previous_page": link(number - 1) if number > 1 else None, "count": len(items)}


def cursor_page(req: Request, url: str, key: str, items: Sequence[Any]) -> dict[str, Any]:
    """`{key: items of this page, meta, links}`: cursor paging only (`page[size]` default 100)."""
    size = min(to_int(req.arg("page[size]"), MAX_PAGE, "page[size]") or MAX_PAGE, MAX_PAGE)
    after = req.arg("page[after]")
    start = _offset(after) if after else 0
    shown = list(items[start:start + size])
    more = start + size < len(items)
    after_cursor = _token(start + size) if shown else None
    before_cursor = _token(start) if shown else None
    following = urlencode({"page[size]": size, "page[after]": after_cursor})
    return {key: shown,
            "meta": {"has_more": more, "after_cursor": after_cursor,
                     "before_cursor": before_cursor},
            "links": {"next": f"{url}?{following}" if more else None, "prev": None}}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(text.removeprefix("o:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_value("page[after] is not a valid cursor") from None
