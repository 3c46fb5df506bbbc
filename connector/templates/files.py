"""Message templates on disk: where a template name's files are and whether they parse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path("rules") / "templates"
TEXT_SUFFIX = ".txt.j2"
HTML_SUFFIX = ".html.j2"


@dataclass(frozen=True)
class TemplateFiles:
    """The files of one named template: a text part (with a Subject line) and maybe HTML."""

    name: str
    text: Path
    html: Path | None


@dataclass(frozen=True)
class TemplateProblem:
    """Something wrong in a template file, with its 1-based line."""

    file: Path
    line: int
    message: str


def available(config_dir: Path) -> dict[str, TemplateFiles]:
    """Every template in `rules/templates/`, by name."""
    folder = config_dir / TEMPLATE_DIR
    found: dict[str, TemplateFiles] = {}
    for text in sorted(folder.glob(f"*{TEXT_SUFFIX}")):
        name = text.name.removesuffix(TEXT_SUFFIX)
        html = text.with_name(name + HTML_SUFFIX)
        found[name] = TemplateFiles(name, text, html if html.exists() else None)
    return found


def check(files: TemplateFiles) -> list[TemplateProblem]:
    """Syntax problems in a template's files; the text part must open with `Subject:`."""
    problems: list[TemplateProblem] = []
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    for path in (files.text, files.html):
        if path is None:
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return [TemplateProblem(path, 1, f"cannot read the template ({_reason(error)}); "
                                    "expected a readable UTF-8 file")]
        try:
            environment.parse(source)
        except TemplateSyntaxError as error:
            reason = str(error.message).rstrip(".")
            problems.append(
                TemplateProblem(
                    path, error.lineno, f"template syntax error: {reason}; expected valid Jinja2"
                )
            )
    first_line = files.text.read_text(encoding="utf-8").split("\n", 1)[0]  # read just above
    if not first_line.startswith("Subject:"):
        problems.append(
            TemplateProblem(
                files.text,
                1,
                "the first line is not a Subject line; "
                'expected "Subject: ..." then a blank line and the body',
            )
        )
    return problems


def _reason(error: OSError | UnicodeDecodeError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8: {error.reason}"
    return error.strerror or type(error).__name__
