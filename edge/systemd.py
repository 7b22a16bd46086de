"""systemd ``Type=notify`` support: READY/STOPPING/STATUS and a conditional watchdog.

sd_notify is one datagram on the unix socket named by ``$NOTIFY_SOCKET`` (a leading ``@``
is the abstract namespace), so the stdlib socket module is enough. The watchdog is fed
(``WATCHDOG=1``, every half of ``$WATCHDOG_USEC``) only while the health check reports no
dead loop; when a device loop or the link dies the feeding stops and systemd restarts the
unit after ``WatchdogSec``. Example unit::

    [Service]
    Type=notify
    ExecStart=/usr/local/bin/fulfil-edge run -c /etc/fulfil-edge/agent.yaml
    WatchdogSec=30
    NotifyAccess=main
    Restart=on-failure
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping

import structlog

log = structlog.get_logger(__name__)


class SystemdNotifier:
    def __init__(self, address: str) -> None:
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemdNotifier | None:
        """A notifier when run by systemd with Type=notify, else None."""
        address = (env if env is not None else os.environ).get("NOTIFY_SOCKET", "")
        return cls(address) if address else None

    def notify(self, *lines: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; False (logged) when it cannot."""
        try:
            self._sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as exc:
            log.warning("sd_notify_failed", address=self.address, error=str(exc))
            return False
        return True

    def close(self) -> None:
        self._sock.close()


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between two feeds (half the watchdog timeout), None without a watchdog."""
    env = env if env is not None else os.environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None  # the watchdog is meant for another process
    return int(usec) / 2_000_000


class WatchdogFeeder:
    """Feeds the watchdog while ``dead_loops()`` is empty; reports the dead loops otherwise."""

    def __init__(self, notifier: SystemdNotifier, interval_s: float,
                 dead_loops: Callable[[], list[str]]) -> None:
        self.notifier = notifier
        self.interval_s = interval_s
        self.dead_loops = dead_loops
        self.fed = 0
        self.withheld = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        was_healthy = True
        while not self._stop.wait(self.interval_s):
            try:
                dead = self.dead_loops()
            except Exception as exc:  # a failing health check is a failed health check
                dead = [f"health check: {exc}"]
            if dead:
                self.withheld += 1
                if was_healthy:
                    log.error("watchdog_withheld", dead=dead)
                    self.notifier.notify(f"STATUS=dead loops: {', '.join(dead)}")
                was_healthy = False
                continue
            if not was_healthy:
                self.notifier.notify("STATUS=running")
            was_healthy = True
            if self.notifier.notify("WATCHDOG=1"):
                self.fed += 1
