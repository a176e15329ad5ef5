"""What a perfect model answers for a labelled public case. The LLM planner's tests and the
benchmarks script the loopback OpenAI-compatible server with it, so both measure the same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What a good model sends where the label leaves out what the gate could not resolve
# (an ambiguous task, an unknown person or project) or has no tool (verify cases).
RAW_OVERRIDES: dict[str, tuple[str, dict[str, Any]]] = {
    "p046": ("update_task", {"task": "sending out the forms", "status": "Done"}),
    "p065": ("update_task", {"task": "the workshop slides", "status": "To Review"}),
    "p066": ("update_task", {"task": "the name badges", "status": "Done"}),
    "p073": ("add_comment", {"task": "the name badges", "text": "Supplier needs the final count by Monday"}),
    "p074": ("list_tasks", {"assignee": "me"}),
    "p075": ("list_tasks", {"due_before": "2026-11-17"}),
    "p078": ("create_task", {"title": "Print flyers", "assignees": ["Priya"], "due": "2026-11-20"}),
    "p081": ("update_task", {"task": "Order catering", "status": "Done"}),
    "p088": ("list_tasks", {"project": "Charity Fun Run"}),
    "p089": (
        "create_task",
        {
            "title": "Set up photo booth",
            "assignees": ["Kevin"],
            "due": "2026-11-20",
            "project": "Industry Night",
        },
    ),
    "p090": ("update_task", {"task": "the banner printing", "status": "Done"}),
}


def raw_args(args: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Labelled (resolved) arguments as a model would send them: handles become names."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key == "assignee":
            out[key] = names.get(value, value)
        elif key in ("assignees", "add_assignees"):
            out[key] = [names.get(h, h) for h in value]
        else:
            out[key] = value
    return out


def labelled_call(case: dict[str, Any], names: Mapping[str, str]) -> tuple[str | None, dict[str, Any]]:
    """The call a perfect model makes for a public case: (tool or None, raw arguments)."""
    expect = case["expect"]["any_of"][0] if "any_of" in case["expect"] else case["expect"]
    tool, args = RAW_OVERRIDES.get(case["id"], (expect.get("tool"), expect.get("args", {})))
    return tool, raw_args(args, names) if tool else {}
