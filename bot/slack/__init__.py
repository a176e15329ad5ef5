"""The Slack adapter (slack-bolt, async): events, /darcy, Block Kit answers, Socket Mode or HTTP."""

from bot.slack.app import build_app, run_slack

__all__ = ["build_app", "run_slack"]
