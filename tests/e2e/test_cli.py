"""The `darcy` command as a newcomer runs it: the demo script, eval, and a bad config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DARCY = [sys.executable, "-m", "bot.cli"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DARCY, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120)


def test_the_demo_script_plays_the_four_flows() -> None:
    result = run("chat", "--script", "config/demo-script.txt")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())  # rich wraps long lines at the terminal's width
    for expected in (
        "Carol Jensen's tasks in Hackathon 2026 (2):",
        "I'm going to create Book photographer for Hiro Sato, due Fri 20 Nov 2026, in Industry Night.",
        "Done: created Book photographer.",
        "1) Send out recruitment forms",
        "2) Send out judge sign-up forms",
        "Done: updated Send out recruitment forms (status → Done).",
        "What's the e-mail address of your Notion account?",
        "Linked: you're Zoe Martin in Notion now.",
        "Zoe Martin's tasks: none right now.",
    ):
        assert expected in out
    assert "Traceback" not in result.stderr


def test_script_from_stdin_and_a_cancel() -> None:
    result = run(
        "chat", "--as", "carol", "--script", "-", stdin="assign Book photographer to Hiro due Friday\nn\n"
    )
    assert "Cancelled. Nothing was changed." in result.stdout


def test_a_bad_config_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "darcy.toml"
    config.write_text("[pending]\nexpiry_minutes = 'soon'\n")
    result = run("chat", "--config", str(config), "--script", "-", stdin="hi\n")
    assert result.returncode == 2
    assert f"{config}: the configuration is not valid" in result.stderr
    assert "pending.expiry_minutes" in result.stderr
