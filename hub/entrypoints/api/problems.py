"""Errors as RFC 9457 problem documents: a status, a title and a reason, never a traceback."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from hub.errors import HubError

log = structlog.get_logger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
                  for err in exc.errors()]
        first = errors[0] if errors else {"where": "body", "problem": "invalid"}
        return problem(422, "Invalid input", f"{first['where']}: {first['problem']}",
                       errors=errors)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> JSONResponse:
        # the database refused a value of the request (PostgreSQL: a NUL character in text, a
        # number out of range); the statement is logged, never shown
        log.warning("api_unstorable_value", path=request.url.path, error=str(exc.orig)[:200])
        return problem(422, "Invalid input", "a value in the request cannot be stored or "
                       "searched (a NUL character, or a number out of range)")

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("api_error", path=request.url.path)
        return problem(500, "Internal error", "the hub could not complete the request; "
                       "it has been logged")
