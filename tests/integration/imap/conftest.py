"""A real IMAP server for the intake tests: Debian's dovecot, started per test as an
unprivileged instance on a free loopback port (the checklist's §6.1 configuration), with
TLS from a throwaway CA (trustme) and an XOAUTH2 token introspection stub (http.server).

Without dovecot the tests skip and say how to install it; under CI (the `CI` variable set)
they fail instead, because CI installs dovecot-imapd and must never skip them.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from imapclient import IMAPClient

USER, PASSWORD, TOKEN = "helpdesk", "secret", "good-token"
INSTALL = "dovecot not installed: apt-get install dovecot-imapd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Introspection(BaseHTTPRequestHandler):
    """Dovecot asks `GET /introspect?token=<t>&client_id=&client_secret=`; a good token is
    active for the helpdesk user, any other is inactive (AUTHENTICATIONFAILED)."""

    def do_GET(self) -> None:
        token = self.path.partition("token=")[2].split("&", 1)[0]
        body = json.dumps({"email": USER, "active": "true" if token == TOKEN else "false"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the tests."""


@dataclass
class Dovecot:
    """A running dovecot and how to reach it."""

    root: Path
    port: int
    tls_port: int
    ca_file: Path
    conf: Path
    run_as: str | None

    def url(self, folder: str = "INBOX", **query: str) -> str:
        params = {"insecure": "true", **query}
        return (f"imap://{USER}@127.0.0.1:{self.port}/{quote(folder)}?"
                + "&".join(f"{k}={v}" for k, v in params.items()))

    def client(self) -> IMAPClient:
        """A second client, as a person at the helpdesk would use (plain login)."""
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: tuple[bytes, ...] = ()
               ) -> None:
        with self._session() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=flags)

    def messages(self, folder: str) -> list[tuple[int, tuple[bytes, ...], bytes]]:
        """(UID, flags, Message-ID header) of every message in a folder."""
        with self._session() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            found = client.fetch(client.search(["ALL"]),
                                 ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            return [(uid, tuple(f for f in data[b"FLAGS"] if f != b"\\Recent"),
                     data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].strip())
                    for uid, data in sorted(found.items())]

    def _session(self) -> _Session:
        return _Session(self)

    def stop(self) -> None:
        """SIGTERM to the master, then wait (bounded) for it to go; `doveadm stop` would do
        the same but lingers ~3 s per test."""
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for an init that may never reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


class _Session:
    def __init__(self, server: Dovecot) -> None:
        self.client = server.client()

    def __enter__(self) -> IMAPClient:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.logout()


def _as_user(command: list[str], user: str | None, *, check: bool = True) -> None:
    """Run a dovecot command as `user`. Its output goes to a file, not a pipe: the master
    daemonises holding its stdout and stderr, so a pipe would never reach end-of-file."""
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name if user else None
    with tempfile.TemporaryFile() as output:
        done = subprocess.run(command, check=False, stdin=subprocess.DEVNULL, stdout=output,
                              stderr=subprocess.STDOUT, timeout=30, user=user, group=group)
        output.seek(0)
        said = output.read().decode(errors="replace")
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {said}")


def _version(binary: str) -> tuple[int, int]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    major, minor = re.match(r"(\d+)\.(\d+)", out).groups()  # type: ignore[union-attr]
    return int(major), int(minor)


# The listeners and services are the same in both config formats.
_SERVICES = """service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {u}
  }}
  unix_listener stats-writer {{
    user = {u}
  }}
}}
"""

_CONF_23 = """
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
default_internal_user = {u}
default_internal_group = {g}
default_login_user = {u}
first_valid_uid = {uid}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/users
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {d}/oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid={u} gid={g} home={d}/mail/%u
}}
""" + _SERVICES
_OAUTH_23 = """introspection_mode = get
introspection_url = http://127.0.0.1:{http}/introspect?token=
username_attribute = email
active_attribute = active
active_value = true
force_introspection = yes
"""
# Dovecot 2.4 (Debian 13) changed the format; written from its upgrade guide, not yet run
# here (Debian 12 ships 2.3). Dovecot refuses to start on a wrong one, and the test says why.
_CONF_24 = """dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = yes
ssl_server_cert_file = {d}/cert.pem
ssl_server_key_file = {d}/key.pem
auth_allow_cleartext = yes
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
default_internal_user = {u}
default_internal_group = {g}
default_login_user = {u}
first_valid_uid = {uid}
mail_driver = maildir
mail_home = {d}/mail/%{{user}}
mail_path = ~/Maildir
passdb passwd-file {{
  passwd_file_path = {d}/users
}}
userdb static {{
  fields {{
    uid = {u}
    gid = {g}
    home = {d}/mail/%{{user}}
  }}
}}
oauth2 {{
  introspection_mode = get
  introspection_url = http://127.0.0.1:{http}/introspect?token=
  username_attribute = email
  active_attribute = active
  active_value = true
  force_introspection = yes
}}
""" + _SERVICES


def _binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot"
                                        if Path("/usr/sbin/dovecot").exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{INSTALL} (CI must run the IMAP tests; .ci/run installs it)")
        pytest.skip(INSTALL)
    return found


@pytest.fixture
def introspection() -> Iterator[int]:
    """The XOAUTH2 token introspection stub; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Introspection)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def dovecot(introspection: int) -> Iterator[Dovecot]:
    """A private dovecot on loopback, unprivileged: as the invoking user, or when that is
    root (CI, containers), as the `dovecot` system user the package creates. Its folder is
    outside pytest's private temp tree, which that user could not enter."""
    binary = _binary()
    run_as = "dovecot" if os.geteuid() == 0 else None
    account = pwd.getpwnam(run_as) if run_as else pwd.getpwuid(os.getuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    root = Path(tempfile.mkdtemp(prefix="ticketflow-dovecot-"))
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True)
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    leaf.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(root / "key.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port, tls_port = free_port(), free_port()
    values = {"d": root, "u": account.pw_name, "g": group, "uid": account.pw_uid,
              "port": port, "tls_port": tls_port, "http": introspection}
    template = _CONF_24 if _version(binary) >= (2, 4) else _CONF_23
    (root / "dovecot.conf").write_text(template.format(**values))
    (root / "oauth2.conf.ext").write_text(_OAUTH_23.format(**values))
    if run_as:
        for path in [root, *root.rglob("*")]:
            shutil.chown(path, account.pw_name, group)
    conf = root / "dovecot.conf"
    server = Dovecot(root, port, tls_port, root / "ca.pem", conf, run_as)
    try:
        _as_user([binary, "-c", str(conf)], run_as)
        _wait_for(port)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int) -> None:
    """The master forks before its listeners are up: connect in a bounded loop (5 s)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
