"""A real converge of site.yml into Debian Bookworm chroots (one hub, one pick zone, one pack
bench) over the community.general.chroot connection, a second run that must change nothing,
then checks on the result: unit files verified by systemd-analyze, rendered configs, udev
rules, the device identity, and the installed agent answering --version.

Services are not started (the *_live_system switches are off). Needs root, debootstrap and a
reachable Debian mirror; the base chroot is cached as a tarball (see chroots.py).
Run alone with: pytest -m chroot
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.ansible import chroots
from tests.ansible.support import ANSIBLE_DIR, REPO, ansible_env, run, tool
from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.chroot, pytest.mark.timeout(2400)]

HOSTS = {"hub-t": "hubs", "zone-t1": "pick_zones", "bench-t1": "pack_benches"}
SITE = "ci"
BROKER = "hub-t.fulfil.test"
VERSION = "0.1.0"


@dataclass
class Converge:
    roots: dict[str, Path]
    work: Path
    pki: Path
    timings: dict[str, float] = field(default_factory=dict)
    recaps: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def _recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP lines -> {host: {ok: n, changed: n, ...}}."""
    recap: dict[str, dict[str, int]] = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return recap


def _inventory(work: Path, roots: dict[str, Path], wheel: Path, pki: Path) -> Path:
    inventory = work / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "host_vars").mkdir()
    groups: dict[str, dict[str, dict[str, object]]] = {}
    for name, group in HOSTS.items():
        groups.setdefault(group, {})[name] = {"ansible_host": str(roots[name])}
    hosts = {"all": {"children": {
        "hubs": {"hosts": groups["hubs"]},
        "edge": {"children": {"pick_zones": {"hosts": groups["pick_zones"]},
                              "pack_benches": {"hosts": groups["pack_benches"]}}}}}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    staging = ANSIBLE_DIR / "inventories" / "staging" / "group_vars" / "all"
    # the encrypted example vault, decrypted with the documented test password
    shutil.copy(staging / "vault.yml", inventory / "group_vars" / "all" / "vault.yml")
    settings = yaml.safe_load((staging / "main.yml").read_text())
    settings.update({
        "fulfil_environment": "ci", "fulfil_site": SITE, "fulfil_broker_host": BROKER,
        "ansible_connection": "community.general.chroot", "ansible_become": False,
        "ansible_python_interpreter": "/usr/bin/python3",
        "common_live_system": False, "edge_agent_live_system": False,
        "mosquitto_live_system": False, "hub_live_system": False,
        "postgres_live_system": False,
        "edge_agent_wheel_src": str(wheel), "hub_wheel_src": str(wheel),
        "fleet_pki_dir": str(pki),
        # the CAs this machine trusts beyond Debian's (a proxy in front of PyPI, if any)
        "common_extra_ca_certificates": [
            str(p) for p in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))],
    })
    (inventory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(settings))
    hubs = yaml.safe_load((staging.parent / "hubs" / "main.yml").read_text())
    # ansible_host is the chroot path here, not an address for the certificate
    hubs["mosquitto_server_sans"] = [f"DNS:{BROKER}", "DNS:hub-t"]
    (inventory / "group_vars" / "hubs").mkdir()
    (inventory / "group_vars" / "hubs" / "main.yml").write_text(yaml.safe_dump(hubs))
    (inventory / "host_vars" / "zone-t1.yml").write_text(yaml.safe_dump({
        "edge_agent_zone": "T",
        "edge_agent_light_slots": {"T01-01-A": {"red": 2, "green": 3, "blue": 4,
                                                 "confirm": 5, "short": 6}}}))
    return inventory / "hosts.yml"


def _site(inventory: Path) -> str:
    cmd = [tool("ansible-playbook"), "-i", str(inventory), "site.yml"]
    env = ansible_env(ANSIBLE_PYTHON_INTERPRETER="auto_silent")
    return run(cmd, timeout=1800, env=env).stdout


@pytest.fixture(scope="module")
def converge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converge]:
    if os.geteuid() != 0:
        skip_or_fail("the chroot converge needs root (chroot, mount)")
    for needed in ("debootstrap", "chroot", "mount", "tar"):
        if shutil.which(needed) is None:
            skip_or_fail(f"{needed} is not installed (apt-get install debootstrap)")
    if not chroots.BASE_TARBALL.exists():
        reason = chroots.mirror_unreachable_reason()
        if reason is not None:
            pytest.skip(reason)  # the only skip: no cached base and no mirror to build one
    timings: dict[str, float] = {}
    started = time.monotonic()
    chroots.ensure_base()
    timings["base chroot (debootstrap or cache)"] = time.monotonic() - started
    work = Path(tmp_path_factory.mktemp("converge"))
    # the unpacked systems live outside /tmp, which may be a small tmpfs
    roots_dir = Path(tempfile.mkdtemp(prefix="fulfil-chroots-",
                                      dir=os.environ.get("FULFIL_CHROOT_DIR", "/var/tmp")))
    started = time.monotonic()
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                    str(REPO)], check=True, timeout=600)
    wheel = next(dist.glob(f"fulfil-{VERSION}-*.whl"))
    timings["build wheel"] = time.monotonic() - started
    started = time.monotonic()
    with chroots.chroots(list(HOSTS), roots_dir) as roots:
        timings["unpack chroots"] = time.monotonic() - started
        pki = work / "pki"
        result = Converge(roots=roots, work=work, pki=pki, timings=timings)
        inventory = _inventory(work, roots, wheel, pki)
        for run_name in ("first converge", "second converge"):
            started = time.monotonic()
            output = _site(inventory)
            timings[run_name] = time.monotonic() - started
            result.recaps[run_name] = _recap(output)
            (work / f"{run_name.replace(' ', '-')}.log").write_text(output)
        yield result
    print("\nchroot converge timings: " + ", ".join(
        f"{name} {seconds:.0f} s" for name, seconds in timings.items()))


