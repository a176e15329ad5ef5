"""The extension API: a club's own tools as typed functions, and MCP tools' argument models.

A tool is a typed function with a pydantic argument model, a description and a declared
impact (pydantic-ai style). A club adds its own as a Python module named in the admin config
(or an installed package's `darcy.tools` entry point), and MCP servers contribute theirs
through `integrations.mcp`; `core.registry` gathers them beside the built-in tools.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, create_model

from core.domain import Member
from core.tools import Impact, ToolSpec


@dataclass(frozen=True)
class ToolContext:
    """What an extension tool may know about the request: who asks, from where, when."""

    requester: Member
    platform: str
    now: datetime


class ToolFailed(Exception):
    """An extension tool failed; the message is for people."""


class Extension(Protocol):
    spec: ToolSpec

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> str: ...


@dataclass
class FunctionTool:
    """A Python function as a tool: its signature is its argument model (pydantic-ai style)."""

    spec: ToolSpec
    fn: Callable[..., Any]

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> str:
        values = self.spec.args_model.model_validate(args).model_dump()
        if "ctx" in inspect.signature(self.fn).parameters:
            values["ctx"] = ctx
        result = self.fn(**values)
        if isinstance(result, Awaitable):
            result = await result
        return str(result)


def tool(
    impact: Impact = "write", *, name: str | None = None
) -> Callable[[Callable[..., Any]], FunctionTool]:
    """Declare a function as a Darcy tool; its docstring is the description the LLM reads."""

    def declare(fn: Callable[..., Any]) -> FunctionTool:
        fields: dict[str, Any] = {}
        for param in inspect.signature(fn).parameters.values():
            if param.name == "ctx":
                continue
            annotation = param.annotation if param.annotation is not inspect.Parameter.empty else str
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (annotation, default)
        model = create_model(  # type: ignore[call-overload]
            f"{fn.__name__}_args",
            __doc__=(fn.__doc__ or fn.__name__).strip(),
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        source = f"plugin:{fn.__module__}"
        return FunctionTool(
            ToolSpec(name=name or fn.__name__, args_model=model, impact=impact, source=source), fn
        )

    return declare


def args_model_from_schema(name: str, schema: Mapping[str, Any], description: str) -> type[BaseModel]:
    """A pydantic model from a JSON Schema object (an MCP tool's inputSchema), so MCP tools
    validate through the same path as every other tool. Nested objects stay plain dicts."""
    kinds: dict[str, Any] = {
        "string": str,
        "integer": int,
        "number": float,
        "boolean": bool,
        "array": list,
        "object": dict,
    }
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for prop, spec in (schema.get("properties") or {}).items():
        kind = kinds.get(spec.get("type"), Any) if isinstance(spec, dict) else Any
        if prop in required:
            fields[prop] = (kind, ...)
        else:
            fields[prop] = (kind | None, spec.get("default") if isinstance(spec, dict) else None)
    return create_model(  # type: ignore[call-overload]
        f"{name}_args", __doc__=description, __config__=ConfigDict(extra="forbid"), **fields
    )
