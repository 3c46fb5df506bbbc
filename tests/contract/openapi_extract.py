"""The part of Atlassian's OpenAPI document the sandbox contract tests use, kept in the repository.

The full document (2.4 MB) lives beside the repository in ../shared/reference; CI clones do not
have it. This extract holds the responses of the operations below and every schema they
reference, verbatim. Regenerate after changing OPERATIONS or the document:

    .venv/bin/python tests/contract/openapi_extract.py \
        ../shared/reference/jira-cloud-platform.openapi.json

test_sandbox_openapi.py checks that the extract still matches the document when it is present.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

EXTRACT = Path(__file__).with_name("jira-cloud-platform.extract.json")
# The full document lives beside the repository (../shared/reference), as the house style
# says; TICKETFLOW_JIRA_OPENAPI points elsewhere when needed.
FULL_DOCUMENT = Path(os.environ.get(
    "TICKETFLOW_JIRA_OPENAPI",
    Path(__file__).resolve().parents[3] / "shared" / "reference"
    / "jira-cloud-platform.openapi.json"))
A = "/rest/api/3"
I = f"{A}/issue/{{issueIdOrKey}}"  # noqa: E741 - short on purpose, used in a table
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", f"{A}/serverInfo"), ("get", f"{A}/myself"), ("get", f"{A}/user/search"),
    ("get", f"{A}/user"), ("get", f"{A}/project"), ("get", f"{A}/project/{{projectIdOrKey}}"),
    ("get", f"{A}/project/search"), ("get", f"{A}/project/{{projectIdOrKey}}/components"),
    ("get", f"{A}/project/{{projectIdOrKey}}/statuses"), ("get", f"{A}/field"),
    ("get", f"{A}/issuetype"), ("get", f"{A}/status"), ("get", f"{A}/status/{{idOrName}}"),
    ("get", f"{A}/resolution"), ("get", f"{A}/issueLinkType"), ("get", f"{A}/statuses/search"),
    ("get", f"{A}/statuses"), ("post", f"{A}/statuses"), ("get", f"{A}/workflows/search"),
    ("post", f"{A}/workflows/create"), ("post", f"{A}/workflows"),
    ("get", f"{A}/workflowscheme"), ("post", f"{A}/workflowscheme"),
    ("get", f"{A}/workflowscheme/{{id}}"), ("get", f"{A}/workflowscheme/project"),
    ("put", f"{A}/workflowscheme/project"), ("post", f"{A}/workflowscheme/project/switch"),
    ("get", f"{A}/task/{{taskId}}"), ("post", f"{A}/issue"), ("get", I), ("put", I),
    ("get", f"{I}/transitions"), ("post", f"{I}/transitions"), ("put", f"{I}/assignee"),
    ("get", f"{I}/comment"), ("post", f"{I}/comment"), ("get", f"{I}/comment/{{id}}"),
    ("post", f"{I}/attachments"), ("get", f"{A}/attachment/{{id}}"), ("post", f"{I}/notify"),
    ("get", f"{I}/properties"), ("get", f"{I}/properties/{{propertyKey}}"),
    ("put", f"{I}/properties/{{propertyKey}}"), ("get", f"{I}/changelog"),
    ("post", f"{A}/issueLink"), ("post", f"{A}/component"), ("get", f"{A}/search/jql"),
    ("post", f"{A}/search/jql"), ("post", f"{A}/search/approximate-count"),
    ("post", f"{A}/changelog/bulkfetch"), ("get", f"{A}/user/assignable/search"),
    ("get", f"{A}/project/{{projectIdOrKey}}/properties"),
    ("get", f"{A}/project/{{projectIdOrKey}}/properties/{{propertyKey}}"),
    ("put", f"{A}/project/{{projectIdOrKey}}/properties/{{propertyKey}}"),
    ("delete", f"{A}/project/{{projectIdOrKey}}/properties/{{propertyKey}}"),
    ("get", f"{A}/comment/{{commentId}}/properties"),
    ("get", f"{A}/comment/{{commentId}}/properties/{{propertyKey}}"),
    ("put", f"{A}/comment/{{commentId}}/properties/{{propertyKey}}"),
    ("delete", f"{A}/comment/{{commentId}}/properties/{{propertyKey}}"),
)
_PREFIX = "#/components/schemas/"


def extract(spec: dict[str, Any],
            operations: tuple[tuple[str, str], ...] = OPERATIONS) -> dict[str, Any]:
    """The operations' responses and, transitively, every component schema they reference."""
    paths: dict[str, Any] = {}
    for method, path in operations:
        responses = spec["paths"][path][method]["responses"]
        paths.setdefault(path, {})[method] = {"responses": responses}
    schemas: dict[str, Any] = {}
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name not in schemas:
            schemas[name] = spec["components"]["schemas"][name]
            pending |= _refs(schemas[name]) - set(schemas)
    return {"openapi": spec["openapi"], "info": spec["info"], "paths": paths,
            "components": {"schemas": dict(sorted(schemas.items()))}}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_PREFIX):
            found.add(ref.removeprefix(_PREFIX))
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    EXTRACT.write_text(json.dumps(extract(spec), indent=1, sort_keys=True) + "\n",
                       encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
