"""A local HTTP server that answers like Amazon SP-API and eBay with the published sample
responses, and with scripted failures (status, Retry-After, a stall past the client's
timeout) queued in front of them. It records every request it gets."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.unit.hub.channels.samples import raw

ROUTES = [  # (path test, sample) — first match wins
    (lambda p: p.endswith("/orderItems"), "amazon_spapi_orders_v0_getOrderItems_doc_example"),
    (lambda p: p.endswith("/address"), "amazon_spapi_orders_v0_getOrderAddress_doc_example"),
    (lambda p: p == "/orders/v0/orders", "amazon_spapi_orders_v0_getOrders_doc_example"),
    (lambda p: p == "/sell/fulfillment/v1/order",
     "ebay_sell_fulfillment_getOrders_response_anonymized"),
]


@dataclass
class Failure:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0  # sleep before answering (a timeout for a shorter client timeout)


@dataclass
class Seen:
    at: float
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    answered: int
    method: str = "GET"
    body: object = None


class MarketplaceServer:
    def __init__(self) -> None:
        self.failures: dict[str, deque[Failure]] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._answer(self)

            def do_POST(self) -> None:
                outer._answer(self)

            def do_PUT(self) -> None:
                outer._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> MarketplaceServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, path: str, *failures: Failure) -> None:
        self.failures.setdefault(path, deque()).extend(failures)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            queue = self.failures.get(parts.path)
            failure = queue.popleft() if queue else None
        length = int(handler.headers.get("Content-Length") or 0)
        data = handler.rfile.read(length) if length else b""
        try:
            sent = json.loads(data) if data else None
        except ValueError:
            sent = data
        seen = Seen(time.monotonic(), parts.path, parse_qs(parts.query),
                    {k.lower(): v for k, v in handler.headers.items()}, 0,
                    handler.command, sent)
        self.requests.append(seen)
        if failure is not None:
            time.sleep(failure.stall_s)
            status, body, headers = failure.status, b'{"errors": [{"code": "Scripted"}]}', \
                failure.headers
        else:
            sample = next((name for test, name in ROUTES if test(parts.path)), None)
            if parts.path == "/feeds/2021-06-30/documents":  # constructed, as documented
                status, headers = 200, {}
                body = json.dumps({"feedDocumentId": "doc-1",
                                   "url": f"{self.url}/upload/doc-1"}).encode()
            elif parts.path == "/feeds/2021-06-30/feeds":
                status, body, headers = 202, b'{"feedId": "feed-1"}', {}
            elif handler.command != "GET":  # a push (tracking, stock): accepted
                status, body, headers = 200, b"{}", {}
            elif sample:
                status, body, headers = 200, raw(sample), {}
            else:
                status, body, headers = 404, b"{}", {}
        seen.answered = status
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout), as scripted
