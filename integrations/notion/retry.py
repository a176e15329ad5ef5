"""When to try a Notion call again, and how long to wait: the only place that decides.

notion-client's own retries are off (it would retry 5xx on GET only, with its own
schedule, multiplying ours); tenacity runs one policy for every call:

- a 429 rate_limited means Notion did nothing, and Notion asks the same handling for a 529
  service_overload ("Connections should handle HTTP 429 and 529 responses and respect the
  Retry-After response header": https://developers.notion.com/reference/request-limits):
  any call, a create included, waits for Retry-After (the process-wide limiter is paused
  for the same time, see limiter.py) and goes again, up to `rate_limit_retries` times;
- a timeout, a 5xx, a 409 or a broken connection may or may not have done something:
  reads and idempotent writes (setting properties, trashing a page) retry with
  exponential backoff and jitter, `read_attempts` in all;
- a create or a comment is never sent twice blindly: after such a failure, `create()`
  first looks for what the lost attempt may have made, and only sends again when it
  finds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
from notion_client.errors import APIResponseError, HTTPResponseError, RequestTimeoutError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from core.config import NotionSettings
from integrations.notion.limiter import retry_after_seconds

logger = logging.getLogger(__name__)
T = TypeVar("T")

# https://developers.notion.com/reference/status-codes: worth another try.
TRANSIENT_CODES = {
    "internal_server_error",
    "service_unavailable",
    "database_connection_unavailable",
    "gateway_timeout",
    "conflict_error",
    "service_overload",
    "bad_gateway",
}
TRANSIENT_STATUSES = {409, 500, 502, 503, 504, 529}
MAX_RETRY_AFTER = 60.0  # Notion's per-connection window; a longer wait is better reported


def error_code(error: BaseException) -> str | None:
    code = getattr(error, "code", None)
    return str(getattr(code, "value", code)) if code is not None else None


RATE_LIMIT_STATUSES = {429, 529}  # rate_limited, service_overload


def is_rate_limited(error: BaseException) -> bool:
    """A 429, or a 529: notion-client 3.1.0 does not know service_overload and raises a 529
    as UnknownHTTPResponseError, so the status decides (its Retry-After header is kept)."""
    if not isinstance(error, HTTPResponseError):
        return False
    return error_code(error) in ("rate_limited", "service_overload") or error.status in RATE_LIMIT_STATUSES


def is_transient(error: BaseException) -> bool:
    """A failure after which the request may or may not have taken effect, and a retry may work."""
    if isinstance(error, APIResponseError):
        return error_code(error) in TRANSIENT_CODES or error.status in TRANSIENT_STATUSES
    if isinstance(error, HTTPResponseError):  # not a Notion error object: a proxy's 502…
        return error.status >= 500
    return isinstance(error, RequestTimeoutError | httpx.TransportError)


@dataclass(frozen=True)
class RetryPolicy:
    read_attempts: int = 3
    rate_limit_retries: int = 5
    initial_seconds: float = 0.5
    max_seconds: float = 8.0
    create_attempts: int = 3

    @classmethod
    def from_settings(cls, settings: NotionSettings) -> RetryPolicy:
        return cls(
            read_attempts=settings.read_attempts,
            rate_limit_retries=settings.rate_limit_retries,
            initial_seconds=settings.retry_initial_seconds,
            max_seconds=settings.retry_max_seconds,
            create_attempts=settings.create_attempts,
        )

    async def read(self, call: Callable[[], Awaitable[T]]) -> T:
        """A read or an idempotent write: 429s and transient failures are retried."""
        return await self._run(call, idempotent=True)

    async def write(self, call: Callable[[], Awaitable[T]]) -> T:
        """A write that must not happen twice: only 429s (nothing happened) are retried."""
        return await self._run(call, idempotent=False)

    async def create(self, send: Callable[[], Awaitable[T]], find: Callable[[], Awaitable[T | None]]) -> T:
        """Send a non-idempotent write; after a failure that may hide a success, `find` what
        it made before sending again, so a flaky network never yields two pages.

        `find` returns the object the lost attempt created, or None. If `find` itself fails
        the original failure is raised: without knowing, sending again could duplicate."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self.write(send)
            except Exception as error:
                if not is_transient(error):
                    raise
                await asyncio.sleep(self._backoff(attempt))
                try:
                    found = await find()
                except Exception:
                    logger.warning("could not check whether a failed create landed", exc_info=True)
                    raise error from None
                if found is not None:
                    logger.info("a create whose answer was lost had landed; not sending it again")
                    return found
                if attempt >= self.create_attempts:
                    raise
                logger.info("a create failed (%s) and did not land; sending it again", error_code(error))

    async def _run(self, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        def retryable(error: BaseException) -> bool:
            return is_rate_limited(error) or (idempotent and is_transient(error))

        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if error is not None and is_rate_limited(error):
                return state.attempt_number > self.rate_limit_retries
            return state.attempt_number >= self.read_attempts

        async for attempt in AsyncRetrying(
            retry=retry_if_exception(retryable), stop=stop, wait=self._wait, reraise=True
        ):
            with attempt:
                return await call()
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if error is not None and is_rate_limited(error):
            headers = getattr(error, "headers", None)
            seconds = retry_after_seconds(headers.get("retry-after") if headers is not None else None)
            return min(seconds if seconds is not None else self.initial_seconds, MAX_RETRY_AFTER)
        return self._backoff(state.attempt_number)

    def _backoff(self, attempt: int) -> float:
        """Exponential (initial, 2×, 4×… up to max) plus up to half the initial wait of jitter,
        so processes that failed together do not come back together."""
        base = min(self.max_seconds, self.initial_seconds * 2 ** (attempt - 1))
        return base + random.uniform(0, self.initial_seconds / 2)
