"""`make soak` still runs: a tiny soak (a few people for a few seconds, Notion at 3 requests/s)
loses no reply, shows nobody an error, and writes every confirmed create exactly once.
Timings and memory are printed by the soak, never asserted: they depend on the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_loses_nothing_and_writes_nothing_twice(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--users",
            "6",
            "--seconds",
            "3",
            "--think",
            "0.5",
            "--step",
            "0.1",
            "--drain",
            "60",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    soak = json.loads(out.read_text(encoding="utf-8"))
    assert soak["messages_sent"] > 0 and soak["replies_received"] == soak["messages_sent"]
    assert soak["lost_replies"] == soak["user_visible_errors"] == soak["unexpected_replies"] == 0
    assert sum(soak["flows_completed"].values()) > 0
    assert soak["soak_pages_in_notion"] == soak["creates_confirmed"]
    assert soak["created_twice"] == soak["confirmed_but_missing"] == 0
    assert soak["cancelled_or_abandoned_but_written"] == soak["written_but_not_confirmed"] == 0
    assert soak["updates_missing"] == 0
    for key in ("latency_p50_s", "latency_p99_s", "rss_start_mb", "rss_end_mb", "rss_slope_mb_per_min"):
        assert isinstance(soak[key], int | float), key  # reported, not judged
    assert "every invariant held" in run.stdout
