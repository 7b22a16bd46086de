"""A local HTTP server standing in for a courier API: it replays published responses (or
answers from a handler), and can fail or stall on demand."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

Reply = tuple[int, Any]  # (status, body: dict/list -> JSON, bytes -> raw)
Handler = Callable[["Seen"], Reply]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ReplayServer:
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def on(self, method: str, pattern: str, reply: Reply | Handler) -> None:
        handler = reply if callable(reply) else (lambda _seen, r=reply: r)
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def requests(self, method: str, pattern: str) -> list[Seen]:
        return [s for s in self.seen
                if s.method == method and re.fullmatch(pattern, unquote(s.path.split("?")[0]))]


class Stall(Exception):
    """Raised by a handler: hold the connection past the client's timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _handler_class(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            seen = Seen(self.command, self.path, dict(self.headers), body)
            server.seen.append(seen)
            path = unquote(self.path.split("?")[0])
            for method, pattern, handler in server.routes:
                if method == self.command and pattern.fullmatch(path):
                    try:
                        status, payload = handler(seen)
                    except Stall as stall:
                        time.sleep(stall.seconds)
                        return
                    break
            else:
                status, payload = 404, {"error": f"no route for {self.command} {path}"}
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            kind = "application/octet-stream" if isinstance(payload, bytes) else \
                "application/json"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout under test)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return H


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    state = ReplayServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
