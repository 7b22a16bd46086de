"""A cap on request bodies: a declared Content-Length over the cap is answered 413 before
any of the body is read; a body sent without a length stops being read at the cap."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.entrypoints.api.problems import PROBLEM


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodySizeLimit:
    """ASGI middleware; ``max_bytes`` comes from the setting FULFIL_API_MAX_BODY_BYTES."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._refuse(send, 400, "Bad request", "Content-Length is not a number")
                return
            if length > self.max_bytes:
                await self._refuse(send, 413, "Request body too large",
                                   f"the request body of {length} bytes is larger than "
                                   f"{self.max_bytes} bytes")
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send: Send, status: int, title: str, detail: str) -> None:
        body = json.dumps({"type": "about:blank", "title": title, "status": status,
                           "detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", PROBLEM.encode()),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
