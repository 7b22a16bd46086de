"""Build hook: the firmware profiles (firmware_profiles/ at the top of the source tree) go
into wheels as package data of ``edge.firmware_profiles``, where edge.config finds them.

Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PROFILES = Path(__file__).resolve().parent / "firmware_profiles"


class BuildPyWithProfiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the source tree's folder
            return
        target = Path(self.build_lib) / "edge" / "firmware_profiles"
        target.mkdir(parents=True, exist_ok=True)
        for source in [*sorted(PROFILES.glob("*.yaml")), PROFILES / "README.md"]:
            shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithProfiles})
