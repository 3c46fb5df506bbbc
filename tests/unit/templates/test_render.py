"""Templates render in an immutable sandbox with strict variables; escapes fail closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import SkippableError
from connector.templates.files import TemplateFiles
from connector.templates.render import TemplateSecurityError, render, subject_with_tag, trial_render
from connector.templates.variables import SAMPLE_CONTEXTS, sample_variables


def _files(tmp_path: Path, text: str, html: str | None = None) -> TemplateFiles:
    (tmp_path / "t.txt.j2").write_text(text)
    if html is not None:
        (tmp_path / "t.html.j2").write_text(html)
    return TemplateFiles("t", tmp_path / "t.txt.j2",
                         tmp_path / "t.html.j2" if html is not None else None)


def test_subject_text_and_html_parts(tmp_path: Path) -> None:
    """The first line is the subject; the text part is not escaped, the HTML part is."""
    variables = sample_variables(escalated=False)
    variables["ticket"]["summary"] = "Export <script>alert(1)</script> & more"
    files = _files(tmp_path, "Subject: [{{ ticket.key }}] {{ ticket.summary }}\n\n"
                   "Hi {{ customer.name }}: {{ ticket.summary }}\n",
                   "<p>{{ ticket.summary }}</p>")
    rendered = render(files, variables)
    assert rendered.subject == "[HELP-123] Export <script>alert(1)</script> & more"
    assert rendered.text == "Hi Pat Doe: Export <script>alert(1)</script> & more\n"
    assert rendered.html == "<p>Export &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>"


def test_a_line_break_in_a_value_cannot_leave_the_subject(tmp_path: Path) -> None:
    """A summary carrying CR/LF (a header injection attempt) stays on the one subject line."""
    variables = sample_variables(escalated=False)
    variables["ticket"]["summary"] = "Hi\r\nBcc: victim@example.org\n\tX-Evil: 1"
    rendered = render(_files(tmp_path, "Subject: {{ ticket.summary }}\n\nbody\n"), variables)
    assert rendered.subject == "Hi Bcc: victim@example.org X-Evil: 1"
    assert rendered.text == "body\n"


def test_a_misspelt_variable_is_skippable_not_a_crash(tmp_path: Path) -> None:
    """StrictUndefined: `{{ tickt.key }}` raises, naming the template and the variable."""
    with pytest.raises(SkippableError, match="template t: UndefinedError: 'tickt' is undefined"):
        render(_files(tmp_path, "Subject: {{ tickt.key }}\n\nx\n"), SAMPLE_CONTEXTS[0])


ESCAPES = [
    "{{ ticket.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ticket|attr('__class__') }}",
    "{{ 'a{0.__class__}'.format(ticket) }}",
    "{{ ('{0.__class__}'|attr('format'))(ticket) }}",
    "{{ customer.update({'email': 'evil@example.org'}) }}",
    "{{ ticket.items.__self__ }}",
    "{{ cycler.__init__.__globals__ }}",
]


@pytest.mark.parametrize("attempt", ESCAPES)
def test_sandbox_escapes_fail_closed(tmp_path: Path, attempt: str) -> None:
    """Known escape routes (`__class__`, `|attr`, `str.format`, mutation) raise
    TemplateSecurityError (or an undefined error): the message is never rendered."""
    files = _files(tmp_path, f"Subject: x\n\n{attempt}\n")
    with pytest.raises(SkippableError) as raised:
        render(files, sample_variables(escalated=True))
    assert isinstance(raised.value, TemplateSecurityError) or "undefined" in str(raised.value)


def test_the_sandbox_violation_says_not_sent(tmp_path: Path) -> None:
    """The reason recorded for a blocked template says it was blocked and not sent."""
    with pytest.raises(TemplateSecurityError, match="blocked by the sandbox, not sent"):
        render(_files(tmp_path, "Subject: x\n\n{{ ticket.__class__ }}\n"), SAMPLE_CONTEXTS[0])


def test_subject_always_carries_the_key_and_stays_short() -> None:
    """A subject without `[KEY]` gets it; an overlong one is cut, keeping the tag."""
    assert subject_with_tag("Your request", "[HELP-7]") == "[HELP-7] Your request"
    assert subject_with_tag("[HELP-7] Done", "[HELP-7]") == "[HELP-7] Done"
    long = subject_with_tag("x" * 400, "[HELP-7]")
    assert long.startswith("[HELP-7] ") and len(long) == 150 and long.endswith("...")


def test_trial_render_points_at_file_and_line(tmp_path: Path) -> None:
    """`validate`'s render check names the line of a misspelt variable, in either sample
    (here only reached when there is an escalation)."""
    files = _files(tmp_path, "Subject: x\n\nHello\n{% if escalation %}\n"
                   "{{ escalation.tier_nmae }}\n{% endif %}\n")
    (problem,) = trial_render(files, SAMPLE_CONTEXTS)
    assert problem.file == files.text and problem.line == 5
    assert "tier_nmae" in problem.message


def test_shipped_templates_render_with_both_samples() -> None:
    """Every shipped template renders with the documented sample variables."""
    root = Path(__file__).resolve().parents[3] / "rules" / "templates"
    for text in sorted(root.glob("*.txt.j2")):
        name = text.name.removesuffix(".txt.j2")
        html = root / f"{name}.html.j2"
        files = TemplateFiles(name, text, html if html.exists() else None)
        assert trial_render(files, SAMPLE_CONTEXTS) == [], name
