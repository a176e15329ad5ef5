"""Secrets never reach a log line or a message: configured values and token shapes are masked.

Secret values (token variables, the database password) and anything shaped like a Slack,
Discord, Notion or LLM-provider token are masked in every line, including lines of other
libraries (stdlib logging goes through the same processors).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MASK = "[redacted]"
# Environment variables whose values are secrets, by name.
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|OTEL_EXPORTER_OTLP(_TRACES)?_HEADERS",
    re.IGNORECASE,
)
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{8,}",  # Slack bot, user, refresh tokens
            r"\bxapp-[A-Za-z0-9-]{8,}",  # Slack app-level tokens (Socket Mode)
            r"\b(?:secret|ntn)_[A-Za-z0-9]{20,}",  # Notion integration tokens
            r"\b[A-Za-z0-9_-]{23,30}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,45}",  # Discord bot tokens
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWTs
            r"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI-style API keys
        )
    )
)
# "Authorization: Bearer …" / "Basic …": a credential has digits and some length ("Bot …" is a
# Discord token, masked by its shape; "the bot configuration" stays).
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)(\s+)(?=\S*\d)[A-Za-z0-9._~+/=-]{16,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")


def url_password(url: str | None) -> str | None:
    """The password in a URL like postgresql+asyncpg://user:PASSWORD@host/db, if any."""
    if not url or "://" not in url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class Redactor:
    """A structlog processor masking secret values and token-shaped strings anywhere in a line."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str | None, min_length: int = 6) -> None:
        fresh = set()
        for value in values:
            if not value or len(value.strip()) < min_length:
                continue
            fresh.update({value, quote(value, safe="")})
        if fresh - self._secrets:
            self._secrets |= fresh
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest first
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_from_env(self, environ: Mapping[str, str]) -> None:
        """Values of variables named like secrets (…_TOKEN, …_SECRET, …API_KEY…), and passwords
        inside URLs (DATABASE_URL)."""
        for name, value in environ.items():
            if _SECRET_NAME.search(name) and value.lower() not in ("true", "false", "none", "null"):
                self.add(value, min_length=8)
            if "://" in value:
                self.add(url_password(value), min_length=4)

    def scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _TOKEN_SHAPES.sub(MASK, text)
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)

    def scrub_value(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float | datetime | date):
            return value
        if depth > 8:
            return MASK
        if isinstance(value, dict):
            return {key: self.scrub_value(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub_value(item, depth + 1) for item in value]
        return self.scrub(str(value))  # what a renderer would print: scrub that

    def __call__(self, _logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {key: self.scrub_value(value) for key, value in event_dict.items()}


REDACTOR = Redactor()


def redact(text: str) -> str:
    """The text with every known secret and token-shaped string masked (for messages shown anywhere)."""
    return REDACTOR.scrub(text)


def protect(settings: Any) -> None:
    """Mask this configuration's secrets in every log line: the values of the token variables it
    names (whatever their names) and the database password."""
    values: list[str | None] = []
    for section, getters in (
        ("notion", ("token",)),
        ("discord", ("token",)),
        ("slack", ("bot_token", "signing_secret", "app_token")),
    ):
        part = getattr(settings, section, None)
        for getter in getters:
            if part is not None and callable(getattr(part, getter, None)):
                values.append(getattr(part, getter)())
    planner = getattr(settings, "planner", None)
    if planner is not None and getattr(planner, "api_key_env", None):
        values.append(os.environ.get(planner.api_key_env))
    database = getattr(settings, "database", None)
    REDACTOR.add(*values)
    REDACTOR.add(url_password(getattr(database, "url", None)), min_length=4)
