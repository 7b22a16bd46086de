"""API keys: stored as SHA-256 hashes (keys are long random strings, so a fast hash is
enough), each with scopes: channel, courier, ops, device."""

from __future__ import annotations

import hashlib
import secrets

from hub.service_layer.context import HubContext
from hub.service_layer.unit_of_work import UnitOfWork

SCOPES = ("channel", "courier", "ops", "device")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(uow: UnitOfWork, ctx: HubContext, name: str, scopes: list[str]) -> str:
    """Create a key and return it; only its hash is stored."""
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {scopes}")
    key = f"ful_{secrets.token_urlsafe(32)}"
    ensure_key(uow, ctx, name, key, scopes)
    return key


def ensure_key(uow: UnitOfWork, ctx: HubContext, name: str, key: str,
               scopes: list[str]) -> None:
    digest = hash_key(key)
    if uow.repo.api_key_by_hash(digest) is None:
        uow.repo.add_api_key(secrets.token_hex(8), name, digest, scopes, ctx.now())
        uow.commit()


def scopes_for(uow: UnitOfWork, key: str) -> list[str] | None:
    row = uow.repo.api_key_by_hash(hash_key(key))
    return None if row is None else list(row.scopes)
