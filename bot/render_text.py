"""Rendering core replies for a terminal with rich: tables for lists, a prompt for questions."""

from __future__ import annotations

import re
from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.replies import Reply
from core.usage import UsageLine
from core.wording import day

BOLD = re.compile(r"\*\*(.+?)\*\*")


def markup(text: str) -> str:
    """Core's **bold** as rich markup; everything else printed literally (user text may hold [brackets])."""
    parts = BOLD.split(text)
    return "".join(f"[bold]{escape(p)}[/bold]" if i % 2 else escape(p) for i, p in enumerate(parts))


def render(console: Console, reply: Reply) -> None:
    console.print(markup(reply.text))
    if reply.tasks:
        table = Table(show_lines=False, header_style="bold")
        for column in ("Task", "Status", "Due", "Project", "People"):
            table.add_column(column)
        for line in reply.tasks:
            table.add_row(
                escape(line.title),
                line.status or "",
                day(line.due) if line.due else "—",
                escape(line.project or "—"),
                escape(", ".join(line.people) or "—"),
            )
        console.print(table)
        if reply.more:
            console.print(f"…and {reply.more} more. Narrow it down, e.g. by project or person.")
    if reply.projects:
        table = Table(header_style="bold")
        for column in ("Project", "Progress", "Lead"):
            table.add_column(column)
        for project in reply.projects:
            table.add_row(escape(project.name), project.progress or "", escape(", ".join(project.leads)))
        console.print(table)
    if reply.options:
        for number, label in enumerate(reply.options, 1):
            console.print(f"  {number}) {escape(label)}")
        console.print(f"Reply with a number (1–{len(reply.options)}), or n to cancel.")
    elif reply.needs_answer:
        console.print("Reply y to confirm or n to cancel.")
    if reply.follow_up is not None:
        render(console, reply.follow_up)


def usage_table(lines: list[UsageLine], by: str, since: date, budget_usd: float | None) -> Table:
    """`darcy usage`: one row per user or day, and the totals."""
    budget = f"; daily budget ${budget_usd:.2f} per person" if budget_usd is not None else ""
    table = Table(title=f"Usage since {since.isoformat()}{budget}", show_footer=bool(lines))
    table.add_column(by, no_wrap=True)
    for header in ("requests", "clicks", "LLM calls", "tokens in", "tokens out", "US$", "Notion calls"):
        table.add_column(header, justify="right")
    total = UsageLine("total")
    for line in lines:
        table.add_row(*_usage_cells(line))
        total.merge(line)
    for column, cell in zip(table.columns, _usage_cells(total), strict=True):
        column.footer = cell
    if not lines:
        table.caption = "Nothing recorded in that time."
    return table


def _usage_cells(line: UsageLine) -> list[str]:
    return [
        line.key, f"{line.requests:,}", f"{line.clicks:,}", f"{line.llm_calls:,}", f"{line.prompt_tokens:,}",
        f"{line.completion_tokens:,}", f"{line.cost_usd:.4f}", f"{line.notion_calls:,}",
    ]

