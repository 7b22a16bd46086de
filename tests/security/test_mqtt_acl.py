"""The MQTT ACL matrix on a real Mosquitto on loopback: two devices, each publishing on its
own and the other's event and status topics, and subscribing to its own and the other's
commands. Only its own are allowed.

The ACL is the Ansible role's own template (ansible/roles/mosquitto/templates/fulfil.acl.j2)
with the role's defaults, rendered with Jinja2; the broker authenticates by password here
(username = device id, as the certificate CN is in production), so the test needs neither
Ansible nor a PKI and starts in well under a second. tests/ansible covers the TLS listener.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import jinja2
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from tests.ansible.support import ANSIBLE_DIR, free_port
from tests.ansible.test_mosquitto_broker import Session
from tests.conftest import skip_or_fail

ROLE = ANSIBLE_DIR / "roles" / "mosquitto"
SITE = "leeds"
DEVICES = ("zone-a", "zone-b")
NOT_AUTHORIZED = 135  # MQTT v5 PUBACK reason code


def render_acl() -> str:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("fulfil.acl.j2").render(
        ansible_managed="rendered by tests/security/test_mqtt_acl.py",
        mosquitto_acl_hub_identities=defaults["mosquitto_acl_hub_identities"],
        mosquitto_acl_device_pattern=defaults["mosquitto_acl_device_pattern"])


@pytest.fixture(scope="module")
def broker_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    passwd = shutil.which("mosquitto_passwd")
    if not Path(mosquitto).exists() or passwd is None:
        skip_or_fail("mosquitto is not installed (apt-get install mosquitto)")
    assert passwd is not None
    root = tmp_path_factory.mktemp("acl")
    (root / "fulfil.acl").write_text(render_acl())
    passwords = root / "passwords"
    for n, user in enumerate(["hub", *DEVICES]):
        subprocess.run([passwd, *(["-c"] if n == 0 else []), "-b", str(passwords), user,
                        f"pw-{user}"], check=True, capture_output=True, timeout=30)
    port = free_port()
    (root / "mosquitto.conf").write_text(
        f"user {pwd.getpwuid(os.getuid()).pw_name}\npersistence false\nlog_dest stderr\n"
        f"per_listener_settings true\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {passwords}\nacl_file {root / 'fulfil.acl'}\n")
    proc = subprocess.Popen([mosquitto, "-c", str(root / "mosquitto.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"mosquitto exited {proc.returncode}: {output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("mosquitto did not listen within 15 s") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def connect(port: int, user: str | None, password: str | None = None) -> Session:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{user}-{time.time_ns()}",
                         protocol=mqtt.MQTTv5)
    if user is not None:
        client.username_pw_set(user, password if password is not None else f"pw-{user}")
    return Session(client, port)


@pytest.fixture
def sessions(broker_port: int) -> Iterator[dict[str, Session]]:
    opened = {name: connect(broker_port, name) for name in ("hub", *DEVICES)}
    for name, session in opened.items():
        assert not session.connect_rc.is_failure, (name, session.connect_rc)  # type: ignore[union-attr]
    assert opened["hub"].subscribe("fulfil/#").value == 1
    yield opened
    for session in opened.values():
        session.close()


def test_publish_matrix(sessions: dict[str, Session]) -> None:
    hub = sessions["hub"]
    counts = {"allowed": 0, "refused": 0}
    for device in DEVICES:
        for owner in DEVICES:
            for topic in (f"fulfil/{SITE}/{owner}/evt/item_picked",
                          f"fulfil/{SITE}/{owner}/status", f"fulfil/{SITE}/{owner}/health"):
                marker = f"{device}->{topic}".encode()
                rc = sessions[device].publish(topic, marker)
                if owner == device:
                    assert not rc.is_failure, (device, topic, rc)
                    assert hub.wait_for_message(topic, 5), f"{topic} did not reach the hub"
                    counts["allowed"] += 1
                else:
                    assert rc.value == NOT_AUTHORIZED, (device, topic, rc)
                    counts["refused"] += 1
    # nothing refused reached the hub; wait on a last own message so any stray one would too
    assert not sessions["zone-a"].publish(f"fulfil/{SITE}/zone-a/health", b"end").is_failure
    assert hub.wait_for_message(f"fulfil/{SITE}/zone-a/health", 5)
    delivered = [payload for _, payload in hub.messages]
    assert not any(p.startswith(b"zone-a->") and b"/zone-b/" in p for p in delivered)
    assert not any(p.startswith(b"zone-b->") and b"/zone-a/" in p for p in delivered)
    print(f"publish matrix: {counts}")
    assert counts == {"allowed": 6, "refused": 6}


def test_subscribe_matrix(sessions: dict[str, Session]) -> None:
    """Mosquitto 2.0 may grant the SUBACK for another device's filter; the ACL is checked on
    delivery, so the command reaches its own device and never the other."""
    for device in DEVICES:
        for owner in DEVICES:
            code = sessions[device].subscribe(f"fulfil/{SITE}/{owner}/cmd/+").value
            assert code == 1 if owner == device else code in (1, NOT_AUTHORIZED)
        assert sessions[device].subscribe("fulfil/#").value in (1, NOT_AUTHORIZED)
    for owner in DEVICES:
        command = f"fulfil/{SITE}/{owner}/cmd/pick_task"
        assert not sessions["hub"].publish(command, f"for {owner}".encode()).is_failure
        assert sessions[owner].wait_for_message(command, 5), f"{owner} missed its command"
    for device in DEVICES:
        other = next(d for d in DEVICES if d != device)
        assert not sessions[device].wait_for_message(f"fulfil/{SITE}/{other}/cmd/pick_task", 1)
        assert all(t.startswith(f"fulfil/{SITE}/{device}/") for t, _ in
                   sessions[device].messages), sessions[device].messages


def test_unknown_clients_are_refused(broker_port: int) -> None:
    for user, password in ((None, None), ("zone-a", "wrong"), ("intruder", "pw-intruder")):
        session = connect(broker_port, user, password)
        try:
            assert session.connect_rc is not None and session.connect_rc.is_failure, user
        finally:
            session.close()
