"""Alerts where people read them: Telegram, a Slack-compatible webhook, a plain JSON webhook.

Spidermon ships Telegram and Slack actions, but its Telegram action puts the text,
unescaped, in a GET URL with Markdown parsing (a Persian message with ``&`` or a
rule named ``image_url`` breaks it) and its Slack action needs a bot token and
``slack_sdk`` rather than a webhook. :class:`SendCrawlAlert` is a thin Spidermon action
of ours instead: one JSON POST per channel with the standard library.

Settings (all unset by default: nothing is sent):

* ``NEWSARCHIVE_ALERT_TELEGRAM_TOKEN`` and ``NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID``; the
  API at ``NEWSARCHIVE_ALERT_TELEGRAM_API`` (default ``https://api.telegram.org``).
* ``NEWSARCHIVE_ALERT_SLACK_URL``: a Slack (or Mattermost, Discord ``/slack``) incoming webhook.
* ``NEWSARCHIVE_ALERT_WEBHOOK_URL``: a plain JSON POST with the run and its problems.
* ``NEWSARCHIVE_ALERT_EMAIL_TO`` and the SMTP settings of :mod:`newsarchive.monitors.mail`.
* ``NEWSARCHIVE_ALERT_LANGUAGE``: ``fa`` or ``en`` (default ``en``).
* ``NEWSARCHIVE_ALERT_REPEAT_HOURS`` (24): a rule still failing is announced again only
  after this long (see :mod:`newsarchive.archive.alerts`).

The bot token is never logged: it is part of Telegram's URL, so errors are told without it.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from spidermon.core.actions import Action
from spidermon.exceptions import SkipAction

from newsarchive.archive import Archive, ArchiveError, resolve_db_path
from newsarchive.archive.alerts import alerted_since, remember_alerts
from newsarchive.health import counts_text, field_errors_text
from newsarchive.monitors.mail import EmailChannel, email_channel, send_email
from newsarchive.monitors.suite import VERDICT, rule_of

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "fa")
DEFAULT_TELEGRAM_API = "https://api.telegram.org"
DEFAULT_REPEAT_HOURS = 24.0
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Channel:
    """Where an alert goes: ``name`` for the logs (never the URL), ``secret`` scrubbed from errors."""

    name: str
    url: str
    kind: str
    chat_id: str = ""
    secret: str = ""


def alert_channels(settings: Any) -> list[Channel | EmailChannel]:
    """The channels the settings configure (none by default); half a Telegram or email setup is an error."""
    channels: list[Channel | EmailChannel] = []
    token = settings.get("NEWSARCHIVE_ALERT_TELEGRAM_TOKEN")
    chat_id = settings.get("NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID")
    if bool(token) != bool(chat_id):
        raise ValueError("Telegram alerts need both NEWSARCHIVE_ALERT_TELEGRAM_TOKEN and _CHAT_ID")
    if token:
        api = (settings.get("NEWSARCHIVE_ALERT_TELEGRAM_API") or DEFAULT_TELEGRAM_API).rstrip("/")
        url = f"{api}/bot{token}/sendMessage"
        channels.append(Channel("telegram", url, "telegram", chat_id=str(chat_id), secret=str(token)))
    if slack := settings.get("NEWSARCHIVE_ALERT_SLACK_URL"):
        channels.append(Channel("slack webhook", slack, "slack", secret=slack))
    if webhook := settings.get("NEWSARCHIVE_ALERT_WEBHOOK_URL"):
        channels.append(Channel("webhook", webhook, "webhook"))
    if email := email_channel(settings):
        channels.append(email)
    language = settings.get("NEWSARCHIVE_ALERT_LANGUAGE") or "en"
    if language not in LANGUAGES:
        raise ValueError(f"NEWSARCHIVE_ALERT_LANGUAGE: {language!r}; one of {', '.join(LANGUAGES)}")
    return channels


# --- the message ---------------------------------------------------------------------------


def _persian(problem: dict[str, Any], site: str) -> str:
    """A rule's sentence in Persian, with the same numbers; health.py's English otherwise."""
    check = problem["check"]
    if check == "coverage":
        return (
            f"{site}: فیلد {problem['field']} فقط در {problem['share']:.0%} از {problem['articles']} خبر؛ "
            f"دست‌کم {problem['limit']:.0%} لازم است"
        )
    if check == "extraction-drops":
        return (
            f"{site}: {problem['share']:.0%} از {problem['pages']} صفحهٔ خبر در استخراج کنار گذاشته شد؛ "
            f"حداکثر {problem['limit']:.0%} مجاز است"
        )
    if check == "blocked":
        return f"سایت {site} {problem['blocked']} درخواست از {problem['requests']} را مسدود کرد؛ این یک روز آرام نیست"
    if check == "nothing-kept":
        return (
            f"{site}: نقشه‌های سایت و فیدها {problem['listed_new']} خبر تازه فهرست کردند ولی هیچ‌کدام ذخیره نشد"
        )
    if check == "errors":
        raised = problem["spider_exceptions"]
        exceptions = f" (استثناهای اسپایدر: {counts_text(raised, '، ')})" if raised else ""
        return (
            f"{site}: {problem['errors']} خطا در گزارش این اجرا ثبت شد{exceptions}؛ "
            f"حداکثر {problem['limit']} مجاز است"
        )
    if check == "failed-requests":
        return (
            f"{site}: {problem['failed']} درخواست از {problem['requests']} پس از همهٔ تلاش‌های دوباره "
            f"ناموفق ماند ({counts_text(problem['reasons'], '، ')})؛ حداکثر {problem['limit']:.0%} مجاز است"
        )
    if check == "item-validation":
        return (
            f"{site}: {problem['invalid_items']} خبر از {problem['items']} در اعتبارسنجی رد شد، "
            f"{problem['errors']} خطای طرح‌واره ({field_errors_text(problem['fields'], '، ')})؛ "
            f"حداکثر {problem['limit']} مجاز است"
        )
    return str(problem["message"])


def alert_text(verdict: dict[str, Any], problems: list[dict[str, Any]], db_path: str, language: str) -> str:
    """The alert: site, run, each failed rule with its numbers, and the command that shows the run."""
    site, run_id, status = verdict["site"], verdict["id"], verdict["status"] or "failed"
    command = f"newsarchive runs --db {db_path}"
    if language == "fa":
        lines = [f"newsarchive: خزش {site}، اجرای {run_id}: {status}"]
        lines += [f"• {rule_of(p)}: {_persian(p, site)}" for p in problems]
        lines.append(f"جزئیات: {command}")
    else:
        lines = [f"newsarchive: {site} run {run_id} is {status}"]
        lines += [f"• {rule_of(p)}: {p['message']}" for p in problems]
        lines.append(f"details: {command}")
    return "\n".join(lines)


def payload(
    channel: Channel, text: str, verdict: dict[str, Any], problems: list[dict[str, Any]]
) -> dict[str, Any]:
    """What is POSTed to a channel: Telegram's sendMessage, Slack's ``text``, or the whole story."""
    if channel.kind == "telegram":
        return {"chat_id": channel.chat_id, "text": text, "disable_web_page_preview": True}
    if channel.kind == "slack":
        return {"text": text}
    return {
        "site": verdict["site"],
        "run_id": verdict["id"],
        "status": verdict["status"],
        "problems": problems,
        "text": text,
    }


def post_json(channel: Channel, body: dict[str, Any]) -> bool:
    """POST ``body``; True when the channel took it. A failure is logged without the secret."""
    try:  # a malformed URL raises already here, with the URL (and its token) in the message
        request = urllib.request.Request(
            channel.url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
        return True
    except (OSError, ValueError) as error:
        reason = str(error).replace(channel.secret, "***") if channel.secret else str(error)
        logger.error("crawl alert to %s failed: %s", channel.name, reason)
        return False


def deliver(
    channel: Channel | EmailChannel, text: str, verdict: dict[str, Any], problems: list[dict[str, Any]]
) -> bool:
    """Send the alert to one channel; True when it took it."""
    if isinstance(channel, EmailChannel):
        return send_email(channel, text, TIMEOUT_SECONDS)
    return post_json(channel, payload(channel, text, verdict, problems))


# --- the Spidermon action ------------------------------------------------------------------


class SendCrawlAlert(Action):
    """Tell the configured channels which rules failed, once per rule per repeat interval."""

    def __init__(
        self, channels: list[Channel | EmailChannel], language: str, repeat_hours: float, db_path: str
    ):
        super().__init__()
        self.channels = channels
        self.language = language
        self.repeat_hours = repeat_hours
        self.db_path = db_path

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        settings = crawler.settings
        return {
            "channels": alert_channels(settings),
            "language": settings.get("NEWSARCHIVE_ALERT_LANGUAGE") or "en",
            "repeat_hours": settings.getfloat("NEWSARCHIVE_ALERT_REPEAT_HOURS", DEFAULT_REPEAT_HOURS),
            "db_path": str(resolve_db_path(settings.get("NEWSARCHIVE_DB"))),
        }

    def run_action(self) -> None:
        verdict = self.data[VERDICT]
        site = verdict["site"]
        by_rule = {rule_of(p): p for p in verdict["problems"]}
        since = (datetime.now(UTC) - timedelta(hours=self.repeat_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            with Archive(self.db_path, readonly=True) as archive:
                told = alerted_since(archive, site, by_rule, since)
        except ArchiveError as error:  # cannot tell what was sent: better twice than never
            logger.warning("crawl alerts: cannot read which were sent (%s); sending", error)
            told = set()
        fresh = [problem for rule, problem in by_rule.items() if rule not in told]
        if not fresh:
            raise SkipAction(f"alerted less than {self.repeat_hours:g} h ago: {', '.join(sorted(told))}")
        text = alert_text(verdict, fresh, self.db_path, self.language)
        sent = [channel.name for channel in self.channels if deliver(channel, text, verdict, fresh)]
        if not sent:
            raise RuntimeError("no channel took the crawl alert (see the errors above)")
        logger.warning("crawl alert sent to %s: %s", ", ".join(sent), ", ".join(rule_of(p) for p in fresh))
        try:
            with Archive(self.db_path) as archive:
                remember_alerts(archive, site, [rule_of(p) for p in fresh], verdict["id"])
        except ArchiveError as error:
            logger.warning("crawl alerts: cannot remember the alert sent (%s)", error)
