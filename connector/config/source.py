"""YAML documents with the file, line and column of every key and value, for errors that point."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# A path into a document: mapping keys and list indexes, as in ("rules", 3, "then", 0).
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class YamlFileError(Exception):
    """A file that cannot be read as YAML at all; carries where and what (and the key path,
    when the trouble is one value)."""

    def __init__(self, location: Location, message: str, key_path: KeyPath | None = None
                 ) -> None:
        self.location = location
        self.message = message
        self.key_path = key_path
        super().__init__(f"{location}: {message}")


@dataclass
class SourceMap:
    """Where each key path of a (possibly merged) document came from."""

    values: dict[KeyPath, Location] = field(default_factory=dict)
    keys: dict[KeyPath, Location] = field(default_factory=dict)

    def locate(self, path: KeyPath, *, prefer_key: bool = False) -> Location | None:
        """The location of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefer_key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return None

    def move(self, old_prefix: KeyPath, new_prefix: KeyPath) -> None:
        """Re-key this map's entries under `old_prefix` to `new_prefix` (data moved within
        the document keeps its places)."""
        cut = len(old_prefix)
        for entries in (self.values, self.keys):
            for path in [p for p in entries if p[:cut] == old_prefix]:
                entries[new_prefix + path[cut:]] = entries.pop(path)

    def graft(self, other: SourceMap, old_prefix: KeyPath, new_prefix: KeyPath) -> None:
        """Copy `other`'s entries under `old_prefix` into this map, renamed to `new_prefix`."""
        cut = len(old_prefix)
        for mine, theirs in ((self.values, other.values), (self.keys, other.keys)):
            for path, location in theirs.items():
                if path[:cut] == old_prefix:
                    mine[new_prefix + path[cut:]] = location


@dataclass
class Document:
    """A YAML file's data as plain Python values, with its source map."""

    path: Path
    display_name: str
    data: Any
    source: SourceMap
    sha256: str = ""  # of the bytes parsed: what the configuration's digest is made of


def _mark_location(display_name: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(display_name, 1, 1)
    return Location(display_name, mark.line + 1, mark.column + 1)


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or "invalid YAML"
    if "'\\t'" in problem or "\t" in problem:
        return (
            "tab character used for indentation; "
            "expected spaces (YAML does not allow tabs for indentation)"
        )
    context = f" ({error.context})" if error.context else ""
    return f"YAML syntax error: {problem}{context}; expected valid YAML"


class _Builder:
    """Turns a composed YAML node tree into plain values while recording positions."""

    def __init__(self, display_name: str) -> None:
        self.display_name = display_name
        self.source = SourceMap()
        # Scalars are resolved by PyYAML's safe constructor, so `1` is int and `yes` stays safe.
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.source.values[path] = _mark_location(self.display_name, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        # Scalars keep their YAML type: 1 is int, 2026-12-25 is a date, "yes" stays text.
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as error:  # 2026-02-30 looks like a date, is none
            raise YamlFileError(_mark_location(self.display_name, node.start_mark),
                                _bad_scalar(node, error), path) from None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        if any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value):
            self._constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self._constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float) and key is not None:
                raise YamlFileError(
                    _mark_location(self.display_name, key_node.start_mark),
                    "a mapping key must be a plain value; expected text",
                )
            if isinstance(key, bool | float) or key is None:
                # YAML 1.1 reads `on:` as true; a key is a name, so keep what was written.
                key = str(key_node.value)
            if key in result:
                first = self.source.keys[(*path, key)]
                raise YamlFileError(
                    _mark_location(self.display_name, key_node.start_mark),
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "expected each key once per mapping",
                )
            self.source.keys[(*path, key)] = _mark_location(self.display_name, key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        return result


def _bad_scalar(node: yaml.Node, error: Exception) -> str:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return (f"{node.value!r} is not a date that exists ({error}); expected a calendar "
                "date like 2026-12-25")
    return f"{node.value!r} cannot be read ({error}); expected a plain YAML value"


def _code(character: str | int) -> int:
    """PyYAML reports the bad character as text or, when reading bytes, as an int."""
    return character if isinstance(character, int) else ord(character)


def load_document(path: Path, display_name: str) -> Document:
    """Read one YAML file; raise YamlFileError with a location for anything unreadable."""
    try:
        raw = path.read_bytes()  # once: the digest is of exactly what is parsed
        # As read_text would: universal newlines.
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise YamlFileError(
            Location(display_name, 1, 1),
            f"file not found in {path.parent}; expected {path.name} there "
            "(set --config-dir or TICKETFLOW_CONFIG_DIR, or run `ticketflow init`)",
        ) from None
    except UnicodeDecodeError as error:
        raise YamlFileError(
            Location(display_name, 1, 1),
            f"not UTF-8 text ({error.reason}); expected a UTF-8 YAML file",
        ) from None
    except OSError as error:
        raise YamlFileError(
            Location(display_name, 1, 1),
            f"cannot read file ({error.strerror}); expected a readable file",
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlFileError(_mark_location(display_name, mark), _syntax_message(error)) from None
    except yaml.reader.ReaderError as error:
        # A control character: PyYAML gives a character offset; editors want line and column.
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise YamlFileError(
            Location(display_name, line, column),
            f"control character #x{_code(error.character):04x} is not allowed in YAML; "
            "expected printable text (remove the character)",
        ) from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())  # one line, whatever the library wrote
        raise YamlFileError(
            Location(display_name, 1, 1), f"YAML error: {reason}; expected valid YAML"
        ) from None
    if node is None:
        raise YamlFileError(
            Location(display_name, 1, 1), "file is empty; expected a YAML mapping of settings"
        )
    builder = _Builder(display_name)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as error:
        raise YamlFileError(
            _mark_location(display_name, error.problem_mark),
            f"{error.problem}; expected plain YAML values",
        ) from None
    if not isinstance(data, dict):
        raise YamlFileError(
            _mark_location(display_name, node.start_mark),
            f"the file holds a {type(data).__name__}; expected a mapping of keys",
        )
    return Document(path=path, display_name=display_name, data=data, source=builder.source,
                    sha256=hashlib.sha256(raw).hexdigest())
