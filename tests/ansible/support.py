"""Helpers for the Ansible tests: find the tools, run playbooks, pick free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
VAULT_TEST_PASSWORD = ANSIBLE_DIR / "vault-test-password.txt"


def tool(name: str) -> str:
    """Path of an Ansible command: next to this Python first (the venv), then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed (pip install -e '.[ops]')")
    assert found is not None
    return found


def ansible_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", PY_COLORS="0")
    # the venv's bin first so the tools find each other
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.update(extra)
    return env


def run(cmd: list[str], *, timeout: float, cwd: Path = ANSIBLE_DIR,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command and fail the test with its output when it fails."""
    result = subprocess.run(cmd, cwd=cwd, env=env or ansible_env(), capture_output=True,
                            text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}\n"
                             f"--- stdout ---\n{result.stdout[-12000:]}\n"
                             f"--- stderr ---\n{result.stderr[-4000:]}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
