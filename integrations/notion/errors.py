"""Notion's failures, said for people: every client or transport error becomes a StoreError.

The message says what Darcy was doing and why it failed; `code` keeps Notion's error code
(https://developers.notion.com/reference/status-codes) so core can tell a missing page
("object_not_found") from an outage.
"""

from __future__ import annotations

import httpx
from notion_client.errors import (
    APIResponseError,
    HTTPResponseError,
    InvalidPathParameterError,
    RequestTimeoutError,
)

from core.ports import StoreError

REASONS = {
    "unauthorized": "Notion refused the integration token (unauthorized)",
    "restricted_resource": "the integration is not allowed to do that in Notion (restricted_resource); "
    "check its capabilities and that the databases are shared with it",
    "object_not_found": "Notion could not find it (object_not_found); it may have been deleted "
    "or not shared with the integration",
    "rate_limited": "Notion is rate limiting requests (rate_limited); try again in a minute",
    "conflict_error": "Notion reported a conflicting edit (conflict_error); try again",
    "internal_server_error": "Notion had an internal error (internal_server_error); try again later",
    "service_unavailable": "Notion is unavailable (service_unavailable); try again later",
    "gateway_timeout": "Notion timed out (gateway_timeout); try again later",
}


class NotionStoreError(StoreError):
    """A StoreError raised from Notion's answers (its code and HTTP status kept)."""


def store_error(action: str, error: BaseException, token_env: str) -> StoreError | None:
    """The StoreError for a failure of `action` ("list tasks"), or None if it is not Notion's."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, APIResponseError):
        code = str(getattr(error.code, "value", error.code))
        reason = REASONS.get(code) or f"Notion rejected the request ({code}): {error}"
        if code == "unauthorized":
            reason += f"; check the token in ${token_env}"
        return NotionStoreError(f"Could not {action}: {reason}.", code=code, status=error.status)
    if isinstance(error, RequestTimeoutError):
        return NotionStoreError(f"Could not {action}: Notion did not answer in time.", code="timeout")
    if isinstance(error, HTTPResponseError) and error.status == 529:
        # service_overload: notion-client 3.1.0 does not know the code, so it arrives unparsed.
        return NotionStoreError(
            f"Could not {action}: Notion is overloaded (service_overload); try again in a minute.",
            code="service_overload",
            status=529,
        )
    if isinstance(error, HTTPResponseError):  # not a Notion error object (a proxy, an odd code)
        return NotionStoreError(
            f"Could not {action}: Notion answered HTTP {error.status} ({_short(error.body)}).",
            status=error.status,
        )
    if isinstance(error, InvalidPathParameterError):
        return NotionStoreError(f"Could not {action}: that is not a valid Notion ID.", code="invalid_id")
    if isinstance(error, httpx.HTTPError):
        return NotionStoreError(
            f"Could not {action}: could not reach Notion ({type(error).__name__}).", code="unreachable"
        )
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
