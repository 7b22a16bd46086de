"""A wheel carries the firmware profiles, and an installed wheel's agent finds them.

Builds the wheel with pip from a copy of the source tree (so nothing is written into the
checkout), unpacks it (a pure-Python wheel install is an unzip) and imports edge from there
in a fresh interpreter that does not see the checkout or an editable install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from edge.config import DEFAULT_PROFILES_DIR

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ["edge", "hub", "firmware_profiles", "pyproject.toml", "README.md"]


def build_wheel(tmp_path: Path) -> Path:
    tree = tmp_path / "src"
    tree.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite*")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(source, tree / name)
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(tree)], check=True, timeout=240)
    (wheel,) = out.glob("fulfil-*.whl")
    return wheel


def test_the_checkout_uses_its_top_level_folder() -> None:
    assert DEFAULT_PROFILES_DIR.resolve() == ROOT / "firmware_profiles"


def test_wheel_ships_profiles_and_the_installed_agent_finds_them(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    shipped = {p.name for p in (ROOT / "firmware_profiles").iterdir()
               if p.suffix == ".yaml" or p.name == "README.md"}
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        in_wheel = {Path(n).name for n in names if n.startswith("edge/firmware_profiles/")}
        assert in_wheel == shipped
        assert not any(n.startswith("firmware_profiles/") for n in names)
        site = tmp_path / "site"
        archive.extractall(site)
    env_paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *env_paths])}
    script = ("import edge.config as c, edge.profiles as p;"
              "print(c.__file__); print(c.DEFAULT_PROFILES_DIR);"
              "print(p.load_profile(c.DEFAULT_PROFILES_DIR, 'zebra-ds2208', 'scanner').model)")
    # -S: no site-packages .pth files, so neither the checkout nor an editable install is seen
    result = subprocess.run([sys.executable, "-S", "-c", script], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    module, profiles_dir, model = result.stdout.splitlines()
    assert module == str(site / "edge" / "config.py")
    assert profiles_dir == str(site / "edge" / "firmware_profiles")
    assert model == "DS2208"
