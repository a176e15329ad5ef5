"""The tool registry: every tool Darcy knows, built-in or extension, behind the same gate.

Built-in tools are the modules of `core.actions`; a club's plugins and MCP servers add theirs
(`core.extensions`). The gate, the click handler and recovery find a tool here by name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from core.actions import BUILTINS
from core.actions.base import Tool
from core.actions.extension import ExtensionTool
from core.config import ToolRule
from core.extensions import (
    Extension,
    FunctionTool,
    ToolContext,
    ToolFailed,
    args_model_from_schema,
    tool,
)
from core.tools import ToolSpec

log = structlog.get_logger("darcy.tools")
ENTRY_POINTS = "darcy.tools"

# The plugin API, importable from here as before.
__all__ = [
    "Extension",
    "FunctionTool",
    "ToolContext",
    "ToolFailed",
    "ToolRegistry",
    "args_model_from_schema",
    "tool",
]


@dataclass
class ToolRegistry:
    """Built-in tools plus extensions, with the admin config's per-tool rules applied."""

    rules: Mapping[str, ToolRule] = field(default_factory=dict)
    _tools: dict[str, Tool] = field(default_factory=lambda: dict(BUILTINS))
    problems: list[str] = field(default_factory=list)  # for start-up logs and `darcy doctor`

    @property
    def specs(self) -> Mapping[str, ToolSpec]:
        return {name: found.spec for name, found in self._tools.items()}

    def tool(self, name: str | None) -> Tool | None:
        return self._tools.get(name or "")

    def extension(self, name: str | None) -> Extension | None:
        found = self.tool(name)
        return found.extension if isinstance(found, ExtensionTool) else None

    def add(self, extension: Extension) -> None:
        spec = extension.spec
        if spec.name in self._tools:
            self.problems.append(f"{spec.source}: a tool named {spec.name!r} exists already; skipped")
            return
        rule = self.rules.get(spec.name)
        if rule is not None and rule.impact is not None and rule.impact != spec.impact:
            extension.spec = spec = spec.model_copy(update={"impact": rule.impact})
        self._tools[spec.name] = found = ExtensionTool(extension)
        log.info("tool_registered", tool=spec.name, source=spec.source, impact=spec.impact)
        if found.closed and rule is None:
            self._problem(
                f"{spec.source}: tool {spec.name!r} has no [tools.{spec.name}] rule, so no one may use it; "
                f"add one, e.g. [tools.{spec.name}] roles = [\"lead\", \"admin\"]"
            )

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