def test_every_host_converged(converge: Converge) -> None:
    first = converge.recaps["first converge"]
    assert set(first) == set(HOSTS)
    for host, counts in first.items():
        assert counts["failed"] == 0 and counts["unreachable"] == 0, (host, counts)
        assert counts["changed"] > 0, f"{host}: the first run changed nothing"


def test_second_run_changes_nothing(converge: Converge) -> None:
    second = converge.recaps["second converge"]
    assert set(second) == set(HOSTS)
    changed = {host: counts["changed"] for host, counts in second.items()}
    log = (converge.work / "second-converge.log").read_text()
    assert changed == dict.fromkeys(HOSTS, 0), "changed on the second run:\n" + "\n".join(
        _changed_tasks(log))


def _changed_tasks(log: str) -> list[str]:
    task, found = "", []
    for line in log.splitlines():
        if line.startswith("TASK ["):
            task = line
        elif line.startswith("changed:"):
            found.append(f"{task} {line}")
    return found


@pytest.mark.parametrize(("host", "unit"), [("zone-t1", "fulfil-edge.service"),
                                           ("bench-t1", "fulfil-edge.service"),
                                           ("hub-t", "fulfil-hub.service")])
def test_units_pass_systemd_analyze_verify(converge: Converge, host: str, unit: str) -> None:
    root = converge.roots[host]
    verified = chroots.in_chroot(root, "systemd-analyze", "verify", f"/etc/systemd/system/{unit}")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stderr.strip() == "", verified.stderr
    enabled = chroots.in_chroot(root, "systemctl", "is-enabled", unit)
    assert enabled.stdout.strip() == "enabled", enabled.stdout + enabled.stderr


def test_edge_unit_is_notify_with_watchdog_after_time_sync(converge: Converge) -> None:
    unit = (converge.roots["zone-t1"] / "etc/systemd/system/fulfil-edge.service").read_text()
    for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30", "User=fulfil-edge",
                 "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "After=network-online.target time-sync.target",
                 "ExecStart=/opt/fulfil-edge/venv/bin/fulfil-edge run "
                 "--config /etc/fulfil-edge/agent.yaml"):
        assert line in unit.splitlines(), line


