"""Each file of deploy/ (and the Dockerfile) holds the points an operator's first day needs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from connector.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = {f"TICKETFLOW_{name.upper()}" for name in Settings.model_fields}
NEEDED = {"TICKETFLOW_PUBLIC_URL", "TICKETFLOW_MAIL_FROM"}


def _lines(name: str) -> list[str]:
    return [line for line in (DEPLOY / name).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's [Service] settings, each key with all its values."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in _lines(name):
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_one_env_file_format_for_systemd_cron_and_compose() -> None:
    """deploy/ticketflow.env is NAME='value' lines without `export` (systemd's EnvironmentFile
    has none), and a POSIX shell (cron's `set -a; . FILE`) and the .env reader of compose and
    ticketflow read the same values from it; every name is a setting; the public URL and the
    sender are set."""
    path = DEPLOY / "ticketflow.env"
    lines = _lines("ticketflow.env")
    assert all(re.fullmatch(r"TICKETFLOW_[A-Z0-9_]+='[^']*'", line) for line in lines), lines
    shell = subprocess.run(["sh", "-c", f"set -a; . '{path}'; set +a; env -0"], check=True,
                           capture_output=True, text=True, env={})
    from_shell = dict(item.split("=", 1) for item in shell.stdout.split("\0") if "=" in item)
    from_dotenv = dotenv_values(path)
    assert {k: v for k, v in from_shell.items() if k.startswith("TICKETFLOW_")} == from_dotenv
    assert set(from_dotenv) <= SETTINGS
    assert set(from_dotenv) >= NEEDED
    assert "starttls=true" in str(from_dotenv["TICKETFLOW_SMTP_URL"])


def test_the_crontab_sets_config_and_state_and_reads_the_env_file() -> None:
    """cron starts with an empty environment: the crontab names the config folder and the
    state, and loads the shared env file the way a shell can (set -a; . FILE)."""
    lines = _lines("crontab")
    variables = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    assert variables["TICKETFLOW_CONFIG_DIR"] == "/etc/ticketflow"
    assert variables["TICKETFLOW_STATE_DB"].startswith("/var/lib/ticketflow/")
    (job,) = [line for line in lines if line.startswith("*/")]
    *_schedule, user, command = job.split(None, 6)
    assert user == "ticketflow"  # /etc/cron.d format: a user field, not root
    assert "set -a && . /etc/ticketflow/env && set +a" in command
    assert command.rstrip().split(">>")[0].rstrip().endswith(" once")
    assert "export" not in (DEPLOY / "crontab").read_text().replace("# ", "")


def test_systemd_makes_its_user_and_does_not_restart_on_exit_2() -> None:
    """`User=ticketflow` alone fails when no such user exists (status 217/USER): the unit has
    systemd make it; a bad configuration (exit 2) is not restarted in a loop."""
    for name in ("ticketflow.service", "ticketflow-feedback.service"):
        unit = _unit(name)
        assert unit["RestartPreventExitStatus"] == ["2"], name
        assert unit["EnvironmentFile"] == ["/etc/ticketflow/env"], name
        environment = dict(value.split("=", 1) for value in unit["Environment"])
        assert environment["TICKETFLOW_CONFIG_DIR"] == "/etc/ticketflow", name
        assert environment["TICKETFLOW_STATE_DB"].startswith("/var/lib/ticketflow/"), name
    service = _unit("ticketflow.service")
    assert service["DynamicUser"] == ["yes"] and service["StateDirectory"] == ["ticketflow"]
    assert service["ExecStart"] == ["/opt/ticketflow/bin/ticketflow run"]
    assert _unit("ticketflow-feedback.service")["ExecStart"] == [
        "/opt/ticketflow/bin/ticketflow serve-feedback"]


def _kubernetes() -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all((DEPLOY / "kubernetes-cronjob.yaml").read_text())
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in documents}


def test_kubernetes_mounts_the_nested_config_and_defines_what_it_uses() -> None:
    """A ConfigMap holds no folders: its items put every file of the shipped configuration
    (rules/ and rules/templates/ included) back at its path under /config; the claim, the
    secret and the settings the pods use are defined in the file; the public URL and the
    sender are set; Kubernetes' service-link variables are off."""
    resources = _kubernetes()
    # rules/tests/ is for `ticketflow test` (CI, the admin), not for the service's pods.
    shipped = sorted(str(p.relative_to(ROOT)) for p in [ROOT / "rules.yaml",
                                                         ROOT / "mappings.yaml",
                                                         *(ROOT / "rules").rglob("*")]
                     if p.is_file() and not p.is_relative_to(ROOT / "rules" / "tests"))
    cron = resources["CronJob/ticketflow"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    feedback = resources["Deployment/ticketflow-feedback"]["spec"]["template"]["spec"]
    for pod in (cron, feedback):
        volumes = {v["name"]: v for v in pod["volumes"]}
        items = volumes["config"]["configMap"]["items"]
        assert sorted(i["path"] for i in items) == shipped
        assert all(i["key"] == Path(i["path"]).name for i in items)
        claim = volumes["data"]["persistentVolumeClaim"]["claimName"]
        assert f"PersistentVolumeClaim/{claim}" in resources
        (container,) = pod["containers"]
        sources = container["envFrom"]
        secret = next(s["secretRef"]["name"] for s in sources if "secretRef" in s)
        settings = next(s["configMapRef"]["name"] for s in sources if "configMapRef" in s)
        assert f"Secret/{secret}" in resources
        assert set(resources[f"ConfigMap/{settings}"]["data"]) >= NEEDED
        assert pod["enableServiceLinks"] is False
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts == {"config": "/config", "data": "/data"}
    assert set(resources["Secret/ticketflow-secrets"]["stringData"]) <= SETTINGS
    assert cron["containers"][0]["args"][-1] == "once"
    assert feedback["containers"][0]["args"][-1] == "serve-feedback"


def test_compose_reads_the_shared_env_file() -> None:
    """Compose takes its settings from the same file format (public URL and sender in it)."""
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    service = compose["services"]["ticketflow"]
    assert service["env_file"] == "ticketflow.env"
    assert "./config:/config:ro" in service["volumes"]


def test_the_healthcheck_follows_the_port_and_skips_one_shot_containers() -> None:
    """The image's HEALTHCHECK is the module that reads TICKETFLOW_HTTP_PORT and passes when
    the container runs `once` (no hard-coded 8787); the base image is an ARG."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    check = re.search(r"HEALTHCHECK .*?CMD (\[.*?\])", dockerfile, flags=re.DOTALL)
    assert check is not None
    assert check[1] == '["/opt/ticketflow/bin/python", "-m", "connector.healthcheck"]'
    assert "8787/healthz" not in dockerfile
    assert re.search(r"^ARG BASE=python:3\.11-slim$", dockerfile, flags=re.MULTILINE)
    assert dockerfile.count("FROM ${BASE}") == 2


def test_the_demo_output_is_not_committed_by_accident() -> None:
    """`ticketflow demo` run in a clone leaves ./ticketflow-demo/ (state, mail, .eml files):
    git and the image build both ignore it."""
    assert "/ticketflow-demo/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "ticketflow-demo" in (ROOT / ".dockerignore").read_text().splitlines()


def test_kubernetes_replicas_share_a_postgresql_state_from_a_secret() -> None:
    """deploy/kubernetes-replicas.yaml runs `run` with three replicas; the state database
    comes from a Secret it defines, a postgresql:// URL; the settings, secrets and config it
    names are those kubernetes-cronjob.yaml defines, mounted the same way; no volume is shared
    between the pods (the state is not a file there); probes ask /healthz, which a standby
    passes; every setting it sets is a real one."""
    documents = list(yaml.safe_load_all((DEPLOY / "kubernetes-replicas.yaml").read_text()))
    resources = {f"{d['kind']}/{d['metadata']['name']}": d for d in documents}
    defined = {**_kubernetes(), **resources}
    deployment = resources["Deployment/ticketflow"]
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][-1] == "run"
    env = {e["name"]: e for e in container["env"]}
    assert set(env) <= SETTINGS
    secret_ref = env["TICKETFLOW_STATE_DB"]["valueFrom"]["secretKeyRef"]
    secret = resources[f"Secret/{secret_ref['name']}"]
    assert secret["stringData"][secret_ref["key"]].startswith("postgresql://")
    for source in container["envFrom"]:
        kind, ref = ("Secret", source["secretRef"]) if "secretRef" in source else (
            "ConfigMap", source["configMapRef"])
        assert f"{kind}/{ref['name']}" in defined
    cron = _kubernetes()["CronJob/ticketflow"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    cron_config = next(v for v in cron["volumes"] if v["name"] == "config")
    assert pod["volumes"] == [cron_config]
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/config"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["enableServiceLinks"] is False
    assert resources["PodDisruptionBudget/ticketflow"]["spec"]["minAvailable"] == 2
