"""The mosquitto role's rendered config, ACL and certificates, run by a real broker.

The role is run with Ansible against localhost into a temporary directory; a real
Mosquitto then listens on a free loopback port with TLS client certificates. A device may
publish on its own topics and is refused on another device's; a client without a
certificate, or with one from another CA, is refused at the TLS handshake.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.ansible.support import PLAYBOOKS, free_port, run, tool
from tests.conftest import skip_or_fail

SITE = "leeds"
DEVICES = ("zone-a", "zone-b")


@dataclass
class Broker:
    port: int
    clients_dir: Path
    conf_dir: Path


def _render(root: Path, port: int, revoked: list[str]) -> None:
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    extra = {
        "mosquitto_conf_dir": str(root / "etc"),
        "mosquitto_persistence_dir": str(root / "data"),
        "mosquitto_user": user, "mosquitto_group": group,
        "mosquitto_log_dest": "stderr",
        "mosquitto_tls_bind": "127.0.0.1", "mosquitto_tls_port": port,
        "mosquitto_local_port": 0,
        "mosquitto_server_name": "localhost",
        "fleet_pki_dir": str(root / "pki"),
        "fleet_pki_ca_passphrase": "test-ca-passphrase",
        "fleet_pki_revoked": revoked,
        "test_clients_dir": str(root / "clients"),
        "test_client_identities": ["hub", *DEVICES],
        "ansible_python_interpreter": sys.executable,
    }
    vars_file = root / "vars.json"
    vars_file.write_text(json.dumps(extra))
    started = time.monotonic()
    run([tool("ansible-playbook"), "-i", "localhost,", str(PLAYBOOKS / "render_broker.yml"),
         "-e", f"@{vars_file}"], timeout=300)
    print(f"render_broker.yml: {time.monotonic() - started:.1f} s")


@contextmanager
def _running_broker(root: Path, port: int) -> Iterator[Broker]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(mosquitto).exists():
        skip_or_fail("mosquitto is not installed (apt-get install mosquitto)")
    conf = root / "etc" / "mosquitto.conf"
    proc = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"mosquitto exited {proc.returncode}: {output}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("mosquitto did not listen within 10 s") from None
                time.sleep(0.1)
        yield Broker(port=port, clients_dir=root / "clients", conf_dir=root / "etc")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def broker_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("broker")


@pytest.fixture(scope="module")
def broker(broker_root: Path) -> Iterator[Broker]:
    port = free_port()
    _render(broker_root, port, revoked=[])
    with _running_broker(broker_root, port) as running:
        yield running


def _client(broker: Broker, identity: str | None, *, ca: Path | None = None) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{identity}-{time.time_ns()}",
                         protocol=mqtt.MQTTv5)
    ca_file = ca or broker.conf_dir / "tls" / "ca.crt"
    if identity is None:
        client.tls_set(ca_certs=str(ca_file), cert_reqs=ssl.CERT_REQUIRED)
    else:
        folder = broker.clients_dir / identity
        client.tls_set(ca_certs=str(ca_file), certfile=str(folder / f"{identity}.crt"),
                       keyfile=str(folder / f"{identity}.key"), cert_reqs=ssl.CERT_REQUIRED)
    return client


class Session:
    """A connected MQTT v5 client that records PUBACK/SUBACK reason codes and messages."""

    def __init__(self, client: mqtt.Client, port: int) -> None:
        self.client = client
        self.connected = threading.Event()
        self.connect_rc: ReasonCode | None = None
        self.acks: dict[int, ReasonCode] = {}
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.connect("localhost", port)
        client.loop_start()
        assert self.connected.wait(10), "no CONNACK within 10 s"

    def _on_connect(self, client, userdata, flags, rc, properties=None):  # type: ignore[no-untyped-def]
        self.connect_rc = rc
        self.connected.set()

    def _on_publish(self, client, userdata, mid, rc, properties=None):  # type: ignore[no-untyped-def]
        with self._cond:
            self.acks[mid] = rc
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, rcs, properties=None):  # type: ignore[no-untyped-def]
        with self._cond:
            self.subacks[mid] = list(rcs)
            self._cond.notify_all()

    def _on_message(self, client, userdata, message):  # type: ignore[no-untyped-def]
        with self._cond:
            self.messages.append((message.topic, message.payload))
            self._cond.notify_all()

    def publish(self, topic: str, payload: bytes) -> ReasonCode:
        info = self.client.publish(topic, payload, qos=1)
        with self._cond:
            assert self._cond.wait_for(lambda: info.mid in self.acks, 10), f"no PUBACK: {topic}"
            return self.acks[info.mid]

    def subscribe(self, topic: str) -> ReasonCode:
        _, mid = self.client.subscribe(topic, qos=1)
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self.subacks, 10), f"no SUBACK: {topic}"
            return self.subacks[mid][0]

    def wait_for_message(self, topic: str, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: any(t == topic for t, _ in self.messages), timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def hub(broker: Broker) -> Iterator[Session]:
    session = Session(_client(broker, "hub"), broker.port)
    assert not session.connect_rc.is_failure  # type: ignore[union-attr]
    assert session.subscribe("fulfil/#").value == 1
    yield session
    session.close()


def test_device_publishes_on_its_own_topics(broker: Broker, hub: Session) -> None:
    device = Session(_client(broker, "zone-a"), broker.port)
    try:
        assert not device.connect_rc.is_failure  # type: ignore[union-attr]
        own = f"fulfil/{SITE}/zone-a/evt/item_picked"
        rc = device.publish(own, b'{"ok": true}')
        assert not rc.is_failure, rc
        assert hub.wait_for_message(own, 5), "the hub did not receive the device's own event"
        assert device.subscribe(f"fulfil/{SITE}/zone-a/cmd/+").value == 1
    finally:
        device.close()


def test_device_is_refused_on_another_devices_topics(broker: Broker, hub: Session) -> None:
    device = Session(_client(broker, "zone-a"), broker.port)
    try:
        other = f"fulfil/{SITE}/zone-b/evt/item_picked"
        rc = device.publish(other, b'{"spoofed": true}')
        assert rc.value == 135, f"expected 135 Not authorized, got {rc}"  # MQTT v5 PUBACK
        status = f"fulfil/{SITE}/zone-b/status"
        assert device.publish(status, b'{"state": "offline"}').value == 135
        # reading another device's commands: Mosquitto 2.0 grants the SUBACK but the ACL is
        # checked on delivery, so the command reaches zone-b and never zone-a
        zone_b = Session(_client(broker, "zone-b"), broker.port)
        try:
            assert device.subscribe(f"fulfil/{SITE}/zone-b/cmd/+").value in (1, 135)
            assert device.subscribe("fulfil/#").value in (1, 135)
            assert zone_b.subscribe(f"fulfil/{SITE}/zone-b/cmd/+").value == 1
            command = f"fulfil/{SITE}/zone-b/cmd/pick_task"
            assert not hub.publish(command, b'{"secret": 1}').is_failure
            assert zone_b.wait_for_message(command, 5), "zone-b did not get its own command"
            assert not device.wait_for_message(command, 1.0), "zone-a read zone-b's command"
            assert all(t.startswith(f"fulfil/{SITE}/zone-a/") for t, _ in device.messages)
        finally:
            zone_b.close()
        # and nothing of it reached the hub, while the device's own message still does
        marker = f"fulfil/{SITE}/zone-a/health"
        assert not device.publish(marker, b"{}").is_failure
        assert hub.wait_for_message(marker, 5)
        assert (other, b'{"spoofed": true}') not in hub.messages
        assert all(t != status for t, _ in hub.messages)
    finally:
        device.close()


def test_agent_link_connects_with_its_provisioned_certificate(
        broker: Broker, hub: Session, tmp_path: Path) -> None:
    """The agent's own MQTT link, given the files the edge_agent role installs, is let in
    and its birth reaches the hub."""
    from edge.config import MqttTls
    from edge.link import Link, LinkSettings
    from edge.outbox import Outbox

    folder = broker.clients_dir / "zone-a"
    tls = MqttTls(ca_file=broker.conf_dir / "tls" / "ca.crt",
                  cert_file=folder / "zone-a.crt", key_file=folder / "zone-a.key")
    settings = LinkSettings(device_id="zone-a", site=SITE,
                            mqtt_url=f"mqtts://localhost:{broker.port}",
                            tls_files=(str(tls.ca_file), str(tls.cert_file), str(tls.key_file)),
                            role="pick_zone")
    link = Link(settings, Outbox(tmp_path / "outbox.sqlite"))
    link.start()
    try:
        assert link.wait_connected(10), "the agent could not connect with its certificate"
        assert hub.wait_for_message(f"fulfil/{SITE}/zone-a/status", 5)
    finally:
        link.stop()


def test_client_without_a_fleet_certificate_is_refused(broker: Broker) -> None:
    assert _handshake_refused(broker, None)
    assert not _handshake_refused(broker, "zone-a")


def _handshake_refused(broker: Broker, identity: str | None) -> bool:
    """True when the broker ends the TLS session of this identity before CONNACK."""
    client = _client(broker, identity)
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    try:
        client.connect("localhost", broker.port)
    except (ssl.SSLError, OSError):
        return True
    client.loop_start()
    try:
        return not connected.wait(3)
    finally:
        client.loop_stop()
        client.disconnect()


def test_revoked_device_is_refused(broker: Broker, broker_root: Path) -> None:
    """Revocation: add the device id to fleet_pki_revoked and run the role again."""
    assert not _handshake_refused(broker, "zone-b")
    port = free_port()
    _render(broker_root, port, revoked=["zone-b"])
    with _running_broker(broker_root, port) as revoked_broker:
        assert _handshake_refused(revoked_broker, "zone-b")
        assert not _handshake_refused(revoked_broker, "zone-a")
