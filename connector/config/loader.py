"""Load `rules.yaml` (with its includes), `mappings.yaml` and templates; report every problem."""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from connector import __version__
from connector.config import checks
from connector.config.digest import combine, config_digest, file_sha256
from connector.config.mappings import MappingsFile, flat_layout, missing_section
from connector.config.problems import Problem, display_path, problem_at, validation_problems
from connector.config.rules import IncludedRules, RulesFile
from connector.config.source import Document, Location, YamlFileError, load_document
from connector.errors import ConfigError
from connector.templates.files import TemplateFiles, available

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

RULES_FILE = "rules.yaml"
MAPPINGS_FILE = "mappings.yaml"


@dataclass(frozen=True)
class Config:
    """The validated configuration: what every other part of ticketflow reads."""

    rules: RulesFile
    mappings: MappingsFile
    templates: dict[str, TemplateFiles]
    config_dir: Path
    files: tuple[Path, ...]
    # Located lines about what still works but should change (the flat mappings.yaml).
    warnings: tuple[str, ...] = ()
    # SHA-256 of every file it was read from, by name and content (connector.config.digest):
    # the one hash of "this configuration" that run, /metrics and derived state key by.
    digest: str = ""
    # SHA-256 of each YAML file (rules.yaml, its includes, mappings.yaml) of exactly the bytes
    # the loader parsed, by path.
    yaml_shas: tuple[tuple[Path, str], ...] = ()

    def fingerprint(self) -> str:
        """A hash of rules.yaml, its includes and mappings.yaml (not the templates: neither the
        tracker check nor the planning of rules reads them), as files (an edit counts) and as
        loaded, and of ticketflow's version, whose checks and planning may change. The online
        check before acting and the due index of time rules both key on it."""
        return self._fingerprint

    @functools.cached_property
    def _fingerprint(self) -> str:
        # The loader's hashes of the bytes it parsed, not the files again: a file edited after
        # loading (under a running service) cannot give the fingerprint of something not
        # loaded. The models too, so a configuration built in code is told apart from the
        # files' one.
        digest = hashlib.sha256(__version__.encode() + b"\0")
        digest.update(combine(self.config_dir, dict(self.yaml_shas)).encode() + b"\0")
        digest.update(self.rules.model_dump_json().encode() + b"\0")
        digest.update(self.mappings.model_dump_json().encode())
        return digest.hexdigest()


def shipped_dir() -> Path:
    """The rules.yaml, mappings.yaml, rules/ and examples that ship inside the package (the demo's
    and `init`'s source, wherever ticketflow is installed)."""
    return Path(str(resources.files("connector") / "defaults"))


def mappings_document(config_dir: Path) -> Document:
    """mappings.yaml as the loader reads it (a flat file's names under `jira:`), for checks
    that point at its lines; YamlFileError when it cannot be read."""
    document = load_document(config_dir / MAPPINGS_FILE, MAPPINGS_FILE)
    flat_layout(document)
    return document


@dataclass(frozen=True)
class Attempt:
    """One reading of the configuration folder: the configuration, or every problem found
    (located, sorted); either way the YAML files read and the digest of what was read."""

    config: Config | None
    problems: list[str]
    files: tuple[Path, ...]
    digest: str


def read_config(config_dir: Path) -> Attempt:
    """Read and check every config file; problems are returned, not raised."""
    loader = _Loader(config_dir)
    config = loader.load()
    problems = [str(p) for p in sorted(set(loader.problems))]
    digest = config_digest(config_dir, loader.shas)
    if problems or config is None:
        return Attempt(None, problems, tuple(loader.shas), digest)
    config = replace(config, digest=digest)
    return Attempt(config, [], tuple(loader.shas), digest)


def load_config(config_dir: Path) -> Config:
    """Read and check every config file; raise ConfigError listing all problems at once."""
    attempt = read_config(config_dir)
    if attempt.config is None:
        raise ConfigError(attempt.problems)
    log.debug("configuration loaded", extra={"files": [str(f) for f in attempt.files]})
    return attempt.config


