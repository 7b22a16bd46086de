"""Debian Bookworm chroots for the converge test: a cached debootstrap base, one copy per host.

The base is built once by make_base_chroot.sh and kept as a tarball (FULFIL_CI_CACHE, default
/var/cache/fulfil-ci); each test run unpacks copies, mounts /proc and /dev into them, and
shares pip and apt download caches from the same cache directory so repeated runs are quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("FULFIL_CI_CACHE", "/var/cache/fulfil-ci"))
BASE_TARBALL = CACHE / "bookworm-base.tar.gz"
MIRROR = os.environ.get("FULFIL_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def mirror_unreachable_reason() -> str | None:
    """Why the Debian mirror cannot be used from here, or None when it answers."""
    url = f"{MIRROR}/dists/bookworm/Release"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            response.read(64)
    except (urllib.error.URLError, OSError) as exc:
        return f"Debian mirror unreachable: GET {url} failed: {exc}"
    return None


def ensure_base() -> Path:
    """The base tarball, made with debootstrap when it is not cached yet."""
    if not BASE_TARBALL.exists():
        subprocess.run([str(HERE / "make_base_chroot.sh"), str(BASE_TARBALL)], check=True,
                       timeout=1500, env={**os.environ, "FULFIL_DEBIAN_MIRROR": MIRROR})
    return BASE_TARBALL


def _mount(args: list[str]) -> None:
    subprocess.run(["mount", *args], check=True)


@contextmanager
def chroots(names: list[str], workdir: Path) -> Iterator[dict[str, Path]]:
    """Unpack one chroot per name, with /proc, /dev and the download caches mounted."""
    base = ensure_base()
    roots: dict[str, Path] = {}
    mounts: list[Path] = []
    pip_cache, apt_cache = CACHE / "pip", CACHE / "apt-archives"
    for folder in (pip_cache, apt_cache / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        for name in names:
            root = workdir / name
            root.mkdir(parents=True)
            subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-xzf", str(base)],
                           check=True)
            roots[name] = root
            shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
            (root / "root" / ".cache" / "pip").mkdir(parents=True, exist_ok=True)
            for source, target, kind in (
                ("proc", root / "proc", ["-t", "proc"]),
                ("/dev", root / "dev", ["--rbind"]),
                (str(pip_cache), root / "root" / ".cache" / "pip", ["--bind"]),
                (str(apt_cache), root / "var" / "cache" / "apt" / "archives", ["--bind"]),
            ):
                _mount([*kind, source, str(target)])
                mounts.append(target)
        yield roots
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "-R", "-l", str(target)], check=False)
        for root in roots.values():
            # never delete through a mount that is still there (/dev, the caches)
            if not _mounts_under(root):
                shutil.rmtree(root, ignore_errors=True)
        if not _mounts_under(workdir):
            shutil.rmtree(workdir, ignore_errors=True)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mountinfo") as info:
        points = [line.split()[4] for line in info]
    return [p for p in points if p.startswith(prefix)]


def in_chroot(root: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command inside a chroot; the caller checks returncode and output."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8", "SYSTEMD_OFFLINE": "1"}
    return subprocess.run(["chroot", str(root), *argv], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
