"""The emulator's webhook deliveries, shaped as Notion's (https://developers.notion.com/reference/webhooks):
a POST per event with `type`, `entity` {id, type: "page"}, `data.parent`, signed with
`X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the verification token>`.
Notion batches and delays events by up to a minute; here each is sent at once, in the background."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp

JSON = dict[str, Any]


class WebhookSender:
    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, str]] = []  # (url, verification token)
        self.sent: list[JSON] = []
        self._jobs: set[asyncio.Task[None]] = set()

    def subscribe(self, url: str, token: str) -> None:
        self.subscriptions.append((url, token))

    def page_event(self, kind: str, page: JSON, workspace_id: str) -> None:
        if not self.subscriptions:
            return
        event = {
            "id": str(uuid.uuid4()), "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "workspace_id": workspace_id, "subscription_id": str(uuid.uuid4()), "type": kind,
            "authors": [], "entity": {"id": page["id"], "type": "page"},
            "data": {"parent": {"id": page["parent"].get("data_source_id"), "type": "database"}},
        }
        for url, token in self.subscriptions:
            job = asyncio.ensure_future(self._post(url, token, event))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    async def _post(self, url: str, token: str, event: JSON) -> None:
        body = json.dumps(event).encode()
        digest = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Notion-Signature": f"sha256={digest}"}
        session = aiohttp.ClientSession()
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
        finally:
            await session.close()
        self.sent.append(event)

    async def drain(self) -> None:
        while self._jobs:
            await asyncio.gather(*list(self._jobs), return_exceptions=True)
