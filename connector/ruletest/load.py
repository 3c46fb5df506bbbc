"""Find and read rule-test files; report every problem located, as `validate` does (exit 2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import InitErrorDetails

from connector.config import ruletests as m
from connector.config.checks import known_names, unknown_refs
from connector.config.loader import Config
from connector.config.problems import (
    Problem,
    display_path,
    problem_at,
    suggest,
    validation_problems,
)
from connector.config.refs import find_refs
from connector.config.source import Document, KeyPath, YamlFileError, load_document
from connector.errors import ConfigError, UsageError
from connector.ruletest.people import People, Role

DEFAULT_FOLDER = Path("rules") / "tests"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class TestSource:
    """One checked test file: where it is, how it is shown, its positions and its cases."""

    __test__ = False  # not a pytest class, whatever its name

    path: Path
    document: Document
    tests: m.TestFile

    @property
    def name(self) -> str:
        return self.document.display_name


def test_files(paths: Sequence[Path], config_dir: Path) -> list[tuple[Path, str]]:
    """The files to run: those given (a folder stands for its *.yaml files), else the config
    folder's rules/tests/. Each with the name it is shown by."""
    given = list(paths) or [config_dir / DEFAULT_FOLDER]
    found: list[tuple[Path, str]] = []
    for path in given:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            found += [(p, _shown(p, config_dir)) for p in inside]
        elif path.is_file():
            found.append((path, _shown(path, config_dir)))
        else:
            raise UsageError(f"{path}: no such file or folder; expected rule-test files "
                             f"(*.yaml) or a folder of them")
    if not found:
        raise UsageError(f"no rule tests in {', '.join(map(str, given))}; expected *.yaml "
                         "files of cases (README: Rule tests)")
    return found


def _shown(path: Path, config_dir: Path) -> str:
    """Relative to the config folder (as validate names rules.yaml), else as given."""
    try:
        return str(path.resolve().relative_to(config_dir.resolve()))
    except ValueError:
        return str(path)


def load_tests(files: Sequence[tuple[Path, str]], config: Config) -> list[TestSource]:
    """Read and check every file; raise ConfigError listing every problem of every file."""
    problems: list[Problem] = []
    sources = []
    for path, shown in files:
        try:
            document = load_document(path, shown)
        except YamlFileError as error:
            where = "(file)" if error.key_path is None else display_path(error.key_path)
            problems.append(Problem(error.location, where, error.message))
            continue
        try:
            tests = m.TestFile.model_validate(document.data)
        except ValidationError as error:
            problems += _validation_problems(document, error)
            continue
        found = _Checker(config, document).check(tests)
        problems += found
        sources.append(TestSource(path, document, tests))
    if problems:
        raise ConfigError([str(p) for p in sorted(set(problems))])
    return sources


def _validation_problems(document: Document, error: ValidationError) -> list[Problem]:
    """The model's errors, located. A step's union tag is its own key (`created`), so
    pydantic's locations repeat it (`steps[0].created.expect`); it is taken out first."""
    details = [InitErrorDetails(type=d["type"], loc=_untagged(d["loc"]), input=d["input"],
                                ctx=d.get("ctx", {})) for d in error.errors(include_url=False)]
    untagged = ValidationError.from_exception_data(error.title, details)
    return validation_problems(document, untagged, m.TestFile)


