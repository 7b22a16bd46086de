"""Run the API with uvicorn on a background thread (demo and tests)."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI


class ApiServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port,
                                                    log_level="warning",
                                                    timeout_graceful_shutdown=2))
        self.url = f"http://{host}:{port}"
        self.thread = threading.Thread(target=self.server.run, name="api", daemon=True)

    def start(self, timeout: float = 20.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise RuntimeError(f"the API server could not start on {self.url}")
            time.sleep(0.05)
        if not self.server.started:
            raise RuntimeError(f"the API server did not start on {self.url} in {timeout} s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
