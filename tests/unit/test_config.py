"""A bad admin config names the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings


def test_defaults_match_the_demo_schema() -> None:
    settings = load_settings()
    assert settings.notion.tasks.assignees == "In Charge"
    assert settings.notion.tasks.due == "Due Dates"
    assert settings.pending.expiry_minutes == 10


def test_the_example_config_is_valid() -> None:
    settings = load_settings(Path(__file__).parents[2] / "config" / "darcy.example.toml")
    assert settings.roles["lead"].archive == "led"


def test_a_wrong_value_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "darcy.toml"
    bad.write_text('[pending]\nexpiry_minutes = 30\n[workspace]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(bad)
    message = str(err.value)
    assert str(bad) in message
    assert "pending.expiry_minutes" in message and "less than 15" in message
    assert "workspace.timezone" in message and "Mars/Olympus" in message


def test_an_unknown_key_and_broken_toml_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "darcy.toml"
    bad.write_text("[notion]\ntoken = 'secret'\n")
    with pytest.raises(ConfigError, match=r"notion\.token: unknown key"):
        load_settings(bad)
    bad.write_text("[notion\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)


def test_env_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "darcy.toml"
    path.write_text("[pending]\nexpiry_minutes = 5\n")
    monkeypatch.setenv("DARCY_PENDING__EXPIRY_MINUTES", "7")
    assert load_settings(path).pending.expiry_minutes == 7


def test_a_person_with_an_unknown_role_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "darcy.toml"
    path.write_text('[[people]]\nemail = "a@b.c"\nrole = "president"\n')
    with pytest.raises(ConfigError, match="known roles: admin, lead, member"):
        load_settings(path)


def test_the_slack_api_url_gets_its_trailing_slash_and_must_be_http(tmp_path: Path) -> None:
    assert load_settings().slack.api_url is None  # Slack's own https://slack.com/api/
    path = tmp_path / "darcy.toml"
    path.write_text('[slack]\napi_url = "https://slack-gov.com/api"\n')
    assert load_settings(path).slack.api_url == "https://slack-gov.com/api/"  # methods join onto it
    path.write_text('[slack]\napi_url = "slack-gov.com/api/"\n')
    with pytest.raises(ConfigError, match=r"slack\.api_url.*http\(s\) URL"):
        load_settings(path)
