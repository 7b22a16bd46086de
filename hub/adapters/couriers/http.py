"""Shared HTTP plumbing for courier adapters: one httpx client per adapter on a configurable
base URL, with transport failures mapped onto the port's error classes."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import httpx
import structlog

from hub.adapters.couriers.base import (
    Courier,
    CourierBadAnswer,
    CourierRejected,
    CourierTimeout,
    CourierUnavailable,
)

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
UNREADABLE = (KeyError, IndexError, TypeError, ValueError, AttributeError, StopIteration,
              binascii.Error, OverflowError)


def courier_answer(courier: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a parser of a courier's answer raise only CourierError: a shape it cannot read
    (missing keys, wrong types, bad dates or base64) becomes CourierBadAnswer."""

    def wrap(parse: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(parse)
        def parsed(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return parse(*args, **kwargs)
            except UNREADABLE as exc:
                raise CourierBadAnswer(courier, f"unreadable answer ({parse.__name__}): "
                                       f"{type(exc).__name__}: {exc}"[:500]) from exc

        return parsed

    return wrap


class CourierHttp:
    """An HTTP client on one base URL whose failures are courier errors."""

    def __init__(self, name: str, base_url: str, *, token: str = "", timeout_s: float = 10.0,
                 headers: dict[str, str] | None = None) -> None:
        self.name = name
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s,
                                   headers={**auth, **(headers or {})})

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, *, json: Any = None,
             params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = self.client.request(method, path, json=json, params=params,
                                           headers=headers)
        except httpx.TimeoutException as exc:
            raise CourierTimeout(self.name, f"{method} {path} timed out") from exc
        except httpx.TransportError as exc:
            raise CourierUnavailable(self.name, f"{method} {path} failed: {exc}") from exc
        if response.status_code >= 500:
            raise CourierUnavailable(self.name, f"{method} {path} answered "
                                     f"{response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise CourierRejected(self.name, f"{method} {path} answered "
                                  f"{response.status_code}: {response.text[:500]}")
        return response

    def call_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise CourierUnavailable(self.name, f"{method} {path}: not JSON") from exc


class HttpCourier(Courier):
    """A courier adapter talking to one base URL."""

    def __init__(self, base_url: str, *, token: str = "", timeout_s: float = 10.0,
                 headers: dict[str, str] | None = None) -> None:
        self.http = CourierHttp(self.name, base_url, token=token, timeout_s=timeout_s,
                                headers=headers)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.call(method, path, **kwargs)

    def call_json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.http.call_json(method, path, **kwargs)

    def close(self) -> None:
        self.http.close()


def b64(data: str) -> bytes:
    return base64.b64decode(data)
