"""The tool registry: Darcy's tools are an extension point that keeps every gate property.

A tool is a typed function with a pydantic argument model, a description and a
declared impact. The built-in Notion tools are declared in `core.tools`; a club
adds its own as a Python module named in the admin config (or an installed
package's `darcy.tools` entry point), and MCP servers contribute theirs through
`integrations.mcp`. All of them reach the LLM schema, validation, permissions,
confirmation and the audit log from that one declaration.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, ConfigDict, create_model

from core.config import ToolRule
from core.domain import Member
from core.tools import TOOLS, Impact, ToolSpec

log = structlog.get_logger("darcy.tools")
ENTRY_POINTS = "darcy.tools"


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


@dataclass
class ToolRegistry:
    """Built-in tools plus extensions, with the admin config's per-tool rules applied."""

    rules: Mapping[str, ToolRule] = field(default_factory=dict)
    _specs: dict[str, ToolSpec] = field(default_factory=lambda: dict(TOOLS))
    _extensions: dict[str, Extension] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # for start-up logs and `darcy doctor`

    @property
    def specs(self) -> Mapping[str, ToolSpec]:
        return self._specs

    def extension(self, name: str | None) -> Extension | None:
        return self._extensions.get(name or "")

    def add(self, extension: Extension) -> None:
        spec = extension.spec
        if spec.name in self._specs:
            self.problems.append(f"{spec.source}: a tool named {spec.name!r} exists already; skipped")
            return
        rule = self.rules.get(spec.name)
        if rule is not None and rule.impact is not None and rule.impact != spec.impact:
            extension.spec = spec = spec.model_copy(update={"impact": rule.impact})
        self._specs[spec.name] = spec
        self._extensions[spec.name] = extension
        log.info("tool_registered", tool=spec.name, source=spec.source, impact=spec.impact)

    def add_all(self, extensions: Iterable[Extension]) -> None:
        for extension in extensions:
            self.add(extension)

    def load_plugins(self, modules: Iterable[str]) -> None:
        """Modules named in the config, then installed packages' `darcy.tools` entry points.

        A module either defines `register(registry)` or holds `@tool` functions. A plugin
        that fails to import is reported; Darcy runs on without it."""
        for dotted in modules:
            try:
                self._load_module(importlib.import_module(dotted))
            except Exception as exc:
                self._problem(f"plugin {dotted}: {type(exc).__name__}: {exc}")
        for entry in importlib.metadata.entry_points(group=ENTRY_POINTS):
            try:
                loaded = entry.load()
                if isinstance(loaded, FunctionTool):
                    self.add(loaded)
                else:
                    loaded(self)  # a register(registry) function
            except Exception as exc:
                self._problem(f"plugin {entry.name}: {type(exc).__name__}: {exc}")

    def _load_module(self, module: Any) -> None:
        if callable(register := getattr(module, "register", None)):
            register(self)
            return
        self.add_all(value for value in vars(module).values() if isinstance(value, FunctionTool))

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        log.warning("tool_problem", problem=text)


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
