"""Pydantic errors turned into `FILE:LINE:COL: key.path: what is wrong; what was expected`."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from connector.config.source import Document, KeyPath, Location


@dataclass(frozen=True, order=True)
class Problem:
    """One configuration problem with its place; sorts by file, line, column."""

    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.path}: {self.message}"


def display_path(path: KeyPath) -> str:
    """`("rules", 3, "then", 0)` -> `rules[3].then[0]`; the empty path is the whole file."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def resolve(data: Any, loc: Iterable[Any]) -> KeyPath:
    """Map a model location onto the YAML data's key path.

    Model locations carry parts the YAML does not have (union tags, the index of a condition
    written in mapping shorthand); a part that does not lead anywhere in the data is skipped.
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, dict) and part in node
        if in_mapping or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
    return tuple(path)


def problem_at(
    document: Document, path: KeyPath, message: str, *, prefer_key: bool = False
) -> Problem:
    location = document.source.locate(path, prefer_key=prefer_key)
    return Problem(location or Location(document.display_name, 1, 1), display_path(path), message)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str | int | float):
        return f"{type(value).__name__} {value!r}"
    return f"{type(value).__name__} {value}"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Annotated and unions opened up)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def keys_at(model: type[BaseModel], loc: Iterable[Any]) -> list[str]:
    """The keys allowed in the mapping a model location points into (for "did you mean")."""
    candidates: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for candidate in candidates:
            following.extend(_step(candidate, part))
        candidates = following or candidates
    keys: list[str] = []
    # A union's members (a rule test's step) offer all their keys.
    for candidate in (option for c in candidates for option in _unwrap(c)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            keys.extend(info.alias or name for name, info in candidate.model_fields.items())
    return sorted(set(keys))


def _step(annotation: Any, part: Any) -> list[Any]:
    following: list[Any] = []
    for option in _unwrap(annotation):
        origin = get_origin(option)
        if isinstance(option, type) and issubclass(option, BaseModel):
            # A union tag (`notify` in then[0].notify.notify.to) names the member's only
            # field too, so stepping into the field covers both; the repeat is skipped.
            for name, info in option.model_fields.items():
                if part in (name, info.alias):
                    following.append(info.rebuild_annotation())
        elif origin in (list, tuple) and isinstance(part, int):
            following.append(get_args(option)[0])
        elif origin is dict and isinstance(part, str):
            following.append(get_args(option)[1])
    return following


def _tag_message(error: ErrorDetails) -> str:
    ctx = error.get("ctx", {})
    tag = str(ctx.get("tag", ""))
    what = str(ctx.get("discriminator", "type")).removesuffix("()").replace("_", " ")
    expected = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
    if tag.startswith("("):
        return (
            f"{what} written as {tag.strip('()')}; "
            f"expected one key naming the {what.split()[0]}: {', '.join(expected)}"
        )
    close = difflib.get_close_matches(tag, expected, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {tag!r}{hint}; expected one of: {', '.join(expected)}"


_EXPECTED_TYPE = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date like 2026-12-25",
    "date_parsing": "a date like 2026-12-25",
    "date_from_datetime_parsing": "a date like 2026-12-25",
    "float_type": "a number",
}


def message_for(error: ErrorDetails, model: type[BaseModel]) -> tuple[list[Any], str, bool]:
    """(model location, message, point at the key?) for one pydantic error."""
    kind, loc = error["type"], list(error["loc"])
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = keys_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return loc, (f"unknown key {loc[-1]!r}{hint}; expected one of: {', '.join(allowed)}"), True
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = error.get("ctx", {}).get("tag")
        return (
            [*loc, tag] if isinstance(tag, str) and not tag.startswith("(") else loc,
            _tag_message(error),
            True,
        )
    if kind == "missing":
        return loc[:-1], f"missing key {loc[-1]!r}; expected it to be set", False
    if kind in ("value_error", "assertion_error"):
        text = str(error.get("ctx", {}).get("error", error["msg"]))
        return loc, text, False
    if kind in _EXPECTED_TYPE:
        return loc, f"wrong type: got {_describe(value)}; expected {_EXPECTED_TYPE[kind]}", False
    if kind == "literal_error":
        return (
            loc,
            (f"got {_describe(value)}; expected one of {error.get('ctx', {}).get('expected', '')}"),
            False,
        )
    if kind == "string_pattern_mismatch":
        return (
            loc,
            (
                f"{value!r} has the wrong form; expected text matching "
                f"{error.get('ctx', {}).get('pattern', '')}"
            ),
            False,
        )
    if kind in ("too_short", "too_long", "greater_than_equal", "less_than_equal"):
        return loc, f"got {_describe(value)}; expected {error['msg'].lower()}", False
    return loc, f"{error['msg']}; got {_describe(value)}", False


def validation_problems(
    document: Document, error: ValidationError, model: type[BaseModel]
) -> list[Problem]:
    """Every error of one validation, each located in the document."""
    details = error.errors(include_url=False)
    problems = []
    for detail in details:
        if _explained_by_misspelling(detail, details, model):
            continue
        loc, message, at_key = message_for(detail, model)
        path = resolve(document.data, loc)
        problems.append(problem_at(document, path, message, prefer_key=at_key))
    return problems


def _explained_by_misspelling(
    detail: ErrorDetails, details: list[ErrorDetails], model: type[BaseModel]
) -> bool:
    """A missing key beside an unknown key that looks like it (`calender`) says nothing new."""
    if detail["type"] != "missing":
        return False
    parent, wanted = tuple(detail["loc"][:-1]), str(detail["loc"][-1])
    for other in details:
        loc = tuple(other["loc"])
        if other["type"] == "extra_forbidden" and loc[:-1] == parent:
            allowed = keys_at(model, parent)
            if difflib.get_close_matches(str(loc[-1]), allowed, n=1) == [wanted]:
                return True
    return False


def suggest(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'X'?)` when a close match exists, else nothing."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


__all__ = ["Problem", "display_path", "problem_at", "resolve", "suggest", "validation_problems"]
