"""Email alerts: the same message as the other channels, through SMTP with the standard library.

Settings (unset by default: nothing is sent):

* ``NEWSARCHIVE_ALERT_EMAIL_TO`` (one address, or several separated by commas) and
  ``NEWSARCHIVE_ALERT_EMAIL_FROM``;
* ``NEWSARCHIVE_ALERT_SMTP_HOST`` and ``NEWSARCHIVE_ALERT_SMTP_PORT`` (587);
* ``NEWSARCHIVE_ALERT_SMTP_USER`` and ``NEWSARCHIVE_ALERT_SMTP_PASSWORD`` (optional, both or
  neither; the password may come from the environment and is never logged);
* ``NEWSARCHIVE_ALERT_SMTP_STARTTLS`` (True): upgrade the connection with STARTTLS before
  anything is sent, and fail (logged) if the server cannot. False only for a relay on the host.
* ``NEWSARCHIVE_ALERT_SMTP_SSL`` (unset: on when the port is 465): TLS from the first byte
  (SMTPS, ``smtplib.SMTP_SSL``) instead of STARTTLS.

Either way the server's certificate is verified against the system's CAs (``SSL_CERT_FILE``
names others), as ``ssl.create_default_context`` does.

The subject is the alert's first line, the body the whole alert, both UTF-8 (Persian intact).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_SMTP_PORT = 587
#: The port of SMTP over TLS from the first byte (RFC 8314): SSL unless said otherwise.
SMTPS_PORT = 465
#: The settings of an email setup; any one of them alone is half a setup.
REQUIRED = ("NEWSARCHIVE_ALERT_EMAIL_TO", "NEWSARCHIVE_ALERT_EMAIL_FROM", "NEWSARCHIVE_ALERT_SMTP_HOST")
LOGIN = ("NEWSARCHIVE_ALERT_SMTP_USER", "NEWSARCHIVE_ALERT_SMTP_PASSWORD")


@dataclass(frozen=True)
class EmailChannel:
    """An SMTP server and the addresses; ``repr`` leaves the password out."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = True
    user: str = ""
    password: str = ""
    smtps: bool = False
    name: str = "email"
    kind: str = "email"

    def __repr__(self) -> str:
        return f"EmailChannel({self.host}:{self.port}, to {', '.join(self.recipients)})"


def email_channel(settings: Any) -> EmailChannel | None:
    """The email channel the settings configure, or None; a half setup is an error."""
    given = [name for name in (*REQUIRED, *LOGIN) if settings.get(name)]
    if not given:
        return None
    missing = [name for name in REQUIRED if not settings.get(name)]
    if missing:
        raise ValueError(f"email alerts need {', '.join(missing)} (given: {', '.join(given)})")
    if bool(settings.get(LOGIN[0])) != bool(settings.get(LOGIN[1])):
        raise ValueError("email alerts need both NEWSARCHIVE_ALERT_SMTP_USER and _PASSWORD, or neither")
    recipients = settings.getlist("NEWSARCHIVE_ALERT_EMAIL_TO")
    port = settings.getint("NEWSARCHIVE_ALERT_SMTP_PORT", DEFAULT_SMTP_PORT) or DEFAULT_SMTP_PORT
    use_ssl = settings.get("NEWSARCHIVE_ALERT_SMTP_SSL")
    return EmailChannel(
        host=str(settings.get("NEWSARCHIVE_ALERT_SMTP_HOST")),
        port=port,
        sender=str(settings.get("NEWSARCHIVE_ALERT_EMAIL_FROM")),
        recipients=tuple(address.strip() for address in recipients if address.strip()),
        starttls=settings.getbool("NEWSARCHIVE_ALERT_SMTP_STARTTLS", True),
        user=str(settings.get(LOGIN[0]) or ""),
        password=str(settings.get(LOGIN[1]) or ""),
        smtps=port == SMTPS_PORT if use_ssl in (None, "") else settings.getbool("NEWSARCHIVE_ALERT_SMTP_SSL"),
    )


def email_message(channel: EmailChannel, text: str) -> EmailMessage:
    """The alert as an email: its first line as the subject, all of it as the UTF-8 body."""
    message = EmailMessage()
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.recipients)
    message["Subject"] = text.split("\n", 1)[0]
    message.set_content(text, charset="utf-8")
    return message


def send_email(channel: EmailChannel, text: str, timeout: float) -> bool:
    """Send the alert; True when the server took it. A failure is logged without the password."""
    try:
        with _connect(channel, timeout) as smtp:
            if channel.starttls and not channel.smtps:
                smtp.starttls(context=ssl.create_default_context())
            if channel.user:
                smtp.login(channel.user, channel.password)
            smtp.send_message(email_message(channel, text))
        return True
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        reason = str(error)
        if channel.password:
            reason = reason.replace(channel.password, "***")
        logger.error("crawl alert to email (%s:%s) failed: %s", channel.host, channel.port, reason)
        return False


def _connect(channel: EmailChannel, timeout: float) -> smtplib.SMTP:
    """The SMTP connection: TLS from the first byte for SMTPS, else plain (STARTTLS comes after)."""
    if channel.smtps:
        return smtplib.SMTP_SSL(
            channel.host, channel.port, timeout=timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(channel.host, channel.port, timeout=timeout)
