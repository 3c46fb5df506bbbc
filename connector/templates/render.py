"""Render a named template into a subject, a text body and an optional HTML body, sandboxed."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connector.errors import SkippableError
from connector.templates.files import TemplateFiles, TemplateProblem

# Admin-edited files: a runaway one is refused rather than rendered.
MAX_TEMPLATE_CHARS = 64_000
MAX_SUBJECT_CHARS = 150


@dataclass(frozen=True)
class Rendered:
    """A message's content; headers are set in code, never by a template."""

    subject: str
    text: str
    html: str | None


class TemplateSecurityError(SkippableError):
    """The sandbox blocked a template (an attribute or call it does not allow): fail closed."""


# Immutable: a template cannot even mutate the lists and dicts it is given (append, update),
# on top of the sandbox's ban on underscore attributes, `str.format` and unsafe callables.
_TEXT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                      keep_trailing_newline=True)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True,
                                      keep_trailing_newline=True)


@functools.lru_cache(maxsize=64)
def _compiled(source: str, html: bool) -> Template:
    return (_HTML if html else _TEXT).from_string(source)


def _source(path: Path) -> str:
    source = path.read_text(encoding="utf-8")
    if len(source) > MAX_TEMPLATE_CHARS:
        raise SkippableError(f"template {path.name} is over {MAX_TEMPLATE_CHARS} characters")
    return source.replace("\r\n", "\n")


def _text_parts(source: str) -> tuple[Template, Template]:
    """The Subject line and the body, compiled apart: a value with a line break in the subject
    stays in the subject (as one line) instead of spilling into the body. The body keeps a
    leading newline so Jinja's line numbers stay those of the file."""
    first, _, rest = source.partition("\n")
    return _compiled(first, False), _compiled("\n" + rest, False)


def render(files: TemplateFiles, variables: dict[str, Any]) -> Rendered:
    """Fill a template; a failure is a SkippableError naming the template and the cause, and a
    sandbox violation a TemplateSecurityError: either way nothing is sent."""
    try:
        subject_part, body_part = _text_parts(_source(files.text))
        first = subject_part.render(variables)
        body = body_part.render(variables)
        html = _compiled(_source(files.html), True).render(variables) if files.html else None
    except SecurityError as error:
        raise TemplateSecurityError(
            f"template {files.name}: blocked by the sandbox, not sent: {error}") from None
    except TemplateError as error:
        raise SkippableError(f"template {files.name}: {type(error).__name__}: {error}") from None
    # Never a second header line: whitespace runs (CR, LF, tabs) collapse to one space.
    subject = " ".join(first.removeprefix("Subject:").split())
    return Rendered(subject=subject, text=body.lstrip("\n"), html=html)


def subject_with_tag(subject: str, tag: str) -> str:
    """Make sure the subject carries the ticket's tag (`[HELP-12]`: replies thread on it) and
    is not overlong."""
    if tag not in subject:
        subject = f"{tag} {subject}".strip()
    if len(subject) <= MAX_SUBJECT_CHARS:
        return subject
    if subject.startswith(tag):  # cut the end, keep the tag
        return subject[: MAX_SUBJECT_CHARS - 3].rstrip() + "..."
    return f"{tag} {subject.replace(tag, '').strip()}"[: MAX_SUBJECT_CHARS - 3].rstrip() + "..."


def _template_line(traceback: TracebackType | None) -> int:
    """The template line a render error happened on (Jinja maps its frames to template lines)."""
    line = 1
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def trial_render(files: TemplateFiles, contexts: Sequence[dict[str, Any]]) -> list[TemplateProblem]:
    """Compile each part in the environment that sends it, then render it with sample
    variables: an unknown filter or test, a misspelt variable or a blocked attribute is a
    `validate` problem with its file and line, not a message skipped at send time."""
    problems: list[TemplateProblem] = []
    for path, html in ((files.text, False), (files.html, True)):
        if path is None:
            continue
        try:
            source = _source(path)
        except (OSError, UnicodeDecodeError, SkippableError):
            continue  # reported by the syntax check, which reads the file first
        unknown = unknown_names(path, source, html=html)
        if unknown:
            problems += unknown
            continue
        try:
            parts = [_compiled(source, True)] if html else list(_text_parts(source))
        except TemplateError as error:
            problems.append(TemplateProblem(path, getattr(error, "lineno", None) or 1,
                                            f"template error: {error}; expected valid Jinja2"))
            continue
        problem = _first_problem(path, parts, contexts)
        if problem is not None:
            problems.append(problem)
    return problems


def unknown_names(path: Path, source: str, *, html: bool) -> list[TemplateProblem]:
    """Filters and tests the sending environment does not have, wherever they are used.

    Jinja compiles an unknown filter inside `{% if %}` into a runtime error, so a branch the
    sample variables do not take would pass a trial render and fail at send time; the parse
    tree shows every use."""
    environment = _HTML if html else _TEXT
    try:
        tree = environment.parse(source)
    except TemplateError:
        return []  # a syntax error: reported by the syntax check already
    problems = []
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = (("filter", environment.filters) if isinstance(node, nodes.Filter)
                       else ("test", environment.tests))
        if node.name in known:
            continue
        close = difflib.get_close_matches(node.name, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(TemplateProblem(
            path, node.lineno, f"unknown {kind} {node.name!r}{hint}; expected one of Jinja's "
            f"built-in {kind}s (https://jinja.palletsprojects.com/templates/#builtin-{kind}s)"))
    return problems


def _first_problem(path: Path, parts: Sequence[Template],
                   contexts: Sequence[dict[str, Any]]) -> TemplateProblem | None:
    for context in contexts:
        for part in parts:
            try:
                part.render(context)
            except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
                return TemplateProblem(
                    path, _template_line(error.__traceback__),
                    f"{_kind(error)}: {str(error).rstrip('.')}; expected only the "
                    "documented variables (README, Templates)")
    return None


def _kind(error: BaseException) -> str:
    if isinstance(error, SecurityError):
        return "blocked by the sandbox"
    if isinstance(error, UndefinedError):
        return "undefined variable"
    return "template error" if isinstance(error, TemplateError) else "cannot render"
