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
    # 5. notifications: /tick moves the demo clock and prints what would be sent
    hiro = out[out.index("now chatting as hiro") :]
    for expected in (
        "I'll send your reminders at 08:30.",
        "📬 to hiro: Carol Jensen gave you a task: Book photographer — due Fri 20 Nov 2026, Industry Night.",
        "— it's now Wed 18 Nov 2026 10:03 —",
        "📬 to hiro: Reminder: Book photographer — due tomorrow (Fri 20 Nov 2026), Industry Night.",
        "— it's now Thu 19 Nov 2026 10:03 —",
        "hiro> done Done: updated Book photographer (status → Done).",
    ):
        assert expected in hiro
    assert "📬 to dan" not in hiro  # Dan's forms are done: no reminder about them


def test_notify_preview_prints_what_a_person_would_receive_that_day() -> None:
    result = run("notify", "preview", "--as", "hiro", "--date", "2026-11-26")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Hiro Sato would receive on Thu 26 Nov 2026:",
        "",
        "Reminder: Print name badges — due tomorrow (Fri 27 Nov 2026), Hackathon 2026.",
        'Say "no more reminders" to stop these.',
        "[Done]  [Snooze 1 day]  [Open in Notion]",
    ]
    quiet = run("notify", "preview", "--as", "hiro", "--date", "2026-11-22")
    assert quiet.stdout.strip() == "Hiro Sato would receive nothing on Sun 22 Nov 2026."


def test_settings_shows_a_persons_notification_settings() -> None:
    result = run("settings", "--as", "dan")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Dan Whitfield's notifications:",
        "  assignment messages: on",
        "  due reminders: on (1 day(s) before, at 08:00) and one nudge when overdue",
        "  morning digest: off",
        "  quiet hours: none",
        "  timezone: Australia/Melbourne",
        "their own choices: none (the admin's defaults)",
    ]
    unknown = run("settings", "--as", "nobody")
    assert unknown.returncode == 2 and "nobody has the handle 'nobody'" in unknown.stderr


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


def test_a_choice_made_in_chat_is_stored_and_shown_by_darcy_settings(tmp_path: Path) -> None:
    config = tmp_path / "darcy.toml"
    config.write_text(
        f'[workspace]\nseed = "{ROOT / "config" / "demo-workspace.json"}"\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "darcy.db"}"\n',
        encoding="utf-8",
    )
    said = run(
        "chat",
        "--as",
        "dan",
        "--config",
        str(config),
        "--script",
        "-",
        stdin="remind me at 7:45am\nquiet hours 10pm-7am\n",
    )
    assert "I'll send your reminders at 07:45." in said.stdout
    assert "Quiet hours 22:00–07:00: nothing arrives then." in said.stdout
    shown = run("settings", "--as", "dan", "--config", str(config))
    assert (
        "  due reminders: on (1 day(s) before, at 07:45) and one nudge when overdue"
        in shown.stdout.splitlines()
    )
    assert "their own choices: morning=07:45, quiet_end=07:00, quiet_start=22:00" in shown.stdout
