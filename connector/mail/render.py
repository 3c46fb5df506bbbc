"""Render a named template into a subject, a text body and an optional HTML body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from connector.config.templates import TemplateFiles
from connector.errors import SkippableError


@dataclass(frozen=True)
class Rendered:
    """A message's content; headers are set in code, never by a template."""

    subject: str
    text: str
    html: str | None


_TEXT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                             keep_trailing_newline=True)
_HTML = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True,
                             keep_trailing_newline=True)


def render(files: TemplateFiles, variables: dict[str, Any]) -> Rendered:
    """Fill a template; a failure is a SkippableError naming the template and the cause."""
    try:
        source = files.text.read_text(encoding="utf-8")
        output = _TEXT.from_string(source).render(variables)
        html = (_HTML.from_string(files.html.read_text(encoding="utf-8")).render(variables)
                if files.html else None)
    except TemplateError as error:
        raise SkippableError(f"template {files.name}: {type(error).__name__}: {error}") from None
    first, _, body = output.partition("\n")
    subject = first.removeprefix("Subject:").strip()
    # A value with a line break must never become a second header line.
    subject = " ".join(subject.split())
    return Rendered(subject=subject, text=body.lstrip("\n"), html=html)
