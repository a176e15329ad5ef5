"""Understanding, measured as the project's scorer measures it: the public labelled requests
through identity → offline planner → gate, with no write."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from bot.evaluation import predict
from core.config import load_settings

SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS = SHARED / "eval" / "public.jsonl"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="../shared/eval is not beside this checkout")


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score", SHARED / "eval" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HELDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "heldout.jsonl"
READS = {"list_tasks", "list_projects", "show_task", "whoami"}
WRITES = {"create_task", "update_task", "update_tasks", "add_comment", "link_account", "undo"}


async def _score(corpus: Path) -> tuple[float, dict[str, str], list[dict], dict[str, dict]]:
    score = _scorer()
    cases = [json.loads(line) for line in corpus.read_text().splitlines() if line.strip()]
    predictions = {p["id"]: p for p in await predict(load_settings(), cases)}
    workspace = score.Workspace(SHARED / "workspace" / "demo.json")
    misses = {
        case["id"]: reason
        for case in cases
        if (reason := score.judge(case["expect"], predictions[case["id"]], case["user"], workspace))
    }
    return 1 - len(misses) / len(cases), misses, cases, predictions


def _wanted_tools(expect: dict) -> set[str | None]:
    return {e.get("tool") for e in expect["any_of"]} if "any_of" in expect else {expect.get("tool")}


def _writes_read(cases: list[dict], predictions: dict[str, dict]) -> list[str]:
    """Requests for a change that were answered with a read."""
    return [
        c["id"]
        for c in cases
        if _wanted_tools(c["expect"]) <= WRITES
        and predictions[c["id"]]["tool"] in READS
        and predictions[c["id"]]["decision"] == "execute"
    ]


async def test_offline_planner_scores_at_least_92_percent_on_public_requests() -> None:
    accuracy, misses, cases, predictions = await _score(CORPUS)
    assert accuracy >= 0.92, f"accuracy {accuracy:.1%}; misses: {misses}"
    denied = {c["id"] for c in cases if c["expect"].get("decision") == "deny"}
    assert not [i for i in denied if predictions[i]["decision"] in ("confirm", "execute")]
    assert not _writes_read(cases, predictions)


async def test_offline_planner_generalises_to_the_frozen_held_out_set() -> None:
    """tests/fixtures/heldout.jsonl was written from the eval README and the workspace before the
    planner was rebuilt, in another voice than the templates, and is never tuned to."""
    accuracy, misses, cases, predictions = await _score(HELDOUT)
    assert accuracy >= 0.90, f"accuracy {accuracy:.1%}; misses: {misses}"
    assert not _writes_read(cases, predictions)
    denied = {c["id"] for c in cases if c["expect"].get("decision") == "deny"}
    assert not [i for i in denied if predictions[i]["decision"] in ("confirm", "execute")]


def test_the_demo_workspace_copy_matches_the_shared_one() -> None:
    ours = Path(__file__).resolve().parents[2] / "config" / "demo-workspace.json"
    assert json.loads(ours.read_text()) == json.loads((SHARED / "workspace" / "demo.json").read_text())
