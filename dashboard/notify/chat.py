"""Team chat channels: Slack-compatible incoming webhooks (Mattermost and Discord's /slack
endpoint take the same payload). The URL is a secret: never logged, masked on every page."""

from __future__ import annotations

import httpx

from .emails import absolute
from .models import Notice

TIMEOUT = 10.0


class Refused(Exception):
    """The channel did not take the message: `words` for the settings page, `final` when trying
    again cannot help."""

    def __init__(self, words: str, *, final: bool = False):
        super().__init__(words)
        self.words = words
        self.final = final


def payload(notice: Notice) -> dict:
    alert = notice.alert
    if alert is None:
        return {"text": "A test from the OpenTrain dashboard: this channel works."}
    link = absolute(alert.action_path)
    return {"text": f"*{alert.subject}*\n{alert.summary}\n<{link}|{alert.action_label}>"}


def send(channel, body: dict) -> None:
    try:
        response = httpx.post(channel.url, json=body, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise Refused(f"The channel could not be reached ({type(error).__name__}).") from None
    if response.status_code >= 300:
        final = 400 <= response.status_code < 500 and response.status_code != 429
        raise Refused(f"The channel answered {response.status_code}.", final=final)
