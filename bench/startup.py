"""help_seconds, ready_seconds, rss_mb: the `darcy` command as a person starts it.

- help_seconds: `darcy --help` as a subprocess, wall time (median of several after one).
- ready_seconds: `darcy chat --as carol --script FILE` with one message, from spawning the
  process to the moment the terminal adapter echoes the message (it does so once
  bootstrap is done, right before sending it): start to ready. The time to the first
  line of the answer is `first_reply_seconds`.
- rss_mb: peak resident memory (`ru_maxrss` from wait4) of `darcy chat --script
  config/demo-script.txt`, the four flows, default config (offline planner).
  `rss_mb_llm`: the same flows with the LLM planner, litellm loaded, in a child running
  bench/child_flows.py (full runs only: litellm's import takes seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BIN, ROOT, Mode, median, rounded

DARCY = str(BIN / "darcy")
MESSAGE = "show me Carol's tasks in Hackathon 2026"


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DARCY_")}
    env |= {"PYTHONUNBUFFERED": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DARCY_LOG_LEVEL": "error"}
    return env


def help_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([DARCY, "--help"], check=True, capture_output=True, env=child_env())
    return time.perf_counter() - began


def ready_seconds(script: Path) -> tuple[float, float, float]:
    """(spawn → the message echoed, spawn → the first line after it, the child's peak RSS in MB)."""
    began = time.perf_counter()
    process = subprocess.Popen([DARCY, "chat", "--as", "carol", "--script", str(script)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env(), text=True)
    assert process.stdout is not None
    ready = reply = None
    for line in process.stdout:
        if ready is None and "carol>" in line:
            ready = time.perf_counter() - began
        elif ready is not None and line.strip():
            reply = time.perf_counter() - began
            break
    process.stdout.read()
    rss = _wait(process)
    if ready is None or reply is None:
        raise RuntimeError("darcy chat --script did not answer")
    return ready, reply, rss


def peak_rss_mb(argv: list[str]) -> float:
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=child_env())
    return _wait(process)


def _wait(process: subprocess.Popen[Any]) -> float:
    """Wait for the child; its peak resident memory in MB (wait4 reports this child alone)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{process.args} exited with {process.returncode}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def run(mode: Mode) -> dict[str, Any]:
    if not mode.smoke:
        help_seconds()  # warm-up: the file cache
    helps = [help_seconds() for _ in range(mode.n(5))]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "one.txt"
        script.write_text(MESSAGE + "\n", encoding="utf-8")
        readies = [ready_seconds(script) for _ in range(mode.n(3))]
    if mode.smoke:  # one message, not the four flows: smaller, and one child fewer
        rss = [r for _, _, r in readies]
    else:
        flows = [DARCY, "chat", "--as", "carol", "--script", str(ROOT / "config" / "demo-script.txt")]
        rss = [peak_rss_mb(flows) for _ in range(3)]
    out = {
        "help_seconds": rounded(median(helps)),
        "ready_seconds": rounded(median(r for r, _, _ in readies)),
        "first_reply_seconds": rounded(median(f for _, f, _ in readies)),
        "rss_mb": rounded(median(rss), 1),
    }
    if not mode.smoke:
        llm = [sys.executable, "-m", "bench.child_flows", "--planner", "llm"]
        out["rss_mb_llm"] = rounded(peak_rss_mb(llm), 1)
    return out