@pytest.mark.parametrize("host", ["zone-t1", "bench-t1"])
def test_installed_agent_runs_and_loads_its_config(converge: Converge, host: str) -> None:
    root = converge.roots[host]
    version = chroots.in_chroot(root, "/opt/fulfil-edge/venv/bin/fulfil-edge", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"fulfil-edge {VERSION}"
    # the rendered config, loaded by the installed agent's own validator, as its user
    loaded = chroots.in_chroot(
        root, "setpriv", "--reuid=fulfil-edge", "--regid=fulfil-edge", "--init-groups",
        "/opt/fulfil-edge/venv/bin/python", "-c",
        "import json, pathlib; from edge.config import load_config; "
        "c = load_config(pathlib.Path('/etc/fulfil-edge/agent.yaml')); "
        "print(c.model_dump_json())")
    assert loaded.returncode == 0, loaded.stderr
    config = yaml.safe_load(loaded.stdout)
    assert config["device_id"] == host and config["site"] == SITE
    assert config["mqtt_url"] == f"mqtts://{BROKER}:8883"
    assert config["profiles_dir"] == "/opt/fulfil-edge/firmware_profiles"
    assert config["outbox_path"] == "/var/lib/fulfil-edge/outbox.sqlite"
    for device in config["devices"].values():
        profile = root / "opt/fulfil-edge/firmware_profiles" / f"{device['profile']}.yaml"
        assert profile.is_file(), profile
    if host == "zone-t1":
        assert config["role"] == "pick_zone" and config["zone"] == "T"
        assert set(config["devices"]) == {"scanner", "lights"}
        assert config["devices"]["lights"]["options"]["slots"]["T01-01-A"]["red"] == 2
    else:
        assert config["role"] == "pack_bench"
        assert config["devices"]["scale"]["options"]["port"] == "/dev/fulfil/scale"


def test_service_user_reaches_the_devices(converge: Converge) -> None:
    groups = chroots.in_chroot(converge.roots["bench-t1"], "id", "-nG", "fulfil-edge")
    assert {"input", "dialout", "gpio", "lp"} <= set(groups.stdout.split()), groups.stdout


def test_udev_rules_name_the_devices(converge: Converge) -> None:
    rules = (converge.roots["bench-t1"] / "etc/udev/rules.d/70-fulfil-edge.rules").read_text()
    lines = [line for line in rules.splitlines() if line and not line.startswith("#")]
    assert ('SUBSYSTEM=="input", KERNEL=="event*", ATTRS{idVendor}=="05e0", '
            'ATTRS{idProduct}=="1200", SYMLINK+="fulfil/scanner", GROUP="input", MODE="0660"'
            in lines)
    assert any('SUBSYSTEM=="tty"' in line and 'SYMLINK+="fulfil/scale"' in line
               and 'GROUP="dialout"' in line for line in lines)
    assert any('SUBSYSTEM=="usbmisc"' in line and 'SYMLINK+="fulfil/printer"' in line
               for line in lines)
    # every line is key==value / key+=value / key="value" pairs udev can parse
    pair = re.compile(r'^[A-Z]+(\{[A-Za-z]+\})?(==|\+=|=)"[^"]*"$')
    for line in lines:
        for part in line.split(", "):
            assert pair.match(part), (line, part)
    zone_rules = (converge.roots["zone-t1"] / "etc/udev/rules.d/70-fulfil-edge.rules").read_text()
    assert "fulfil/scale" not in zone_rules and "fulfil/scanner" in zone_rules


def test_device_identity_signed_by_the_fleet_ca(converge: Converge) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    tls = converge.roots["zone-t1"] / "etc/fulfil-edge/tls"
    ca = x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificate((tls / "zone-t1.crt").read_bytes())
    key = load_pem_private_key((tls / "zone-t1.key").read_bytes(), None)
    cert.verify_directly_issued_by(ca)  # raises when the fleet CA did not sign it
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert cert.subject.rfc4514_string() == "CN=zone-t1"
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert oct((tls / "zone-t1.key").stat().st_mode & 0o777) == "0o640"
    # the key never left the device: the controller holds only the CA and issued certificates
    assert not list(converge.pki.rglob("zone-t1.key"))
    assert (converge.pki / "issued" / "zone-t1.crt").is_file()
    # the broker's certificate names the address devices use
    broker = converge.roots["hub-t"] / f"etc/mosquitto/tls/{BROKER}.crt"
    names = x509.load_pem_x509_certificate(broker.read_bytes()).extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    assert BROKER in names.get_values_for_type(x509.DNSName)


def test_broker_config_requires_client_certificates(converge: Converge) -> None:
    etc = converge.roots["hub-t"] / "etc/mosquitto"
    conf = (etc / "mosquitto.conf").read_text().splitlines()
    for line in ("require_certificate true", "use_identity_as_username true",
                 "listener 8883 0.0.0.0", "allow_anonymous false", "autosave_interval 1",
                 "autosave_on_changes false",
                 "listener 1883 127.0.0.1", f"certfile /etc/mosquitto/tls/{BROKER}.crt"):
        assert line in conf, line
    assert "pattern readwrite fulfil/+/%u/#" in (etc / "fulfil.acl").read_text()
    # the same templates run a real broker in test_mosquitto_broker.py


def test_hub_settings_come_from_the_vault(converge: Converge) -> None:
    root = converge.roots["hub-t"]
    env = dict(line.split("=", 1) for line in
               (root / "etc/fulfil-hub/hub.env").read_text().splitlines()
               if line and not line.startswith("#"))
    assert env["FULFIL_SITE"] == SITE
    assert env["FULFIL_MQTT_URL"] == "mqtt://127.0.0.1:1883"
    assert env["FULFIL_DATABASE_URL"] == ("postgresql+psycopg://fulfil:"
                                          "example-staging-db-password-change-me"
                                          "@127.0.0.1:5432/fulfil")
    assert oct((root / "etc/fulfil-hub/hub.env").stat().st_mode & 0o777) == "0o640"
    hub = chroots.in_chroot(root, "/opt/fulfil-hub/venv/bin/fulfil-hub", "--help")
    assert hub.returncode == 0 and "migrate" in hub.stdout, hub.stderr
    hba = (root / "etc/postgresql/15/main/pg_hba.conf").read_text()
    assert "scram-sha-256" in hba and " md5" not in hba and "trust" not in hba


def test_base_system_settings(converge: Converge) -> None:
    zone = converge.roots["zone-t1"]
    assert os.readlink(zone / "etc/localtime") == "/usr/share/zoneinfo/Europe/London"
    chrony = (zone / "etc/chrony/chrony.conf").read_text()
    assert f"server {BROKER} iburst prefer" in chrony and "pool " not in chrony
    hub_chrony = (converge.roots["hub-t"] / "etc/chrony/chrony.conf").read_text()
    assert "allow 10.99.0.0/16" in hub_chrony
    assert "SystemMaxUse=200M" in (zone / "etc/systemd/journald.conf.d/50-fulfil.conf").read_text()
    upgrades = (zone / "etc/apt/apt.conf.d/52fulfil-unattended-upgrades").read_text()
    assert "Debian-Security" in upgrades and "label=Debian," not in upgrades
