"""What queueing channel stock pushes costs a stock change, against a baseline measured in the
same run: the same receipts on a SKU no channel listing tracks (the hook then only looks the
listings up). Then how many pushes one dispatcher pass sends for all those changes.

    python bench/channel_stock_queue.py [changes] [listings]

Runs on a fresh SQLite file in a temporary folder (FULFIL_BENCH_DATABASE_URL to use another
database of its own, e.g. postgresql+psycopg://postgres@127.0.0.1/fulfil_bench: its tables
are dropped first, so never point it at a database in use).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from hub.adapters.channels import EbayAdapter
from hub.adapters.channels.http import ChannelHttp
from hub.adapters.orm import metadata
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import channel_commands as cc
from hub.domain import commands
from hub.service_layer.channels.push_dispatcher import ChannelPushDispatcher


@contextmanager
def channel() -> Iterator[tuple[str, list[int]]]:
    """A local channel that accepts every push and counts them."""
    seen: list[int] = []

    class Accept(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(1)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def receipts(hub: Hub, sku: str, changes: int) -> list[float]:
    times = []
    for _ in range(changes):
        start = time.perf_counter()
        hub.handle(commands.ReceiveStock(sku, "A-1", 1))
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(changes: int, listings: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("FULFIL_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        hub = bootstrap(Settings(database_url=url, site="bench", auto_migrate=False))
        metadata.drop_all(hub.engine)
        metadata.create_all(hub.engine)
        try:
            for sku in ("TRACKED", "PLAIN"):
                hub.handle(commands.AddSku(sku, sku, f"50{len(sku):011d}", 100.0))
            hub.handle(commands.AddLocation("A-1", "A", 1))
            for n in range(listings):
                hub.handle(cc.TrackChannelStock("ebay", f"L{n}", "TRACKED"))
            receipts(hub, "PLAIN", 20)  # warm-up
            receipts(hub, "TRACKED", 20)
            plain = receipts(hub, "PLAIN", changes)
            tracked = receipts(hub, "TRACKED", changes)
            with channel() as (base, seen):
                http = ChannelHttp(base, "tok", max_retries=0)
                dispatcher = ChannelPushDispatcher(hub.uow, hub.ctx,
                                                   {"ebay": (EbayAdapter(), http)})
                start = time.perf_counter()
                report = dispatcher.dispatch_once()
                pass_ms = (time.perf_counter() - start) * 1000
        finally:
            hub.stop()
    p50_plain, p50_tracked = statistics.median(plain), statistics.median(tracked)
    print(f"database: {url.split(':')[0]}; {changes} receipts each; {listings} listings")
    print(f"receipt, SKU with no listing  p50 {p50_plain:.2f} ms")
    print(f"receipt, SKU with {listings} listings p50 {p50_tracked:.2f} ms "
          f"(x{p50_tracked / p50_plain:.2f} of the baseline)")
    print(f"one dispatcher pass: {len(report.pushed)} listings pushed in {len(seen)} HTTP "
          f"calls for {changes + 20} changes, {pass_ms:.1f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [500, 3][len(args):]))
