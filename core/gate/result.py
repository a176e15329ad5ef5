"""What the gate decides: the decision, the call resolved by name and by id, and what to say."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Decision(StrEnum):
    EXECUTE = "execute"
    CONFIRM = "confirm"
    CHOOSE = "choose"
    CLARIFY = "clarify"
    DENY = "deny"
    VERIFY = "verify"
    NONE = "none"


class GateResult(BaseModel):
    decision: Decision
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)  # resolved, by name: what the eval scores
    resolved: dict[str, Any] = Field(default_factory=dict)  # resolved, by id: what will run
    options: list[tuple[str, str]] = Field(default_factory=list)  # choose: (id, label)
    choose_field: str | None = None
    choose_raw: str | None = None  # the ambiguous words the options stand for
    message: str = ""
    summary: str = ""  # confirm: the one line the person confirms
    details: str = ""  # confirm: in full, the long text the summary cut short
    rule: str | None = None  # the permission rule that decided


class NeedsAnswer(Exception):
    """Resolution cannot go on without the person: carries the question (clarify or choose)."""

    def __init__(self, result: GateResult) -> None:
        self.result = result


def clarify(message: str) -> NeedsAnswer:
    """A question that stops resolution: `raise clarify("Which task?")`."""
    return NeedsAnswer(GateResult(decision=Decision.CLARIFY, message=message))
