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


async def test_offline_planner_scores_at_least_92_percent_on_public_requests() -> None:
    score = _scorer()
    cases = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    predictions = {p["id"]: p for p in await predict(load_settings(), cases)}
    workspace = score.Workspace(SHARED / "workspace" / "demo.json")
    misses = {
        case["id"]: reason
        for case in cases
        if (reason := score.judge(case["expect"], predictions[case["id"]], case["user"], workspace))
    }
    accuracy = 1 - len(misses) / len(cases)
    assert accuracy >= 0.92, f"accuracy {accuracy:.1%}; misses: {misses}"
    denied = {c["id"] for c in cases if c["expect"].get("decision") == "deny"}
    assert not [i for i in denied if predictions[i]["decision"] in ("confirm", "execute")]


def test_the_demo_workspace_copy_matches_the_shared_one() -> None:
    ours = Path(__file__).resolve().parents[2] / "config" / "demo-workspace.json"
    assert json.loads(ours.read_text()) == json.loads((SHARED / "workspace" / "demo.json").read_text())
