"""The package layers hold: the decision core and config import no adapters, no package cycles."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "connector"

# What each layer must never import (directly). The engine decides with plain values; config
# and templates are read before anything touches the network; domain is the shared vocabulary.
FORBIDDEN = {
    "domain": {"config", "engine", "state", "sync", "tracker", "actions", "mail", "app"},
    "engine": {"state", "sync", "tracker", "actions", "mail", "app", "web", "http"},
    "templates": {"config", "actions", "mail", "state", "sync", "tracker", "app"},
    "config": {"engine", "actions", "mail", "state", "sync", "tracker", "app", "web", "ruletest",
               "report"},
    "state": {"config", "engine", "sync", "tracker", "actions", "mail", "app"},
    "http": {"config", "engine", "state", "sync", "tracker", "actions", "mail", "app"},
}


def _imports() -> dict[str, set[str]]:
    """Top-level connector package (or module) -> the connector packages it imports."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        layer = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "connector" and len(bits) > 1 and bits[1] != layer:
                    edges[layer].add(bits[1])
    return edges


def test_layers_import_only_what_they_may() -> None:
    """The engine never reaches persistence or adapters; config and templates stay below the
    actions and mail that use them (a package cycle would make one depend on the other)."""
    edges = _imports()
    broken = {layer: sorted(edges[layer] & banned) for layer, banned in FORBIDDEN.items()
              if edges[layer] & banned}
    assert broken == {}


def test_no_cycle_between_config_templates_and_engine() -> None:
    """config -> templates and engine -> config are allowed; the reverse of either is not."""
    edges = _imports()
    assert "config" not in edges["templates"]
    assert "engine" not in edges["config"]
