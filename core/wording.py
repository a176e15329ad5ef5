"""How Darcy writes dates, lists of names and task fields, in one place so every reply agrees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# A task field as people say it; the keys are the names a plan, a snapshot and a policy use.
FIELD_WORDS = {
    "assignee_ids": "people in charge",
    "assignees": "people in charge",
    "project_id": "project",
    "project_ids": "project",
    "due": "due date",
}


def field_words(fields: Iterable[str]) -> list[str]:
    return [FIELD_WORDS.get(f, f) for f in fields]


def day(value: date) -> str:
    """'Fri 20 Nov 2026': unambiguous whatever the reader's locale."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def join_names(names: list[str], last: str = "and") -> str:
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


def em(text: str) -> str:
    """Emphasised user-derived text: its own "**" must not close the emphasis early."""
    return "**" + text.replace("**", "*\u200b*") + "**"


def shorter(text: str, limit: int = 200) -> str:
    """A name that names (an existing task's title), cut with "…" past `limit`."""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def model_words(said: str) -> str:
    """A model's own answer (after reading with tools), framed as its words: it is never shown
    as if Darcy had done something, since only tool results and Darcy's wording report actions."""
    quoted = "\n".join(f"> {line}" for line in said.strip().splitlines())
    return f"The AI model's answer, from what it read (its words: I haven't changed anything):\n{quoted}"


def sentence(text: str) -> str:
    """Text that ends as a sentence does, so another can follow it."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else f"{text}."
