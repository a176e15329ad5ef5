"""Notices as Slack direct messages: chat.postMessage to the member's user id (Slack opens the
app's DM with them), Block Kit with Done, Snooze 1 day, Got it and Open in Notion.

Done is the Confirm button of a pending action (the click takes the confirmation path); Snooze and
Got it carry the notice's id. A member who left (or whose DM Slack refuses) is not retried: the
service falls back to a mention in the project's channel, or drops the notice, and audits which.
Rate limits: the client carries slack_sdk's 429 handler (`with_retries`), which waits out
`Retry-After`; the service sends one notice at a time.
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import render
from core.notify.ports import Delivery, Outgoing

log = structlog.get_logger("darcy.slack")
SNOOZE, GOT_IT, OPEN = "darcy_snooze", "darcy_gotit", "darcy_open"
ACTIONS = {"done": render.CONFIRM, "snooze": SNOOZE, "gotit": GOT_IT}
# The person can't be reached by the app: gone, deactivated, or their DM with the app is closed.
UNREACHABLE = {
    "channel_not_found",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "is_archived",
    "messages_tab_disabled",
    "not_in_channel",
}


def blocks(message: Outgoing, mention: str | None = None) -> list[dict[str, Any]]:
    text = render.mrkdwn(message.text)
    if mention:
        text = f"<@{mention}> {text}"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": render.clip(text, render.MAX_SECTION)}}
    elements: list[dict[str, Any]] = []
    for button in message.buttons:
        label = {"type": "plain_text", "text": button.label}
        if button.verb == "open":
            elements.append({"type": "button", "text": label, "action_id": OPEN, "url": button.value})
        else:
            element = {
                "type": "button",
                "text": label,
                "action_id": ACTIONS[button.verb],
                "value": button.value,
            }
            if button.verb == "done":
                element["style"] = "primary"
            elements.append(element)
    return [section, {"type": "actions", "elements": elements}] if elements else [section]


class SlackNotifier:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def direct(self, chat_id: str, message: Outgoing) -> Delivery:
        return await self._post(chat_id, message)

    async def mention(self, channel_id: str, chat_id: str, message: Outgoing) -> Delivery:
        return await self._post(channel_id, message, mention=chat_id)

    async def post(self, channel_id: str, message: Outgoing) -> Delivery:
        return await self._post(channel_id, message)

    async def _post(self, channel: str, message: Outgoing, mention: str | None = None) -> Delivery:
        try:
            await self.client.chat_postMessage(
                channel=channel,
                text=render.plain(message.text)[: render.MAX_FALLBACK],
                blocks=blocks(message, mention),
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("slack notice refused", channel=channel, error=error)
            return Delivery.UNREACHABLE if error in UNREACHABLE else Delivery.FAILED
        except Exception:  # a network failure: not retried here (the audit log records it)
            log.exception("slack notice failed", channel=channel)
            return Delivery.FAILED
        return Delivery.SENT
