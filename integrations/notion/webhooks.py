"""Notion webhooks: an optional push path into the task index, for deployments with a public
URL (`[notion] webhook_secret`). Polling stays the default and the fallback: an event only
makes a change arrive sooner, and one lost or refused changes nothing the next refresh won't.

What Notion sends (https://developers.notion.com/reference/webhooks):
- once, when the subscription is made, an unsigned `{"verification_token": "secret_…"}`: the
  token is logged so the admin can paste it into Notion's form and into `webhook_secret`;
- then events `{"type": "page.properties_updated", "entity": {"id": …, "type": "page"}, …}`,
  signed: `X-Notion-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
  verification token>`. An event carries ids, never the page: the page is read again.

Events are acted on after the answer (Notion wants a quick 200), one page read each.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import structlog
from aiohttp import web

from core.ports import StoreError

log = structlog.get_logger("darcy.notion.webhooks")
PATH = "/notion/webhooks"
SIGNATURE = "X-Notion-Signature"
CHANGED = {"page.created", "page.properties_updated", "page.content_updated", "page.undeleted", "page.moved"}
GONE = {"page.deleted"}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verified(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(signature(secret, body), header or "")


class NotionWebhooks:
    """Receives Notion's events and hands each page to the task index."""

    def __init__(self, index: Any, secret: str | None) -> None:
        self.index, self.secret = index, secret
        self._jobs: set[asyncio.Task[None]] = set()

    def routes(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.receive)

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = json.loads(body)
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if isinstance(event, dict) and "verification_token" in event and "type" not in event:
            log.warning("notion_webhook_verification_token", verification_token=event["verification_token"],
                        hint="paste it into Notion's Verify form and into [notion] webhook_secret")
            return web.json_response({})
        if not self.secret or not verified(self.secret, body, request.headers.get(SIGNATURE)):
            log.warning("notion_webhook_refused", reason="signature does not match [notion] webhook_secret")
            return web.json_response({"error": "bad signature"}, status=401)
        kind = event.get("type", "")
        entity = event.get("entity") or {}
        if entity.get("type") == "page" and kind in CHANGED | GONE:
            self._spawn(self._apply(kind, str(entity.get("id"))))
        return web.json_response({})

    async def _apply(self, kind: str, page_id: str) -> None:
        try:
            if kind in GONE:
                await self.index.removed(page_id)
            else:
                await self.index.page_changed(page_id)
        except StoreError as exc:  # Notion down: the next refresh catches up
            log.warning("notion_webhook_not_applied", type=kind, error=str(exc))

    def _spawn(self, job: Any) -> None:
        task = asyncio.ensure_future(job)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def drain(self) -> None:
        """Wait for the events taken in so far (tests; a graceful stop)."""
        while self._jobs:
            await asyncio.gather(*list(self._jobs), return_exceptions=True)
