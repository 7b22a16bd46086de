"""A Mosquitto process of the test's own, configured from the Ansible role's template.

The global part of ``ansible/roles/mosquitto/templates/mosquitto.conf.j2`` (persistence,
autosave, queue limits) is rendered with the role's defaults, so the broker under test keeps
its store exactly as a deployed one; the broker runs as the current user, and the listeners
are replaced by one plain loopback listener on a free port (TLS and the ACL are tested
in tests/ansible).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tests.conftest import skip_or_fail

ROLE = Path(__file__).resolve().parents[2] / "ansible" / "roles" / "mosquitto"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def role_defaults() -> dict[str, Any]:
    data = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert isinstance(data, dict)
    return data


def render_config(port: int, data_dir: Path) -> str:
    """The role's template rendered with its defaults, global settings only, plus a loopback
    listener on ``port``."""
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, keep_trailing_newline=True)
    env.filters["ternary"] = lambda value, yes, no: yes if value else no
    values = {**role_defaults(), "ansible_managed": "rendered for the fault tests",
              "mosquitto_persistence_dir": str(data_dir), "mosquitto_log_dest": "stderr",
              "mosquitto_local_port": 0, "mosquitto_user": pwd.getpwuid(os.getuid()).pw_name}
    rendered = env.from_string((ROLE / "templates" / "mosquitto.conf.j2").read_text())
    lines = []
    for line in rendered.render(**values).splitlines():
        if line.startswith("listener"):
            break  # listeners follow the global settings
        if line.strip() and not line.startswith("#"):
            lines.append(line)
    kept = ("log_", "connection_", "max_", "auto", "pers", "set_")
    while lines and not lines[-1].startswith(kept):
        lines.pop()
    return "\n".join([*lines, f"listener {port} 127.0.0.1", "allow_anonymous true", ""])


class BrokerProcess:
    """Start, SIGKILL, restart, SIGSTOP and SIGCONT one Mosquitto on a fixed free port."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            skip_or_fail("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.port = free_port()
        self.data_dir = root / "broker-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.conf = root / "mosquitto.conf"
        self.conf.write_text(render_config(self.port, self.data_dir))
        self.log = root / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=log,
                                         stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited {self.proc.returncode}: "
                                     f"{self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("mosquitto did not listen in time") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no goodbye, no last save of the store."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
