"""The container's HEALTHCHECK follows TICKETFLOW_HTTP_PORT and leaves one-shot commands be."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from connector.healthcheck import check, command_lines, health_url, serving

RUN = ["/opt/ticketflow/bin/python", "/opt/ticketflow/bin/ticketflow", "run"]


@pytest.fixture
def healthz() -> Iterator[tuple[int, list[int]]]:
    """A loopback /healthz whose status the test sets: (port, [status])."""
    status = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status[0] if self.path == "/healthz" else 404)
            self.end_headers()
            self.wfile.write(b"ok: last successful sync 3s ago")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], status
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("argv", "expected"), [
    (RUN, True),
    (["/opt/ticketflow/bin/python", "/opt/ticketflow/bin/ticketflow", "--log-format", "json",
      "run"], True),
    (["/sbin/docker-init", "--", "ticketflow", "serve-feedback"], True),
    (["python", "-m", "connector", "run"], True),
    (["/opt/ticketflow/bin/python", "/opt/ticketflow/bin/ticketflow", "once"], False),
    (["ticketflow", "demo", "--output", "run"], True),  # a folder named run: still checked
    (["sh", "-c", "ticketflow run"], False),             # not the process itself
    (["sleep", "run"], False),
])
def test_only_a_serving_ticketflow_is_checked(argv: list[str], expected: bool) -> None:
    """`run` and `serve-feedback` serve /healthz; `once`, `validate` and others do not."""
    assert serving([argv]) is expected


def test_a_one_shot_container_is_healthy_without_asking() -> None:
    """`docker run IMAGE once`: nothing serves /healthz, and nothing is asked for it."""
    code, text = check({"TICKETFLOW_HTTP_PORT": "1"}, [[*RUN[:2], "once"]])
    assert code == 0 and "one-shot" in text


def test_the_check_follows_the_port_setting(healthz: tuple[int, list[int]]) -> None:
    """With TICKETFLOW_HTTP_PORT moved, the check asks that port (0.0.0.0 means loopback),
    and passes on 200 and fails on 503 or on nothing listening."""
    port, status = healthz
    environ = {"TICKETFLOW_HTTP_HOST": "0.0.0.0", "TICKETFLOW_HTTP_PORT": str(port)}
    assert health_url(environ) == f"http://127.0.0.1:{port}/healthz"
    assert check(environ, [RUN]) == (0, "200 ok: last successful sync 3s ago")
    status[0] = 503
    assert check(environ, [RUN])[0] == 1
    assert check({"TICKETFLOW_HTTP_PORT": "1"}, [RUN])[0] == 1


def test_command_lines_are_read_from_proc(tmp_path: Path) -> None:
    """Each /proc/PID/cmdline (NUL-separated) becomes one argument list."""
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "cmdline").write_bytes(b"/opt/ticketflow/bin/python\0ticketflow\0run\0")
    (tmp_path / "self").mkdir()
    assert command_lines(tmp_path) == [["/opt/ticketflow/bin/python", "ticketflow", "run"]]
