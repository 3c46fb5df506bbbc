"""Statuses, workflows and workflow schemes: creating them and moving a project between schemes."""

from __future__ import annotations

import uuid
from typing import Any

from connector.sandbox.jira.errors import ApiError, bad_request
from connector.sandbox.jira.fieldvalues import status_item
from connector.sandbox.jira.model import CATEGORIES, Status, Transition, Workflow, WorkflowScheme
from connector.sandbox.jira.store import Store


def create_statuses(store: Store, payload: Any) -> list[Status]:
    """`POST /statuses`: new global statuses; names must be unused (case-insensitive)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statuses"), list):
        raise bad_request("The request must contain 'scope' and a list of 'statuses'.")
    return [_new_status(store, spec) for spec in _validated_specs(store, payload["statuses"])]


def _validated_specs(store: Store, specs: list[Any]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for spec in specs:
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise bad_request("Every status needs a name.")
        if spec.get("statusCategory") not in CATEGORIES:
            raise bad_request(f"Status '{name}' needs a statusCategory of TODO, IN_PROGRESS "
                              "or DONE.")
        if store.status_by_name(name) is not None or name.lower() in seen:
            raise bad_request(f"A status with the name '{name}' already exists.")
        seen.add(name.lower())
    return specs


def _new_status(store: Store, spec: dict[str, Any]) -> Status:
    status = Status(str(store.next_id("status")), spec["name"], spec["statusCategory"],
                    str(spec.get("description") or ""))
    store.statuses[status.id] = status
    return status


def create_workflows(store: Store, payload: Any) -> tuple[list[Status], list[Workflow]]:
    """`POST /workflows/create`: statuses (by client reference) and workflows in one go."""
    if not isinstance(payload, dict) or not isinstance(payload.get("workflows"), list):
        raise bad_request("The request must contain a list of 'workflows'.")
    refs, new_specs = _status_references(store, payload.get("statuses") or [])
    specs = payload["workflows"]
    names = [w.get("name") if isinstance(w, dict) else None for w in specs]
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise bad_request("Every workflow needs a name.")
        if name in store.workflows or names.count(name) > 1:
            raise bad_request(f"A workflow with the name '{name}' already exists.")
    # Validate everything before creating anything, so a 400 leaves no half-made workflow.
    pending = [(spec, *_workflow_shape(spec, refs)) for spec in specs]
    for ref, spec in new_specs:
        refs[ref] = _new_status(store, spec).id
    now = store.now_ms()
    created: list[Workflow] = []
    for spec, status_refs, transitions in pending:
        workflow = Workflow(
            id=str(uuid.uuid4()), name=spec["name"], description=str(spec.get("description", "")),
            statuses=[refs[r] for r in status_refs],
            transitions=[_resolve(t, refs) for t in transitions], created=now, updated=now,
            layouts={refs[s["statusReference"]]: s.get("layout") or {"x": 0.0, "y": 0.0}
                     for s in spec["statuses"]},
            version_id=str(uuid.uuid4()))
        store.workflows[workflow.name] = workflow
        created.append(workflow)
    used = dict.fromkeys(sid for workflow in created for sid in workflow.statuses)
    return [store.statuses[sid] for sid in used], created


def _status_references(store: Store, specs: list[Any]
                       ) -> tuple[dict[str, str], list[tuple[str, dict[str, Any]]]]:
    """Map each client statusReference to an existing status id, or note it as a new status."""
    refs: dict[str, str] = {sid: sid for sid in store.statuses}
    new: list[tuple[str, dict[str, Any]]] = []
    for spec in specs:
        ref = spec.get("statusReference") if isinstance(spec, dict) else None
        if not isinstance(ref, str):
            raise bad_request("Every status needs a statusReference.")
        if spec.get("id") is not None:
            if str(spec["id"]) not in store.statuses:
                raise bad_request(f"The status with id '{spec['id']}' does not exist.")
            refs[ref] = str(spec["id"])
        else:
            new.append((ref, spec))
    _validated_specs(store, [spec for _, spec in new])
    for ref, _ in new:
        refs[ref] = ref  # placeholder until the status is created
    return refs, new


def _workflow_shape(spec: dict[str, Any], refs: dict[str, str]
                    ) -> tuple[list[str], list[dict[str, Any]]]:
    statuses = [str(s.get("statusReference")) for s in spec.get("statuses") or []
                if isinstance(s, dict)]
    if not statuses or any(r not in refs for r in statuses):
        raise bad_request(f"Workflow '{spec['name']}' refers to an unknown statusReference.")
    transitions = spec.get("transitions")
    if not isinstance(transitions, list):
        raise bad_request(f"Workflow '{spec['name']}' needs a list of transitions.")
    if sum(1 for t in transitions if isinstance(t, dict) and t.get("type") == "INITIAL") != 1:
        raise bad_request(f"Workflow '{spec['name']}' must have exactly one INITIAL transition.")
    numbered: list[dict[str, Any]] = []
    for index, transition in enumerate(transitions, start=1):
        if not isinstance(transition, dict) or transition.get("type") not in (
                "INITIAL", "GLOBAL", "DIRECTED"):
            raise bad_request("Each transition needs a type of INITIAL, GLOBAL or DIRECTED.")
        froms = [link.get("fromStatusReference") for link in transition.get("links") or []
                 if isinstance(link, dict) and link.get("fromStatusReference") is not None]
        if transition.get("toStatusReference") not in statuses or any(
                f not in statuses for f in froms):
            raise bad_request(f"Transition '{transition.get('name')}' of workflow "
                              f"'{spec['name']}' links a status that is not in the workflow.")
        default_id = "1" if transition["type"] == "INITIAL" else str(index * 10 + 1)
        numbered.append({**transition, "id": str(transition.get("id") or default_id),
                         "froms": froms})
    return statuses, numbered


def _resolve(spec: dict[str, Any], refs: dict[str, str]) -> Transition:
    return Transition(spec["id"], str(spec.get("name") or ""), spec["type"],
                      refs[spec["toStatusReference"]], tuple(refs[f] for f in spec["froms"]),
                      str(spec.get("description") or ""))


def create_scheme(store: Store, payload: Any, default_workflow: str) -> WorkflowScheme:
    """`POST /workflowscheme`: a scheme whose workflows must already exist."""
    if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
        raise bad_request("A workflow scheme needs a name.")
    if any(s.name == payload["name"] for s in store.schemes.values()):
        raise bad_request(f"A workflow scheme with the name '{payload['name']}' already exists.")
    scheme = WorkflowScheme(store.next_id("scheme"), payload["name"],
                            str(payload.get("description") or ""), default_workflow)
    apply_scheme_fields(store, scheme, payload)
    store.schemes[scheme.id] = scheme
    return scheme


def apply_scheme_fields(store: Store, scheme: WorkflowScheme, payload: dict[str, Any]) -> None:
    default = payload.get("defaultWorkflow", scheme.default_workflow)
    mappings = payload.get("issueTypeMappings", scheme.mappings) or {}
    if not isinstance(mappings, dict):
        raise bad_request("issueTypeMappings must map issue type ids to workflow names.")
    for name in [default, *mappings.values()]:
        if name not in store.workflows:
            raise bad_request(f"The workflow '{name}' does not exist.")
    scheme.default_workflow = str(default)
    scheme.mappings = {str(k): str(v) for k, v in mappings.items()}
    scheme.name = str(payload.get("name", scheme.name))
    scheme.description = str(payload.get("description", scheme.description) or "")


def scheme_in_use(store: Store, scheme_id: int) -> bool:
    """A scheme used by a project that has issues (Jira edits those only through drafts)."""
    return any(p.scheme_id == scheme_id and store.by_project.get(p.id)
               for p in store.projects.values())


def assign_scheme(store: Store, payload: Any) -> None:
    """`PUT /workflowscheme/project`: only while the project has no issues, as on Cloud."""
    if not isinstance(payload, dict) or payload.get("projectId") is None:
        raise bad_request("projectId is required.")
    project = store.project(str(payload["projectId"]))
    scheme_id = payload.get("workflowSchemeId")
    if scheme_id is None or not str(scheme_id).isdigit() or int(scheme_id) not in store.schemes:
        raise ApiError(404, ["The workflow scheme was not found."])
    if store.by_project.get(project.id):
        raise bad_request(f"The workflow scheme cannot be assigned to project '{project.key}' "
                          "because it has issues. Use the workflow scheme switch "
                          "(POST /rest/api/3/workflowscheme/project/switch) instead.")
    project.scheme_id = int(scheme_id)


def switch_scheme(store: Store, payload: Any) -> int:
    """`POST /workflowscheme/project/switch`, done at once: issues move by the status mappings.

    Returns how many issues changed status.
    """
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object.")
    project = store.project(str(payload.get("projectId")))
    target = str(payload.get("targetSchemeId"))
    if not target.isdigit() or int(target) not in store.schemes:
        raise ApiError(404, ["The workflow scheme was not found."])
    scheme = store.schemes[int(target)]
    overrides = _mappings(payload.get("mappingsByIssueTypeOverride") or [])
    moves: list[tuple[int, str]] = []
    missing: set[str] = set()
    for issue_id in sorted(store.by_project.get(project.id, ())):
        issue = store.issues[issue_id]
        workflow = store.workflows[scheme.workflow_for(issue.issuetype_id)]
        if issue.status_id in workflow.statuses:
            continue
        new = overrides.get((issue.issuetype_id, issue.status_id))
        if new is None or new not in workflow.statuses:
            missing.add(f"issue type {issue.issuetype_id}: status {issue.status_id} "
                        f"({store.statuses[issue.status_id].name})")
        else:
            moves.append((issue_id, new))
    if missing:
        raise bad_request("Status mappings are required for: " + "; ".join(sorted(missing)))
    project.scheme_id = scheme.id
    for issue_id, new in moves:
        issue = store.issues[issue_id]
        item = status_item(store, issue.status_id, new)
        store.set_status(issue, new)
        store.record(issue, [item])
    return len(moves)


def _mappings(overrides: Any) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for override in overrides if isinstance(overrides, list) else []:
        for mapping in override.get("statusMappings") or []:
            found[(str(override.get("issueTypeId")), str(mapping.get("oldStatusId")))] = str(
                mapping.get("newStatusId"))
    return found
