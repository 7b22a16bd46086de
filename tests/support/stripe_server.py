"""A local HTTP server that answers Stripe's refund endpoint and records the requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class StripeServer:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    refuse: bool = False


@contextmanager
def stripe_server() -> Iterator[StripeServer]:
    state = StripeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            state.requests.append({"path": self.path, "form": form,
                                   "auth": self.headers.get("Authorization"),
                                   "idempotency_key": self.headers.get("Idempotency-Key")})
            if state.refuse:
                status, answer = 400, {"error": {"type": "invalid_request_error",
                                                 "message": "Charge has already been refunded."}}
            else:
                status, answer = 200, {"id": f"re_{len(state.requests)}", "object": "refund",
                                       "amount": int(form.get("amount", 0)),
                                       "payment_intent": form.get("payment_intent"),
                                       "status": "succeeded"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
