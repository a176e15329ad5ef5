"""One rate limiter per Notion integration in the process, in front of every HTTP request.

Notion allows an integration "an average of three requests per second; some bursts beyond
the average rate are allowed", and asks clients to honour Retry-After on a 429
(https://developers.notion.com/reference/request-limits). A token bucket gives exactly
that: `burst` requests at once, then `rate` per second on average. A 529 service_overload
is handled as a 429 (the same page: "handle HTTP 429 and 529 responses and respect the
Retry-After response header").

The limiter sits in the httpx transport under notion-client, so it sees every request
that reaches the wire, retries included, and nothing can bypass it. When a 429 comes
back, the transport pauses the whole bucket until Retry-After has passed: every caller in
the process waits, not only the one that was refused, and the retry that follows finds
the bucket open again (the limiter and the retry wait for the same moment; they do not add
up).

The bucket is plain arithmetic under a threading lock, with no asyncio primitive, so one
instance can serve every event loop of the process (tests open one per test).
"""

from __future__ import annotations

import asyncio
import threading
import time
from email.utils import parsedate_to_datetime

import httpx

from core import usage


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; each request takes one.

    A request that finds no token reserves the next one (the count goes negative) and
    sleeps until it is due, so waiting callers are served in arrival order.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst = float(rate), burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token; return how many seconds to wait before using it."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            return max(wait, self._paused_until - now)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Notion said 429 or 529: nobody sends before `seconds` from now, and the saved burst is spent."""
        with self._lock:
            now = time.monotonic()
            self._paused_until = max(self._paused_until, now + seconds)
            self._tokens = min(self._tokens, 0.0)
            self._updated = now


_BUCKETS: dict[tuple[str, str, float, int], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def shared_bucket(base_url: str, token: str, rate: float, burst: int) -> TokenBucket:
    """The process-wide bucket of an integration (Notion limits per integration token):
    every store, replica task and doctor run in the process with the same token and the
    same [notion] settings shares it. (Keyed on the settings too, so a test's tight limit
    never leaks into another test's emulator that happens to reuse the port.)"""
    key = (base_url.rstrip("/"), token, float(rate), burst)
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None:
            bucket = _BUCKETS[key] = TokenBucket(rate, burst)
        return bucket


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: Notion sends an integer; an HTTP date is allowed by RFC 9110."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class LimitedTransport(httpx.AsyncBaseTransport):
    """Waits for the bucket before each request, counts requests, pauses the bucket on 429/529."""

    def __init__(self, bucket: TokenBucket | None, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.bucket = bucket
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.calls = 0  # requests sent, retries included

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.bucket is not None:
            await self.bucket.acquire()
        self.calls += 1
        usage.count_notion_call()  # charged to the command being handled, if any
        response = await self.inner.handle_async_request(request)
        if response.status_code in (429, 529) and self.bucket is not None:  # 529: service_overload
            seconds = retry_after_seconds(response.headers.get("retry-after"))
            self.bucket.pause(1.0 if seconds is None else seconds)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
