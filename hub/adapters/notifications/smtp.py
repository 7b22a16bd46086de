"""The notifier that e-mails customer messages over SMTP (STARTTLS or implicit TLS, and
login when a user name is set), as multipart/alternative: plain text and HTML."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import structlog

from hub.adapters.notifications.base import Notifier
from hub.config import Settings
from hub.messages.render import render

log = structlog.get_logger(__name__)


def message_id_for(key: str, sender: str) -> str:
    """One Message-ID per idempotency key: a resend after a crash carries the same id, so
    mail systems can drop the duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpNotifier(Notifier):
    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = True,
                 implicit_tls: bool = False, username: str | None = None,
                 password: str | None = None, timeout_s: float = 20.0,
                 reply_to: str | None = None, ops_email: str | None = None,
                 templates_dir: str | None = None, default_language: str = "en",
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.implicit_tls = starttls, implicit_tls
        self.username, self.password = username, password
        self.timeout_s, self.reply_to, self.ops_email = timeout_s, reply_to, ops_email
        self.templates_dir, self.default_language = templates_dir, default_language
        self.tls_context = tls_context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpNotifier:
        assert settings.smtp_host is not None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(settings.smtp_host, settings.smtp_port, settings.message_from,
                   starttls=settings.smtp_starttls, implicit_tls=settings.smtp_ssl,
                   username=settings.smtp_username, password=password,
                   timeout_s=settings.smtp_timeout_s, reply_to=settings.message_reply_to,
                   ops_email=settings.ops_email, templates_dir=settings.message_templates_dir,
                   default_language=settings.message_default_language,
                   tls_context=ssl.create_default_context(cafile=settings.smtp_ca_file))

    def build(self, template: str, to: str, context: dict[str, Any]) -> EmailMessage:
        rendered = render(template, context, channel=context.get("channel") or "default",
                          language=context.get("language") or self.default_language,
                          default_language=self.default_language,
                          override_dir=self.templates_dir)
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = self.sender
        message["To"] = to
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = context.get("message_id") or make_msgid()
        if context.get("message_key"):
            message["X-Fulfil-Message-Key"] = str(context["message_key"])
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, template: str, to: str | None, context: dict[str, Any]) -> None:
        recipient = to or self.ops_email
        if not recipient:
            log.info("message_without_recipient", template=template,
                     order_id=context.get("order_id"))
            return
        Address(addr_spec=parseaddr(recipient)[1])  # raises on an address SMTP would refuse
        message = self.build(template, recipient, context)
        smtp_class = smtplib.SMTP_SSL if self.implicit_tls else smtplib.SMTP
        kwargs: dict[str, Any] = {"timeout": self.timeout_s}
        if self.implicit_tls:
            kwargs["context"] = self.tls_context
        with smtp_class(self.host, self.port, **kwargs) as smtp:
            smtp.ehlo()
            if self.starttls and not self.implicit_tls:
                smtp.starttls(context=self.tls_context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
        log.info("customer_message_sent", template=template, to=recipient,
                 order_id=context.get("order_id"), message_id=message["Message-ID"])
