"""OpenAI function schemas, generated from the pydantic argument models in core/tools.py.

Never hand-written: the models are the contract between planners, the gate and the
evaluation, so a field added there reaches the LLM with no second edit. Generation
only makes the JSON Schema friendlier to models, small local ones included:
nullable unions collapse to their non-null branch (an absent argument is the
default), pydantic's titles go (noise that costs tokens), and fields whose values
are configured options (task statuses, project progress) get those options as an
`enum`, so a model picks "To Review" rather than inventing "review".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.actions import TOOLS
from core.tools import ToolSpec

Schema = dict[str, Any]

# Pydantic's per-field titles only repeat the field name.
_DROP = {"title"}


def tool_schemas(
    option_enums: Mapping[str, Sequence[str]] | None = None,
    tools: Mapping[str, ToolSpec] = TOOLS,
) -> list[Schema]:
    """One `{"type": "function", ...}` entry per tool of the vocabulary, in its order.

    `option_enums` maps an argument name ("status", "progress") to the configured
    options that every free string of that argument must be one of.
    """
    enums = {name: list(values) for name, values in (option_enums or {}).items() if values}
    return [_function(spec, enums) for spec in tools.values()]


def _function(spec: ToolSpec, enums: Mapping[str, list[str]]) -> Schema:
    raw = spec.args_model.model_json_schema()
    properties = {
        name: _with_enum(_clean(prop), enums.get(name)) for name, prop in raw.get("properties", {}).items()
    }
    parameters: Schema = {"type": "object", "properties": properties}
    if raw.get("required"):
        parameters["required"] = list(raw["required"])
    if raw.get("additionalProperties") is False:
        parameters["additionalProperties"] = False
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": (raw.get("description") or spec.name).strip(),
            "parameters": parameters,
        },
    }


def _clean(node: Any) -> Any:
    """Drop titles and null defaults, collapse `anyOf [X, null]` to X (recursively)."""
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _clean(v) for k, v in node.items() if k not in _DROP}
    if "default" in out and out["default"] is None:
        del out["default"]
    branches = out.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out


def _with_enum(node: Any, options: list[str] | None) -> Any:
    """Give every free string inside one argument the configured options as an enum."""
    if not options:
        return node
    if isinstance(node, list):
        return [_with_enum(item, options) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _with_enum(v, options) if k in ("anyOf", "items") else v for k, v in node.items()}
    if out.get("type") == "string" and "enum" not in out:
        out["enum"] = list(options)
    return out


__all__ = ["tool_schemas"]