def _untagged(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    for at in range(len(loc) - 2):
        if loc[at] == "steps" and isinstance(loc[at + 1], int) and loc[at + 2] in m.STEP_TAGS:
            return (*loc[:at + 2], *loc[at + 3:])
    return loc


class _Checker:
    """What the schema cannot see: names of rules, tickets and people, and the timeline's
    order (a ticket is created before anything happens to it)."""

    def __init__(self, config: Config, document: Document) -> None:
        self.config = config
        self.document = document
        self.people = People(config)
        self.rules = [rule.name for rule in config.rules.rules]
        self.problems: list[Problem] = []

    def add(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        self.problems.append(problem_at(self.document, path, message, prefer_key=at_key))

    def check(self, tests: m.TestFile) -> list[Problem]:
        known = known_names(self.config.rules, self.config.mappings, self.config.templates)
        refs = [r for r in find_refs(tests, m.TestFile)
                if not (r.kind == "category" and r.name == "none")]
        self.problems += unknown_refs(refs, known, self.document)
        seen: dict[str, int] = {}
        for index, case in enumerate(tests.cases):
            path: KeyPath = ("cases", index)
            if case.name in seen:
                self.add((*path, "name"), f"a second case named {case.name!r} (first: "
                         f"cases[{seen[case.name]}]); expected each case's name once per file")
            seen.setdefault(case.name, index)
            if case.start is None and tests.start is None:
                self.add(path, "missing key 'start'; expected the case's clock start (or one "
                         'for the whole file), e.g. start: "Mon 2026-11-30 09:00"')
            self._case(case, path)
        return self.problems

    def _case(self, case: m.Case, path: KeyPath) -> None:
        for name, spec in case.tickets.items():
            if spec.assignee is not None:
                self._person((*path, "tickets", name, "assignee"), spec.assignee, "person")
        timeline = _Timeline(set(case.tickets))
        for index, step in enumerate(case.steps):
            self._step(step, (*path, "steps", index), timeline)
            for key in m.EXPECT_KEYS:
                expectation = getattr(step, key)
                if expectation is not None:
                    self._expectation(expectation, (*path, "steps", index, key), timeline,
                                      step=step)

    def _step(self, step: m._Step, path: KeyPath, timeline: _Timeline) -> None:
        if isinstance(step, m.Created):
            message = timeline.create(step.created)
            if message:
                self.add((*path, "created"), message)
        elif isinstance(step, m.StatusStep | m.AssignStep | m.CommentStep):
            spec = getattr(step, step.kind)
            self._ticket((*path, step.kind, "ticket"), spec.ticket, timeline)
            self._person((*path, step.kind, "by"), spec.by,
                         "author" if isinstance(step, m.CommentStep) else "actor")
            target = spec.to if isinstance(step, m.AssignStep) else getattr(spec, "assignee", None)
            if target is not None:
                self._person((*path, step.kind, "to" if isinstance(step, m.AssignStep)
                              else "assignee"), target,
                             "assignee" if isinstance(step, m.AssignStep) else "person")
        elif isinstance(step, m.MailStep):
            self._mail(step.mail, (*path, "mail"), timeline)

    def _mail(self, mail: m.MailSpec, path: KeyPath, timeline: _Timeline) -> None:
        if mail.in_reply_to is not None:
            self._ticket((*path, "in_reply_to"), mail.in_reply_to, timeline)
        if mail.bounce is not None and mail.in_reply_to is None:
            self.add((*path, "bounce"), "a bounce returns one of ticketflow's messages; "
                     "expected in_reply_to: the ticket whose message bounced")
        if mail.opens is not None:
            message = timeline.create(mail.opens, by_mail=True)
            if message:
                self.add((*path, "opens"), message)
        else:
            timeline.current = timeline.current or "(mail)"

    def _expectation(self, expectation: m.Expectation, path: KeyPath, timeline: _Timeline,
                     *, step: m._Step) -> None:
        self._ticket((*path, "ticket"), expectation.ticket, timeline, switch=False)
        negated = path[-1] == "expect_not"
        for index, action in enumerate(expectation.actions):
            if action.rule not in self.rules:
                self.add((*path, "actions", index, "rule"),
                         f"unknown rule {action.rule!r}{suggest(action.rule, self.rules)}; "
                         f"expected a rule of rules.yaml: {', '.join(self.rules)}")
            if negated and action.count is not None:
                self.add((*path, "actions", index, "count"), "a count under expect_not; "
                         "expected it under expect (expect_not means none at all)")
        for index, message in enumerate(expectation.messages):
            if message.to is not None:
                self._person((*path, "messages", index, "to"), message.to, "recipient")
            if negated and message.count is not None:
                self.add((*path, "messages", index, "count"), "a count under expect_not; "
                         "expected it under expect (expect_not means none at all)")
        if expectation.assignee is not None:
            self._person((*path, "assignee"), expectation.assignee, "assignee")
        if expectation.mail is not None and not isinstance(step, m.MailStep):
            self.add((*path, "mail"), "`mail:` says how the step's mail ended; expected it "
                     "only on a mail step")

    def _ticket(self, path: KeyPath, name: str | None, timeline: _Timeline, *,
                switch: bool = True) -> None:
        message = timeline.refer(name, switch=switch)
        if message:
            self.add(path, message)

    def _person(self, path: KeyPath, name: str, role: Role) -> None:
        message = self.people.check(name, role)
        if message:
            self.add(path, message)


class _Timeline:
    """Which tickets exist at each step, to refuse a step on a ticket not created yet."""

    def __init__(self, declared: set[str]) -> None:
        self.declared = declared
        self.created: set[str] = set()
        self.current: str | None = None

    def create(self, name: str, *, by_mail: bool = False) -> str:
        if name in self.created:
            return f"ticket {name!r} is created twice; expected each ticket created once"
        if by_mail and name in self.declared:
            return (f"ticket {name!r} is declared under tickets:, and a mail opens its own "
                    "ticket; expected a new name for the ticket the mail opens")
        if not by_mail and name not in self.declared:
            return (f"unknown ticket {name!r}{suggest(name, self.declared)}; expected one "
                    f"of the case's tickets: {', '.join(sorted(self.declared)) or 'none'}")
        self.created.add(name)
        self.current = name
        return ""

    def refer(self, name: str | None, *, switch: bool = True) -> str:
        """Why the step cannot name this ticket (or, unnamed, the current one); a step's
        ticket becomes the current one, an expectation's does not."""
        if name is None:
            return "" if self.current else ("no ticket yet; expected a `created:` step (or a "
                                            "mail) before this one")
        if name in self.created:
            self.current = name if switch else self.current
            return ""
        if name in self.declared:
            return (f"ticket {name!r} is not created yet; expected a `created: {name}` step "
                    "before this one")
        known = self.declared | self.created
        return (f"unknown ticket {name!r}{suggest(name, known)}; expected one of the case's "
                f"tickets: {', '.join(sorted(known)) or 'none'}")
