"""The tool vocabulary's shared shapes: a tool's declaration and a planner's call.

Each built-in tool declares its argument model in its own module (`core/actions/`), and each
model feeds the LLM's function schema, the offline planner's output, the gate's validation and
the evaluation's canonical form. Arguments are *raw*: names as the person typed them ("Carol",
"the website", "<@U00001002>", "me"), dates as ISO strings or date words. The gate resolves
them; an identifier a planner invents is never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# read: runs at once; write: asks the requester to confirm; destructive: confirms with a warning.
Impact = Literal["read", "write", "destructive"]
# A request, not a document: what a person may type in one message, and so all the text a
# planner's arguments may carry (a model's call is capped like the typing it stands for).
MAX_TEXT_CHARS = 2_000


class ToolArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ToolSpec(BaseModel):
    """One tool's declaration: everything else (LLM schema, validation, permission,
    confirmation, audit) is derived from it."""

    name: str
    args_model: type[BaseModel]
    impact: Impact
    source: str = "notion"  # "notion", "plugin:<module>" or "mcp:<server>"
    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def description(self) -> str:
        return (self.args_model.__doc__ or self.name).strip()


class ToolCall(BaseModel):
    """What a planner produces: a tool (or none) and raw arguments."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    # For tool=None: "help", "greeting", "thanks" or "out_of_scope", so the reply fits.
    intent: str | None = None
    # For tool=None after reading with tools: the model's own answer, shown to the requester.
    say: str | None = None


def text_size(value: Any) -> int:
    """All the text in a call's arguments, however nested."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(text_size(k) + text_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(text_size(v) for v in value)
    return 0


def validate_args(call: ToolCall, tools: Mapping[str, ToolSpec]) -> BaseModel:
    """Parse raw arguments with the tool's model; raises KeyError or ValidationError."""
    spec = tools[call.tool or ""]
    return spec.args_model.model_validate(call.args)


__all__ = [
    "MAX_TEXT_CHARS",
    "Impact",
    "ToolArgs",
    "ToolCall",
    "ToolSpec",
    "ValidationError",
    "text_size",
    "validate_args",
]
