"""Every shipped firmware profile validates; bad profiles give ConfigError naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import DEFAULT_PROFILES_DIR
from edge.errors import ConfigError
from edge.profiles import (
    LightsProfile,
    PrinterProfile,
    ScaleProfile,
    ScannerProfile,
    load_profile,
    with_overrides,
)

SHIPPED = {
    "zebra-ds2208": ScannerProfile,
    "honeywell-voyager-1250g": ScannerProfile,
    "mettler-toledo-mt-sics": ScaleProfile,
    "mettler-toledo-8217": ScaleProfile,
    "brecknell-scp12": ScaleProfile,
    "cas-continuous": ScaleProfile,
    "adam-equipment": ScaleProfile,
    "dymo-m10-hid": ScaleProfile,
    "epson-tm-t20iii-80mm": PrinterProfile,
    "generic-58mm-escpos": PrinterProfile,
    "zebra-zd421-zpl": PrinterProfile,
    "ptl-rgb-buttons": LightsProfile,
    "ptl-mono": LightsProfile,
}


@pytest.mark.parametrize(("name", "model"), SHIPPED.items())
def test_shipped_profiles_validate(name: str, model: type) -> None:
    profile = load_profile(DEFAULT_PROFILES_DIR, name)
    assert isinstance(profile, model)
    assert profile.vendor and profile.model


def test_every_profile_file_is_known_and_valid() -> None:
    names = {p.stem for p in DEFAULT_PROFILES_DIR.glob("*.yaml")}
    assert set(SHIPPED) <= names
    for name in names:
        load_profile(DEFAULT_PROFILES_DIR, name)


def test_scale_profile_serial_line() -> None:
    profile = load_profile(DEFAULT_PROFILES_DIR, "mettler-toledo-mt-sics", "scale")
    assert isinstance(profile, ScaleProfile)
    assert (profile.serial.baud, profile.serial.bytesize, profile.serial.parity,
            profile.serial.stopbits, profile.serial.eol) == (9600, 8, "N", 1, "\r\n")


def test_every_field_has_a_description() -> None:
    for model in (ScannerProfile, ScaleProfile, LightsProfile, PrinterProfile):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(("text", "key", "reason"), [
    ("kind: scale\nvendor: x\nmodel: y\ndialect: mt_sics\nserial: {baud: fast}\n",
     "serial.baud", "integer"),
    ("kind: scale\nvendor: x\nmodel: y\ndialect: sartorius_sbi\n", "dialect", "toledo_8217"),
    ("kind: scanner\nvendor: x\nmodel: y\nkeyboard_layout: klingon\n",
     "keyboard_layout", "us"),
    ("kind: scanner\nvendor: x\nmodel: y\nterminator: SPACE\n", "terminator", "ENTER"),
    ("kind: lights\nvendor: x\nmodel: y\ncolour_mode: rgb\nbuttons: [confirm, panic]\n",
     "buttons.1", "confirm"),
    ("kind: printer\nvendor: x\nmodel: y\nlanguage: escpos\nescpos_profile: TM-NOPE\n",
     "escpos_profile", "TM-NOPE"),
    ("kind: printer\nvendor: x\nmodel: y\nlanguage: escpos\nbogus: 1\n", "bogus",
     "Extra inputs"),
    ("kind: toaster\nvendor: x\nmodel: y\n", "kind", "tag"),
    ("vendor: x\n", "kind", "kind"),
])
def test_bad_profile_names_file_key_and_reason(tmp_path: Path, text: str, key: str,
                                               reason: str) -> None:
    write(tmp_path, "bad", text)
    with pytest.raises(ConfigError) as err:
        load_profile(tmp_path, "bad")
    message = str(err.value)
    assert str(tmp_path / "bad.yaml") in message
    assert f": {key}: " in message
    assert reason in message


def test_missing_file_bad_yaml_and_wrong_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothing\.yaml: cannot read"):
        load_profile(tmp_path, "nothing")
    write(tmp_path, "broken", "kind: [scale\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML"):
        load_profile(tmp_path, "broken")
    with pytest.raises(ConfigError, match="kind: expected 'printer'"):
        load_profile(DEFAULT_PROFILES_DIR, "zebra-ds2208", "printer")
    with pytest.raises(ConfigError, match="bad profile name"):
        load_profile(tmp_path, "../etc/passwd")
    write(tmp_path, "list", "- 1\n- 2\n")
    with pytest.raises(ConfigError, match=r"list\.yaml: \(top level\)"):
        load_profile(tmp_path, "list")


def test_options_override_profile_fields() -> None:
    profile = load_profile(DEFAULT_PROFILES_DIR, "mettler-toledo-mt-sics")
    changed = with_overrides(profile, {"min_change_g": 5, "port": "/dev/ttyUSB0"}, "scale")
    assert isinstance(changed, ScaleProfile)
    assert changed.min_change_g == 5
    with pytest.raises(ConfigError, match="scale options: min_change_g"):
        with_overrides(profile, {"min_change_g": -1}, "scale")
