"""On-disk outbox of events waiting for the hub's application-level ack (SQLite, WAL).

Events are written before they are published and deleted only when an ``Ack`` names their
``msg_id``; a broker PUBACK proves nothing about the hub. The same file keeps the small
state the agent must not lose on ``kill -9``: the birth/death counter and the held pick
tasks / pack jobs (a key-value table written in the same transaction as the events).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RESEND_BACKOFF_DOUBLINGS = 3  # the longest resend wait is resend_after_s x 2**3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    sends INTEGER NOT NULL DEFAULT 0,
    last_sent_at REAL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    msg_id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    dead_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class OutboxItem:
    """One stored event: ``payload`` is the JSON text as first encoded."""

    msg_id: str
    topic: str
    payload: str
    sends: int = 0

    def wire_payload(self) -> bytes:
        """The bytes to publish now: a resend carries ``replay: true`` and the same msg_id."""
        if self.sends == 0:
            return self.payload.encode()
        data = json.loads(self.payload)
        data["replay"] = True
        return json.dumps(data, separators=(",", ":")).encode()


class Outbox:
    """Thread-safe: one connection guarded by a lock (SQLite serialises writers anyway)."""

    def __init__(self, path: Path | str, synchronous: Literal["full", "normal"] = "full") -> None:
        """``synchronous="full"`` fsyncs every commit (survives power loss); ``"normal"``
        survives kill -9 and agent crashes but may lose the last commits on power loss."""
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    # --- events ---------------------------------------------------------------------------

    def add(self, items: Iterable[OutboxItem], state: Mapping[str, str] | None = None) -> None:
        """Store events (and optional state) in one transaction; duplicates are ignored."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox (msg_id, topic, payload, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    [(i.msg_id, i.topic, i.payload, now) for i in items],
                )
                for key, value in (state or {}).items():
                    self._set(key, value)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def due(self, resend_after_s: float, limit: int = 200) -> list[OutboxItem]:
        """Events never sent, or whose resend wait is over, oldest first.

        The wait doubles with every send (``resend_after_s`` x 1, 2, 4, up to 8): a hub
        that is behind gets each waiting event a few more times, not every
        ``resend_after_s``, which would bury it in duplicates and stop it catching up."""
        now = time.time()
        with self._lock:
            rows = self._db.execute(
                "SELECT msg_id, topic, payload, sends FROM outbox "
                "WHERE last_sent_at IS NULL "
                "OR last_sent_at + ? * (1 << MIN(MAX(sends - 1, 0), ?)) <= ? "
                "ORDER BY id LIMIT ?",
                (resend_after_s, RESEND_BACKOFF_DOUBLINGS, now, limit),
            ).fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3]) for r in rows]

    def pending(self) -> list[OutboxItem]:
        """Every stored event, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT msg_id, topic, payload, sends FROM outbox ORDER BY id").fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3]) for r in rows]

    def mark_sent(self, msg_ids: Iterable[str]) -> None:
        now = time.time()
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET sends = sends + 1, last_sent_at = ? WHERE msg_id = ?",
                [(now, m) for m in msg_ids],
            )

    def reset_sent(self) -> None:
        """After a reconnect every un-acked event is due again at once (still a replay)."""
        with self._lock:
            self._db.execute("UPDATE outbox SET last_sent_at = NULL")

    def ack(self, msg_ids: Iterable[str]) -> int:
        """Delete acked events; returns how many were ours."""
        with self._lock:
            cur = self._db.executemany("DELETE FROM outbox WHERE msg_id = ?",
                                       [(m,) for m in msg_ids])
            return cur.rowcount

    def dead_letter(self, msg_id: str, reason: str) -> bool:
        """Move an event the hub rejected out of the queue, keeping it for inspection."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT topic, payload FROM outbox WHERE msg_id = ?",
                                       (msg_id,)).fetchone()
                if row is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?, ?)",
                        (msg_id, row[0], row[1], reason, time.time()))
                    self._db.execute("DELETE FROM outbox WHERE msg_id = ?", (msg_id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return row is not None

    def dead_letters(self) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT msg_id, topic, reason FROM dead_letters ORDER BY dead_at").fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def depth(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(row[0])

    # --- small persistent state -----------------------------------------------------------

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._set(key, value)

    def _set(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO kv (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def next_bdseq(self) -> int:
        """Increment and persist the birth/death counter; returns the new value."""
        with self._lock:
            current = self.get("bdseq")
            value = 0 if current is None else int(current) + 1
            self._set("bdseq", str(value))
        return value

    def close(self) -> None:
        with self._lock:
            self._db.close()