class _Loader:
    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.files: list[Path] = []
        self.shas: dict[Path, str] = {}  # every YAML file read, parsed or not

    def load(self) -> Config | None:
        rules_doc = self._read(RULES_FILE)
        mappings_doc = self._read(MAPPINGS_FILE)
        if rules_doc is not None:
            self._merge_includes(rules_doc)
        if mappings_doc is not None and (flat := flat_layout(mappings_doc)) is not None:
            self.warnings.append(flat)
        rules = self._validate(rules_doc, RulesFile)
        mappings = self._validate(mappings_doc, MappingsFile)
        templates = available(self.config_dir)
        if rules is None or mappings is None or rules_doc is None or mappings_doc is None:
            return None
        missing = missing_section(mappings, mappings_doc)
        if missing:  # every later check reads the section
            self.problems += missing
            return None
        self.problems += checks.cross_check(
            rules=rules,
            rules_doc=rules_doc,
            mappings=mappings,
            mappings_doc=mappings_doc,
            templates=templates,
            config_dir=self.config_dir,
        )
        return Config(
            rules=rules,
            mappings=mappings,
            templates=templates,
            config_dir=self.config_dir,
            files=tuple(self.files),
            warnings=tuple(str(w) for w in self.warnings),
            yaml_shas=tuple((path, self.shas[path]) for path in self.files),
        )

    def _read(
        self, name: str, *, named_at: tuple[Document, tuple[str | int, ...]] | None = None
    ) -> Document | None:
        path = self.config_dir / name
        if named_at is not None and not path.is_file():
            document, key_path = named_at
            self.problems.append(
                problem_at(
                    document,
                    key_path,
                    f"included file {name!r} not found; expected a file at {path}",
                )
            )
            self.shas[path] = "missing"  # its creation is a change to notice
            return None
        try:
            document = load_document(path, name)
        except YamlFileError as problem:
            where = "(file)" if problem.key_path is None else display_path(problem.key_path)
            self.problems.append(Problem(problem.location, where, problem.message))
            self.shas[path] = file_sha256(path)
            return None
        self.files.append(path)
        self.shas[path] = document.sha256
        return document

    def _validate(self, document: Document | None, model: type[M]) -> M | None:
        if document is None:
            return None
        try:
            return model.model_validate(document.data)
        except ValidationError as error:
            self.problems += validation_problems(document, error, model)
            return None

    def _merge_includes(self, root: Document) -> None:
        """Append the rules of every included file to the root's, keeping their positions."""
        for included in self._walk_includes(root, [root.path.resolve()], set()):
            if self._validate(included, IncludedRules) is None:
                continue  # its own problems are reported; merging would report them twice
            rules = root.data.setdefault("rules", [])
            if not isinstance(rules, list):
                return
            for index, rule in enumerate(included.data.get("rules") or []):
                root.source.graft(included.source, ("rules", index), ("rules", len(rules)))
                rules.append(rule)

    def _walk_includes(
        self, document: Document, chain: list[Path], seen: set[Path]
    ) -> list[Document]:
        found: list[Document] = []
        entries = document.data.get("include")
        if not isinstance(entries, list):
            return found
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue  # the model reports the wrong type
            try:
                path = (self.config_dir / entry).resolve()
                path.is_file()  # a name the OS cannot take (a NUL byte) fails here
            except (ValueError, OSError) as error:
                self.problems.append(problem_at(
                    document, ("include", index),
                    f"{entry!r} is not a usable path ({error}); expected a file path relative "
                    "to the config folder"))
                continue
            if path in chain:
                cycle = " -> ".join(self._display(p) for p in [*chain[chain.index(path) :], path])
                self.problems.append(
                    problem_at(
                        document,
                        ("include", index),
                        f"include cycle: {cycle}; expected each file to be included once, "
                        "without including itself",
                    )
                )
                continue
            if path in seen:
                continue
            seen.add(path)
            child = self._read(self._display(path), named_at=(document, ("include", index)))
            if child is not None:
                found.extend(self._walk_includes(child, [*chain, path], seen))
                found.append(child)
        return found

    def _display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.config_dir.resolve()))
        except ValueError:
            return str(path)


def file_problem(name: str, message: str) -> str:
    """A problem with a whole file (not found, unreadable), in the usual format."""
    return str(Problem(Location(name, 1, 1), "(file)", message))
