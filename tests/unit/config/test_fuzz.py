"""Fuzzing the configuration loader: whatever the files hold, the result is a config or a
ConfigError whose every problem names a file, line and column; nothing else escapes."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.config.loader import load_config
from connector.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
RULES = (ROOT / "rules.yaml").read_text()
MAPPINGS = (ROOT / "mappings.yaml").read_text()
LOCATED = re.compile(r"^[^\s:][^:]*:\d+:\d+: \S.*; ")

yaml_bits = st.sampled_from([
    "\t", ":", "- ", "{", "}", "[", "]", "'", '"', "#", "&a", "*a", "<<: *a", "!!python/object",
    "on", "yes", "null", "~", "2026-13-45", "4 hrs", "1e9", "-1", "\n  ", "\n", "\uff1f", "\x00",
    "business", "tier_limit", "(?i)(", "status", "include: [rules.yaml]", "include: [../x]",
])


def _mutate(text: str, draw_positions: list[int], inserts: list[str], cuts: list[int]) -> str:
    for position, insert in zip(draw_positions, inserts, strict=False):
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at:]
    for cut in cuts:
        at = cut % (len(text) + 1)
        text = text[:at] + text[at + 7:]
    return text


def _check(rules: str, mappings: str, extra: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        shutil.copytree(ROOT / "rules", target / "rules")
        (target / "rules.yaml").write_text(rules, encoding="utf-8", errors="surrogatepass")
        (target / "mappings.yaml").write_text(mappings, encoding="utf-8")
        if extra is not None:
            (target / "rules" / "escalation.yaml").write_text(extra, encoding="utf-8")
        problems = _problems(target)
        for problem in problems:
            assert LOCATED.match(problem), problem


def _problems(folder: Path) -> list[str]:
    """The loader's problems for a folder (none when it loads); any other exception escapes."""
    try:
        load_config(folder)
    except ConfigError as error:
        return error.problems or ["(a ConfigError without problems)"]
    return []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions=st.lists(st.integers(0, 10_000), max_size=6),
       inserts=st.lists(yaml_bits, max_size=6), cuts=st.lists(st.integers(0, 10_000), max_size=3),
       which=st.sampled_from(["rules", "mappings", "include"]))
def test_mutated_shipped_files_fail_only_with_located_errors(
        positions: list[int], inserts: list[str], cuts: list[int], which: str) -> None:
    """Characters inserted and spans cut anywhere in the shipped files: located errors only."""
    if which == "rules":
        _check(_mutate(RULES, positions, inserts, cuts), MAPPINGS)
    elif which == "mappings":
        _check(RULES, _mutate(MAPPINGS, positions, inserts, cuts))
    else:
        escalation = (ROOT / "rules" / "escalation.yaml").read_text()
        _check(RULES, MAPPINGS, _mutate(escalation, positions, inserts, cuts))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_fails_only_with_located_errors(text: str) -> None:
    """Any text at all as rules.yaml: a config or located errors, never another exception."""
    _check(text.replace("\x00", ""), MAPPINGS)


@settings(max_examples=100, deadline=None)
@given(data=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["rules", "calendar", "tiers", "on", "if", "then", "name",
                                       "status", "notify", "to", "template", "workflow",
                                       "statuses", "include", "escalate", "over"]),
                      children, max_size=4), max_leaves=25))
def test_structured_nonsense_fails_only_with_located_errors(data: object) -> None:
    """Well-formed YAML of the wrong shape: every problem is located."""
    import yaml

    _check(yaml.safe_dump(data, allow_unicode=True), MAPPINGS)
