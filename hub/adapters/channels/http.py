"""HTTP to a channel's API with rate limits honoured: 429 waits for Retry-After, 5xx and
timeouts back off exponentially, 401/403 stop at once (a credential problem retrying cannot
fix). Every base URL is configurable, so tests point it at a local server."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from hub.adapters.channels.base import load_json
from hub.errors import HubError

log = structlog.get_logger(__name__)
MAX_WAIT_S = 120.0


class ChannelApiError(HubError):
    status = 502
    title = "Channel API error"


class ChannelAuthError(ChannelApiError):
    title = "Channel API refused the credentials"


class ChannelHttp:
    def __init__(self, base_url: str, token: str | None, *, timeout_s: float = 20.0,
                 max_retries: int = 5, backoff_s: float = 1.0,
                 auth_header: str = "Authorization", auth_prefix: str = "Bearer ",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        headers = {"Accept": "application/json"}
        if token:
            headers[auth_header] = f"{auth_prefix}{token}"
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def local(self, url: str) -> str:
        """A link the API returned (absolute, on the channel's host) as a path on our base."""
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> Any:
        attempt = 0
        while True:
            try:
                response = self.client.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:  # timeouts, refused connections
                reason = f"{type(exc).__name__}: {exc}"
                wait = self._backoff(attempt)
            else:
                if response.status_code < 300:
                    return load_json(response.content) if response.content else None
                if response.status_code in (401, 403):
                    raise ChannelAuthError(f"{method} {path}: {response.status_code} "
                                           f"{response.text[:200]}")
                if response.status_code == 429:
                    reason = "429 rate limited"
                    wait = self._retry_after(response) or self._backoff(attempt)
                elif response.status_code >= 500:
                    reason = f"{response.status_code} server error"
                    wait = self._backoff(attempt)
                else:
                    raise ChannelApiError(f"{method} {path}: {response.status_code} "
                                          f"{response.text[:200]}")
            if attempt >= self.max_retries:
                raise ChannelApiError(f"{method} {path}: gave up after {attempt + 1} "
                                      f"attempts ({reason})")
            log.warning("channel_api_retry", path=path, reason=reason, wait_s=wait,
                        attempt=attempt + 1)
            self.sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return float(min(MAX_WAIT_S, self.backoff_s * 2 ** attempt))

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return min(MAX_WAIT_S, max(0.0, float(value)))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return min(MAX_WAIT_S, max(0.0, when.timestamp() - time.time()))
