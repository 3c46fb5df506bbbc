"""Names that refer to something defined elsewhere (a status, role, template) and their checks."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from connector.config.source import KeyPath

RefKind = Literal["status", "role", "category", "template", "tier"]


@dataclass(frozen=True)
class Ref:
    """Marks a field whose value must name an existing `kind` (status, role, ...)."""

    kind: RefKind


StatusRef = Annotated[str, Ref("status")]
RoleRef = Annotated[str, Ref("role")]
CategoryRef = Annotated[str, Ref("category")]
TemplateRef = Annotated[str, Ref("template")]
TierRef = Annotated[int, Ref("tier")]


@dataclass(frozen=True)
class FoundRef:
    """One reference found in a config model: where it is, what kind, which name."""

    path: KeyPath
    kind: RefKind
    name: Any
    is_key: bool = False


def _refs_in(metadata: tuple[Any, ...] | list[Any]) -> list[Ref]:
    return [item for item in metadata if isinstance(item, Ref)]


def find_refs(value: Any, annotation: Any = None, path: KeyPath = ()) -> Iterator[FoundRef]:
    """Walk a validated model and yield every value typed as a Ref, with its key path."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        for ref in _refs_in(metadata):
            yield FoundRef(path, ref.kind, value)
        yield from find_refs(value, base, path)
    elif isinstance(value, BaseModel):
        yield from _model_refs(value, path)
    elif origin in (Union, types.UnionType):
        branch = _branch_for(value, get_args(annotation))
        if branch is not None:
            yield from find_refs(value, branch, path)
    elif isinstance(value, list | tuple) and origin in (list, tuple):
        (item_type, *_) = get_args(annotation)
        for index, item in enumerate(value):
            yield from find_refs(item, item_type, (*path, index))
    elif isinstance(value, dict) and origin is dict:
        yield from _dict_refs(value, annotation, path)


def _model_refs(model: BaseModel, path: KeyPath) -> Iterator[FoundRef]:
    for name, info in type(model).model_fields.items():
        child_path = (*path, info.alias or name)
        child = getattr(model, name)
        for ref in _refs_in(info.metadata):
            yield from _each(child, ref, child_path)
        yield from find_refs(child, info.annotation, child_path)


def _dict_refs(value: dict[Any, Any], annotation: Any, path: KeyPath) -> Iterator[FoundRef]:
    key_type, value_type = get_args(annotation)
    key_refs = _refs_in(get_args(key_type)[1:]) if get_origin(key_type) is Annotated else []
    for key, item in value.items():
        for ref in key_refs:
            yield FoundRef((*path, key), ref.kind, key, is_key=True)
        yield from find_refs(item, value_type, (*path, key))


def _each(value: Any, ref: Ref, path: KeyPath) -> Iterator[FoundRef]:
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield FoundRef((*path, index), ref.kind, item)
    elif value is not None:
        yield FoundRef(path, ref.kind, value)


def _branch_for(value: Any, options: tuple[Any, ...]) -> Any:
    """Pick the member of a union that the validated `value` came from."""
    for option in options:
        plain = get_args(option)[0] if get_origin(option) is Annotated else option
        plain_origin = get_origin(plain) or plain
        if plain_origin is Literal:
            continue
        if isinstance(plain_origin, type) and isinstance(value, plain_origin):
            return option
    return None
