"""API keys: stored as SHA-256 hashes (keys are long random strings, so a fast hash is
enough), each with scopes: channel, courier, ops, device.

A key may be bound to one sales channel: it then sees and changes only that channel's orders.
Rotation makes a new key with the same name, scopes and channel; the old key keeps working
until it is revoked, or until a grace period ends. Revocation takes effect at the next
request (every request looks its key up).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from hub.errors import InvalidInput, NotFound
from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

Scope = Literal["channel", "courier", "ops", "device"]
SCOPES: tuple[Scope, ...] = ("channel", "courier", "ops", "device")
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class ApiKey:
    """What the hub knows about a key (never the key itself)."""

    id: str
    name: str
    scopes: list[str]
    channel: str | None
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None
                                            or _aware(self.expires_at) > now)


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once
    info: ApiKey


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _info(row: Any) -> ApiKey:
    return ApiKey(id=row.id, name=row.name, scopes=list(row.scopes), channel=row.channel,
                  created_at=_aware(row.created_at),
                  revoked_at=None if row.revoked_at is None else _aware(row.revoked_at),
                  expires_at=None if row.expires_at is None else _aware(row.expires_at))


def _check(scopes: list[str], channel: str | None) -> None:
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise InvalidInput(f"scopes must be some of {', '.join(SCOPES)}; got {scopes}")
    if channel is not None:
        if not CHANNEL_NAME.fullmatch(channel):
            raise InvalidInput(f"channel {channel!r} is not a channel name (a-z, 0-9, _.-)")
        if "channel" not in scopes:
            raise InvalidInput("only a key with scope channel can be bound to a channel")


def create_key(uow: UnitOfWork, ctx: HubContext, name: str, scopes: list[str],
               channel: str | None = None) -> str:
    """Create a key and return it; only its hash is stored."""
    return issue_key(uow, ctx, name, scopes, channel).key


def issue_key(uow: UnitOfWork, ctx: HubContext, name: str, scopes: list[str],
              channel: str | None = None) -> NewKey:
    _check(scopes, channel)
    if not name.strip() or len(name) > 100:
        raise InvalidInput("a key name is 1 to 100 characters")
    key = f"ful_{secrets.token_urlsafe(32)}"
    key_id = secrets.token_hex(8)
    uow.repo.add_api_key(key_id, name, hash_key(key), sorted(set(scopes)), ctx.now(),
                         channel=channel)
    uow.commit()
    return NewKey(key, get_key(uow, key_id))


def ensure_key(uow: UnitOfWork, ctx: HubContext, name: str, key: str,
               scopes: list[str]) -> None:
    digest = hash_key(key)
    if uow.repo.api_key_by_hash(digest) is None:
        uow.repo.add_api_key(secrets.token_hex(8), name, digest, scopes, ctx.now())
        uow.commit()


def lookup(uow: UnitOfWork, key: str, now: datetime | None = None) -> ApiKey | None:
    """The key's record when it is known, not revoked and not past its grace period."""
    row = uow.repo.api_key_by_hash(hash_key(key))
    if row is None:
        return None
    info = _info(row)
    return info if info.active(now or datetime.now(UTC)) else None


def scopes_for(uow: UnitOfWork, key: str) -> list[str] | None:
    info = lookup(uow, key)
    return None if info is None else info.scopes


def get_key(uow: UnitOfWork, key_id: str) -> ApiKey:
    row = uow.repo.api_key(key_id)
    if row is None:
        raise NotFound(f"API key {key_id!r} not found")
    return _info(row)


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return [_info(row) for row in uow.repo.api_keys()]


def _find(uow: UnitOfWork, id_or_name: str) -> list[ApiKey]:
    """Keys named by id, or every key of that name (a name may have several after rotation)."""
    keys = list_keys(uow)
    by_id = [k for k in keys if k.id == id_or_name]
    found = by_id or [k for k in keys if k.name == id_or_name and k.revoked_at is None]
    if not found:
        raise NotFound(f"no API key with id or name {id_or_name!r}")
    return found


def rotate_key(uow: UnitOfWork, ctx: HubContext, id_or_name: str,
               grace_s: float | None = None) -> NewKey:
    """A new key with the same name, scopes and channel. The old keys stay valid until
    revoked, or for ``grace_s`` seconds when given (0 ends them at once)."""
    if grace_s is not None and not 0 <= grace_s <= 90 * 86400:
        raise InvalidInput("the grace period is 0 to 90 days (in seconds)")
    now = ctx.now()
    old = [k for k in _find(uow, id_or_name) if k.active(now)]
    if not old:
        raise InvalidInput(f"API key {id_or_name!r} is revoked or expired; create a new one")
    template = old[-1]
    if grace_s is not None:
        ends = now + timedelta(seconds=grace_s)
        for k in old:
            if k.expires_at is None or k.expires_at > ends:
                uow.repo.set_api_key_expiry(k.id, ends)
    return issue_key(uow, ctx, template.name, template.scopes, template.channel)


def revoke_key(uow: UnitOfWork, ctx: HubContext, id_or_name: str) -> list[ApiKey]:
    """Revoke a key by id, or every live key of a name; refused from the next request."""
    found = [k for k in _find(uow, id_or_name) if k.revoked_at is None]
    for k in found:
        uow.repo.revoke_api_key(k.id, ctx.now())
    uow.commit()
    return [get_key(uow, k.id) for k in found]
