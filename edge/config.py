"""The agent's own config file (YAML), validated with pydantic.

Example (pick zone, every device simulated)::

    device_id: zone-a
    site: demo
    role: pick_zone
    zone: A
    mqtt_url: mqtt://127.0.0.1:1883
    outbox_path: /var/lib/fulfil-edge/outbox.sqlite
    devices:
      scanner: {profile: zebra-ds2208, simulate: true}
      lights:
        profile: ptl-rgb-buttons
        simulate: true
        options: {slots: {A01-01-A: {red: 2, green: 3, blue: 4, confirm: 5, short: 6}}}
    simulate_operator: true
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.errors import ConfigError
from edge.yaml_files import first_error, read_yaml

# The shipped profiles: edge/firmware_profiles is a link to the top-level firmware_profiles/
# in the source tree and a real folder (package data) in a wheel install.
DEFAULT_PROFILES_DIR = Path(__file__).resolve().parent / "firmware_profiles"


class DeviceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: str = Field(description="file name (without .yaml) in firmware_profiles/")
    simulate: bool = Field(default=False, description="use the simulator at the lowest layer")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="driver settings: port, path, slots, host ...")


class PackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tolerance_g: float = Field(default=20.0, ge=0, description="absolute weight tolerance")
    tolerance_pct: float = Field(default=3.0, ge=0, description="relative tolerance, % of expected")


class MqttTls(BaseModel):
    """Client-certificate TLS to the broker (mqtts:// URLs); the certificate's common name is
    the device's broker username."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path = Field(description="CA that signed the broker's certificate")
    cert_file: Path | None = Field(default=None, description="this device's certificate")
    key_file: Path | None = Field(default=None, description="this device's private key")


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    site: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    role: Literal["pick_zone", "pack_bench"]
    zone: str | None = None
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_tls: MqttTls | None = Field(default=None, description="TLS files for mqtts:// URLs")
    outbox_path: Path = Path("fulfil-edge-outbox.sqlite")
    outbox_sync: Literal["full", "normal"] = Field(
        default="full", description="full: fsync every commit (events survive power loss); "
        "normal: survive kill -9 and crashes, faster commits, last events may go on power loss")
    profiles_dir: Path = DEFAULT_PROFILES_DIR
    health_interval_s: float = Field(default=30.0, gt=0)
    devices: dict[Literal["scanner", "scale", "lights", "printer"], DeviceConfig]
    pack: PackSettings = Field(default_factory=PackSettings)
    simulate_operator: bool = Field(
        default=False, description="a simulated picker/packer works the simulated devices")
    operator: str | None = None


def load_config(path: Path) -> AgentConfig:
    data = read_yaml(path)
    try:
        return AgentConfig.model_validate(data)
    except ValidationError as exc:
        key, reason = first_error(exc)
        raise ConfigError(f"{path}: {key}: {reason}") from None
