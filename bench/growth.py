"""prompt_tokens_growth: prompt tokens per request as the workspace grows ×1, ×10, ×100.

A bigger workspace is the demo's cloned: every member, project and task again under new
names (clone k of a task belongs to clone k of its people and project), written to a
temporary seed file and served by the embedded Notion server. A fixed set of public
requests from linked members goes through the whole path with the LLM planner (loopback
model, tokens counted by litellm's tokenizer: bench/llm_rig.py). `tasks_x100` grows only
the tasks (members and projects ×1): the prompt must not grow with them.

The last request names a task ("I've just finished sending out the recruitment forms"); what
it costs Notion as the board grows is bench/task_index.py's `notion_calls_task_request_growth`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench.common import Mode, corpus, demo_workspace, frozen, rounded, settings, workspace_now
from bench.llm_rig import ModelServer, darcy_model

FIRST = [
    "Aiden", "Bianca", "Callum", "Delia", "Emil", "Fiona", "Gideon", "Harriet", "Ivan", "Juno",
    "Kai", "Lena", "Milo", "Nadia", "Oscar", "Petra", "Quinn", "Rosa", "Silas", "Talia", "Umar",
    "Vera", "Wes", "Xenia", "Yusuf", "Zara", "Arlo", "Bea", "Cyrus", "Dora", "Ezra", "Freya", "Gus",
    "Hana", "Idris", "Jade", "Kofi", "Lila", "Mateo", "Noor",
]
LAST = [
    "Abbott", "Barros", "Chen", "Duarte", "Ekwueme", "Fischer", "Garcia", "Horvat", "Ito",
    "Jovanovic", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okonkwo", "Petrov", "Quispe", "Rossi",
    "Sato", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou", "Amari", "Brennan",
    "Castillo", "Dlamini", "Eriksen", "Fontaine", "Gupta", "Haddad", "Ibrahim", "Jensen", "Kaur",
    "Larsen", "Mensah", "Nakamura",
]
THEMES = [
    "Spring", "Autumn", "Winter", "Summer", "Alumni", "Freshers", "Charity", "Careers", "Coding",
    "Design", "Robotics", "Film", "Music", "Debate", "Chess", "Hiking", "Cooking", "Science",
    "Startup", "Gaming", "Photo", "Poetry", "Dance", "Quiz", "Trivia", "Garden", "Language", "Open",
    "Night", "Market",
]
KINDS = [
    "Gala", "Workshop", "Meetup", "Showcase", "Bootcamp", "Retreat", "Festival", "Fair", "Sprint",
    "Summit", "Social", "Tour", "Jam", "Series", "Marathon", "Expo", "Clinic", "Party", "Launch",
    "Drive", "Camp", "Forum", "Lab", "Week", "Cup", "Session", "Challenge", "Evening", "Trip",
    "Hackday",
]

CASES = 8  # public requests from linked members, the same at every size
TASK_CASE = "p045"  # names a task, which the gate must find among the workspace's tasks


def scaled(workspace: dict[str, Any], factor: int, *, only_tasks: bool = False) -> dict[str, Any]:
    """The workspace with `factor - 1` clones of everything (or of the tasks only)."""
    if factor == 1:
        return workspace
    names = _names(len(workspace["members"]) * (factor - 1))
    projects = _projects(len(workspace["projects"]) * (factor - 1))
    members, project_list, tasks = list(workspace["members"]), list(workspace["projects"]), []
    for k in range(1, factor):
        handle: dict[str, str] = {}
        project: dict[str, str] = {}
        if only_tasks:
            handle = {m["handle"]: m["handle"] for m in workspace["members"]}
            project = {p["name"]: p["name"] for p in workspace["projects"]}
        else:
            for member in workspace["members"]:
                name = next(names)
                new = name.lower().replace(" ", ".")
                handle[member["handle"]] = new
                members.append({"handle": new, "name": name, "email": f"{new}@club.example",
                                "role": member.get("role", "member"), "linked": False})
            for original in workspace["projects"]:
                name = next(projects)
                project[original["name"]] = name
                project_list.append({**original, "name": name,
                                     "lead": handle.get(original.get("lead"), original.get("lead"))})
        for task in workspace["tasks"]:
            clone = {**task, "title": f"{task['title']} (batch {k})",
                     "in_charge": [handle[h] for h in task.get("in_charge", [])]}
            if task.get("project"):
                clone["project"] = project[task["project"]]
            tasks.append(clone)
    return {**workspace, "members": members, "projects": project_list, "tasks": [*workspace["tasks"], *tasks]}


def _names(count: int) -> Any:
    pairs = [f"{first} {last}" for last in LAST for first in FIRST]
    if count > len(pairs):
        pairs += [f"{p} {n}" for n in range(2, 2 + count // len(pairs) + 1) for p in pairs]
    return iter(pairs)


def _projects(count: int) -> Any:
    names = [f"{theme} {kind}" for kind in KINDS for theme in THEMES]
    if count > len(names):
        names += [f"{p} {n}" for n in range(2, 2 + count // len(names) + 1) for p in names]
    return iter(names)


def cases(n: int, *, task: bool = True) -> list[dict[str, Any]]:
    """`n` requests that need no task found (quick at ×100), then (`task`) one that does."""
    from bench.common import expected

    linked = {m["handle"] for m in demo_workspace()["members"] if m.get("linked", True)}
    chosen = [c for c in corpus() if c["user"] in linked
              and expected(c).get("tool") in ("list_tasks", "list_projects", "create_task", "whoami")]
    step = max(1, len(chosen) // n)
    return [*chosen[::step][:n], *(c for c in corpus() if task and c["id"] == TASK_CASE)]


async def run(mode: Mode) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.evaluation import chat_id
    from core.messages import HandleRequest
    from integrations.llm.planner import build_planner

    sizes = {"x1": (1, False), "x10": (10, False), "x100": (100, False), "tasks_x100": (100, True)}
    chosen = cases(1, task=False) if mode.smoke else cases(CASES)
    growth: dict[str, float] = {}
    async with ModelServer(darcy_model) as server:
        with tempfile.TemporaryDirectory() as tmp:
            for label, (factor, only_tasks) in sizes.items():
                workspace = scaled(demo_workspace(), factor, only_tasks=only_tasks)
                seed = Path(tmp) / f"{label}.json"
                seed.write_text(json.dumps(workspace), encoding="utf-8")
                config = settings(planner="llm", api_base=server.base_url, seed=seed)
                planner = build_planner(config)
                app = await bootstrap(config, planner=planner, clock=frozen(workspace_now()))
                try:
                    for case in chosen:
                        platform = case.get("platform", "terminal")
                        await app.bus.execute(HandleRequest(
                            platform=platform, user_id=chat_id(workspace, case["user"], platform),
                            channel_id=f"bench:{case['id']}", text=case["text"]))
                finally:
                    await app.aclose()
                growth[label] = rounded(planner.stats.prompt_tokens / len(chosen), 1)
    return {
        "prompt_tokens_growth": growth,
        "prompt_tokens_growth_x100_over_x1": rounded(growth["x100"] / growth["x1"], 2),
    }
