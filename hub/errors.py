"""Errors of the hub. Each maps to one HTTP status in the API and carries a clear reason."""

from __future__ import annotations


class HubError(Exception):
    """Base of every hub error; ``status`` is the HTTP status the API answers with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(HubError, LookupError):
    status = 404
    title = "Not found"


class Conflict(HubError):
    status = 409
    title = "Conflict"


class InvalidInput(HubError, ValueError):
    status = 422
    title = "Invalid input"


class OutOfStock(Conflict):
    title = "Not enough stock"


class InvalidTransition(Conflict):
    title = "Not allowed in the order's current state"


class Unauthorized(HubError):
    status = 401
    title = "Unauthorized"


class Forbidden(HubError):
    status = 403
    title = "Forbidden"


class ConfigError(HubError, ValueError):
    """Settings that cannot work (a taken port, a bad URL); shown to the user as is."""
