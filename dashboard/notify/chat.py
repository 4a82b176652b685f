"""Team chat channels: Slack-compatible incoming webhooks (Mattermost and Discord's /slack
endpoint take the same payload). The URL is a secret: never in a log line, never in the words of a
refusal, masked on every page (`Channel.masked_url`)."""

from __future__ import annotations

import re

import httpx
from django.conf import settings

from .models import Channel, Notice

# How long the chat service has to answer, in seconds; the NOTIFY_CHAT_TIMEOUT setting overrides
# it (the tests' hanging receiver).
TIMEOUT = 10.0

# What each urgent kind means, short enough for a sentence ("this channel will get …").
KIND_WORDS = {
    "budget": "budgets that ran out or will within a day",
    "approval": "approvals that expire within 24 hours",
    "unclear": "milestones whose creation is still unclear after an hour",
    "sync": "a sync with OpenTrain that keeps failing",
}

# Slack's error bodies are short snake_case codes ("invalid_payload", "no_service"); anything
# else (an HTML page, a proxy's message) is not repeated.
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,59}")


class Refused(Exception):
    """The channel did not take the message: `words` for the settings page, `final` when trying
    again cannot help."""

    def __init__(self, words: str, *, final: bool = False):
        super().__init__(words)
        self.words = words
        self.final = final


def kinds_in_words(kinds) -> str:
    """ "budgets that ran out…, approvals that expire… and a sync …", in URGENT_KINDS' order."""
    named = [KIND_WORDS[kind] for kind in KIND_WORDS if kind in kinds]
    if not named:
        return "nothing (no kind of alert is chosen)"
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def payload(notice: Notice) -> dict:
    """The message for a channel: `text`, a complete fallback (notifications, Discord,
    Mattermost), and `blocks`, the summary with a button to the item's one action."""
    alert = notice.alert
    if alert is None:
        text = (
            "A test from the OpenTrain dashboard: this channel will get "
            f"{kinds_in_words(notice.channel.kinds)}."
        )
        return {"text": text, "blocks": [_section(text)]}
    summary = f"*{_escape(alert.subject)}*\n{_escape(alert.summary)}".strip()
    text = " — ".join(part for part in (_escape(alert.subject), _escape(alert.summary)) if part)
    blocks = [_section(summary)]
    if alert.action_path:
        link = _absolute(alert.action_path)
        label = alert.action_label or "Open it on the dashboard"
        text += f" <{link}|{_escape(label).replace('|', '/')}>"
        blocks[0]["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": label[:75]},
            "url": link,
        }
    return {"text": text, "blocks": blocks}


def send(channel: Channel, body: dict, *, timeout: float | None = None) -> None:
    """POST the message to the channel's webhook; raises `Refused` with the failure in words.
    Redirects are not followed: a webhook that moved is a URL to replace."""
    timeout = timeout or getattr(settings, "NOTIFY_CHAT_TIMEOUT", TIMEOUT)
    try:
        response = httpx.post(channel.url, json=body, timeout=timeout, follow_redirects=False)
    except httpx.TimeoutException:
        raise Refused(f"The chat service did not answer within {timeout:g} s.") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, ValueError):
        raise Refused(
            "The webhook URL is not one the dashboard can send to: replace it with the incoming "
            "webhook's URL, starting with https://.",
            final=True,
        ) from None
    except httpx.HTTPError:
        # Refused, reset, a name that does not resolve: the exception's text can carry the URL.
        raise Refused(
            "The chat service could not be reached: the connection was refused or cut."
        ) from None
    _check(response)


def _check(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    shown = f"{status} {_code(response)}".strip()
    if status in (401, 403, 404, 410):
        raise Refused(
            "The webhook URL is no longer valid: create a new incoming webhook and replace it "
            f"({shown}).",
            final=True,
        )
    if status == 429:
        raise Refused(f"The chat service asks to slow down ({shown}).")
    if status >= 500:
        raise Refused(f"The chat service had a problem ({shown}) and did not take the message.")
    if 300 <= status < 400:
        raise Refused(
            f"The webhook URL sends elsewhere ({shown}): replace it with the incoming webhook's "
            "own URL.",
            final=True,
        )
    raise Refused(
        f"The channel refused the message ({shown}): check that the URL is a Slack-compatible "
        "incoming webhook (Discord's ends in /slack).",
        final=True,
    )


def _code(response: httpx.Response) -> str:
    """Slack's error code from the body, when the body is one."""
    body = response.text.strip()[:60]
    return body if ERROR_CODE.fullmatch(body) else ""


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _escape(text: str) -> str:
    # Slack's mrkdwn reads <…> as links and mentions: a contract's title must stay text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _absolute(path: str) -> str:
    """A link on this dashboard, as the chat service needs it: absolute, from SITE_URL."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path
