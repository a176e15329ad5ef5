"""Naming a task costs the same on a board of 35 tasks and of 350 (issue #19, `make bench`'s
notion_calls_task_request_growth at smoke size): a warm request whose index refresh is due
asks Notion at most 2 things, whatever the board's size; only the first sync grows with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_task_naming_request_costs_the_same_notion_calls_at_x1_and_x10(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "bench", "--smoke", "--only", "task_index", "--out", str(out)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    growth = figures["notion_calls_task_request_growth"]
    assert set(growth) == {"x1", "x10"}
    assert all(calls <= 2 for calls in growth.values()), growth
    assert growth["x10"] == growth["x1"], growth
    assert figures["task_index_first_sync_calls"] == {"x1": 1, "x10": 4}  # 35 and 350 tasks, 100 a page
