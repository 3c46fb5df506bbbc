"""Tagged unions keyed by a single YAML key (`- notify: {...}`), and the base model of config."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are frozen after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tagged(Strict):
    """A union member written as `{<kind>: <spec>}`; `kind` is its YAML key."""

    kind: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _empty_spec(cls, value: Any) -> Any:
        # `- categorize:` (nothing after the colon) means the same as `- categorize`.
        if isinstance(value, dict) and cls.kind in value and value[cls.kind] is None:
            return {**value, cls.kind: {}}
        return value


def single_key(value: Any) -> Any:
    """Discriminator helper: the one key of `{key: spec}`, or the `kind` of a built model."""
    if isinstance(value, Tagged):
        return value.kind
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, dict) and not value:
        return "(empty mapping)"
    if isinstance(value, dict):
        return "(several keys: " + ", ".join(map(str, value)) + ")"
    return f"({type(value).__name__})"


def bare_word_to_mapping(value: Any) -> Any:
    """Let a spec-less member be written as a bare word: `- categorize` means `{categorize: {}}`."""
    if isinstance(value, str):
        return {value: {}}
    return value


def registry(*members: type[Tagged]) -> dict[str, type[Tagged]]:
    """The explicit name -> class table a YAML key is looked up in (never a dotted import)."""
    table: dict[str, type[Tagged]] = {}
    for member in members:
        if member.kind in table:
            raise TypeError(f"two config types claim the key {member.kind!r}")
        table[member.kind] = member
    return table


def _one_or_many(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def one_or_many(item: Any) -> BeforeValidator:
    """Accept one item or a list (`status: Reviewing` or `status: [Reviewing, Assigned]`)."""
    return BeforeValidator(_one_or_many, json_schema_input_type=item | list[item])
