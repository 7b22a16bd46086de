"""A real SMTP server for tests (aiosmtpd on a free port): STARTTLS with a test CA, login,
and a switch that makes it refuse the next messages with a temporary error."""

from __future__ import annotations

import email
import email.policy
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hub.adapters.embedded_broker import free_port

USER, PASSWORD = "shop", "s3cret"


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: str  # the test CA, for the hub's smtp_ca_file
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse_next: int = 0  # answer this many DATA commands with 451
    refused: int = 0
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
                and auth_data.password.decode() == PASSWORD:
            self.logins.append(USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message for _, message in self.received]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.messages())}: "
                             f"{[m['Subject'] for m in self.messages()]}")


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """STARTTLS required and login required (only over TLS), as a real relay would."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_tls)
    folder = tempfile.TemporaryDirectory()
    ca_file = Path(folder.name) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    state = SmtpServer("127.0.0.1", free_port(), str(ca_file))
    controller = Controller(state, hostname=state.host, port=state.port,
                            tls_context=server_tls, require_starttls=True,
                            auth_required=True, authenticator=state.authenticate)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
        folder.cleanup()
