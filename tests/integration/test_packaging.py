"""What the Dockerfile and deployment files assume holds (no Docker engine runs here)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connector.settings import Settings
from connector.web.server import HttpService, service_app

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SETTING_NAMES = {f"TICKETFLOW_{name.upper()}" for name in Settings.model_fields}


def _instructions(keyword: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines()
            if line.upper().startswith(keyword + " ")]


def test_dockerfile_shape() -> None:
    """Multi-stage, non-root user, /config and /data, ENTRYPOINT ticketflow, CMD run."""
    assert len(_instructions("FROM")) >= 2
    (user,) = _instructions("USER")
    assert user.strip() not in ("root", "0")
    assert "useradd --system --uid 10001" in DOCKERFILE
    assert json.loads(_instructions("ENTRYPOINT")[0]) == ["ticketflow"]
    assert json.loads(_instructions("CMD")[-1]) == ["run"]
    assert "TICKETFLOW_CONFIG_DIR=/config" in DOCKERFILE
    assert "TICKETFLOW_STATE_DB=/data/" in DOCKERFILE
    assert '["/data"]' in _instructions("VOLUME")[0]


def test_every_copied_path_exists() -> None:
    """Each COPY source of the build stage is in the repository."""
    for args in _instructions("COPY"):
        if args.startswith("--from"):
            continue
        *sources, _target = args.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_settings_named_in_deploy_files_exist() -> None:
    """Every TICKETFLOW_* variable the Dockerfile and deploy/ set is a real setting."""
    texts = [DOCKERFILE] + [p.read_text() for p in (ROOT / "deploy").iterdir()]
    named = {name for text in texts for name in re.findall(r"TICKETFLOW_[A-Z0-9_]+", text)}
    assert named
    assert named <= SETTING_NAMES, named - SETTING_NAMES


def test_healthcheck_command_follows_healthz() -> None:
    """The HEALTHCHECK command, as the image runs it: with a `ticketflow run` in the process
    table it exits 0 on a healthy /healthz and 1 on an unhealthy one, at the port
    TICKETFLOW_HTTP_PORT names (a one-shot container: tests/unit/test_healthcheck.py)."""
    (healthcheck,) = _instructions("HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())
    assert command == ["/opt/ticketflow/bin/python", "-m", "connector.healthcheck"]
    here = [sys.executable, *command[1:]]  # the image's venv python is this one, here
    # What /proc shows for the service in the image: `python .../ticketflow run`.
    service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                "/opt/ticketflow/bin/ticketflow", "run"])
    try:
        for healthy, expected in ((True, 0), (False, 1)):
            http = HttpService(service_app(health=lambda h=healthy: (h, "test")),
                               host="127.0.0.1", port=0).start()
            port = http.url.rsplit(":", 1)[1]
            try:
                result = subprocess.run(here, check=False, capture_output=True, timeout=30,
                                        env={**os.environ, "TICKETFLOW_HTTP_PORT": port,
                                             "TICKETFLOW_HTTP_HOST": "0.0.0.0"})
            finally:
                http.close()
            assert result.returncode == expected, result.stdout
    finally:
        service.kill()
        service.wait()


@pytest.mark.slow  # builds a wheel and installs it with its dependencies: about a minute
def test_the_image_install_works_in_a_fresh_venv(tmp_path: Path) -> None:
    """The build stage's commands (venv + pip install .) give a `ticketflow` that carries its
    shipped config and sample mail: init, validate and the demo work from an unrelated
    folder."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    (wheel,) = wheels.glob("ticketflow-*.whl")
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True,
                   timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def ticketflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "ticketflow"), *args], cwd=elsewhere,
                              capture_output=True, text=True, check=False, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})

    assert ticketflow("--version").returncode == 0
    assert ticketflow("init", "config").returncode == 0
    checked = ticketflow("validate", "--config-dir", "config")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok: rules.yaml")
    demo = ticketflow("demo", "--output", "demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "tickets: 3" in demo.stdout
    assert any((elsewhere / "demo" / "outbox").glob("*.eml"))
