"""The naive agent loop Darcy is measured against, built only here.

It follows the seed design literally: the model is given data tools and write tools; it
fetches the users, the projects and the tasks, matches the names in the message to ids
itself, calls the write tool, verifies the result with a read, then answers. Every tool
result goes back into the conversation, so each round trip re-sends everything before it.

The agent is real: litellm, tool schemas, the loop, tool execution against a Notion
server through the same `NotionTaskStore` Darcy uses. The model is the same loopback
server as Darcy's (bench/llm_rig.py), scripted as a perfect model: it fetches what the
design says, matches names exactly and fuzzily (rapidfuzz) on what the tools returned,
and uses each public case's labelled call. Tokens are counted the same way for both.

Two orders: `sequential` (one tool per round trip, as the design reads; the headline) and
`parallel` (every fetch in one round trip: the kindest reading of the baseline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.common import LLM_MODEL, corpus, demo_workspace, workspace_now
from bench.llm_rig import labelled_answer

MAX_ROUNDS = 10
READS = {"list_tasks", "list_projects", "whoami", "link_account"}
FETCHES = {
    "whoami": ["list_users"],
    "link_account": ["list_users"],
    "list_projects": ["list_users", "list_projects"],
}
ALL_FETCHES = ["list_users", "list_projects", "list_tasks"]

SYSTEM = """\
You are an assistant that manages a club's tasks in Notion, with these tools. To act on a \
request: fetch the users, the projects and the tasks; match the people, projects and \
tasks the user names to their ids yourself; then call the write tool with those ids; then \
verify the change with get_task; then answer the user in one or two sentences. For a \
question, fetch what you need and answer it. Dates are YYYY-MM-DD; a bare weekday is the \
next such day; "overdue" means due before today. If no tool fits, answer briefly."""


def _function(name: str, description: str, properties: dict[str, Any] | None = None,
              required: list[str] | None = None) -> dict[str, Any]:
    parameters: dict[str, Any] = {"type": "object", "properties": properties or {},
                                  "additionalProperties": False}
    if required:
        parameters["required"] = required
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": parameters}}


STRING = {"type": "string"}
IDS = {"type": "array", "items": {"type": "string"}}
TASK_FIELDS = {
    "title": STRING, "status": {"type": "string", "enum": ["Not Started", "In Progress", "Blocked",
                                                          "To Review", "Done", "Archive"]},
    "due": {"type": "string", "description": "YYYY-MM-DD"}, "assignee_ids": IDS,
    "project_id": STRING, "description": STRING,
}
TOOLS = [
    _function("list_users", "Every person in the Notion workspace: id, name, e-mail."),
    _function("list_projects", "Every project: id, name, progress, lead ids."),
    _function("list_tasks", "Every task: id, title, status, due date, assignee ids, project ids."),
    _function("get_task", "One task by id.", {"task_id": STRING}, ["task_id"]),
    _function("create_task", "Create a task.", TASK_FIELDS, ["title"]),
    _function("update_task", "Change a task's fields.", {"task_id": STRING, **TASK_FIELDS}, ["task_id"]),
    _function("add_comment", "Comment on a task.", {"task_id": STRING, "text": STRING}, ["task_id", "text"]),
]


# ---- the agent ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tools: list[str] = field(default_factory=list)
    answer: str = ""


class BaselineAgent:
    """A plain tool-calling loop: ask the model, run the tools it calls, repeat until it answers."""

    def __init__(self, store: Any, *, api_base: str, model: str = LLM_MODEL) -> None:
        self.store, self.api_base, self.model = store, api_base, model

    async def handle(self, text: str, requester: str) -> Outcome:
        import litellm

        now = workspace_now()
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"{SYSTEM}\nToday is {now:%A} {now.date()} ({now.tzinfo}). "
                                          f"The user is {requester}."},
            {"role": "user", "content": text},
        ]
        outcome = Outcome()
        for _ in range(MAX_ROUNDS):
            response = await litellm.acompletion(
                model=self.model, api_base=self.api_base, api_key="x", messages=messages, tools=TOOLS,
                tool_choice="auto", temperature=0, num_retries=0, max_retries=0,
            )
            outcome.calls += 1
            usage = getattr(response, "usage", None)
            outcome.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            outcome.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
            message = response.choices[0].message
            calls = getattr(message, "tool_calls", None) or []
            if not calls:
                outcome.answer = message.content or ""
                return outcome
            messages.append({"role": "assistant", "content": message.content, "tool_calls": [
                {"id": c.id, "type": "function",
                 "function": {"name": c.function.name, "arguments": c.function.arguments}} for c in calls
            ]})
            for call in calls:
                outcome.tools.append(call.function.name)
                result = await self.run_tool(call.function.name, json.loads(call.function.arguments or "{}"))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
        return outcome

    async def run_tool(self, name: str, args: dict[str, Any]) -> Any:
        from core.domain import NewTask, TaskChanges, TaskQuery

        store = self.store
        try:
            if name == "list_users":
                return [{"id": i, "name": n, "email": e} for i, n, e in await store.list_users()]
            if name == "list_projects":
                return [{"id": p.id, "name": p.name, "progress": p.progress, "lead_ids": p.lead_ids}
                        for p in await store.list_projects()]
            if name == "list_tasks":
                return [_task(t) for t in await store.list_tasks(TaskQuery())]
            if name == "get_task":
                return _task(await store.get_task(args["task_id"]))
            if name == "create_task":
                due = date.fromisoformat(args["due"]) if args.get("due") else None
                task = await store.create_task(NewTask(**{**args, "due": due}))
                return _task(task)
            if name == "update_task":
                task_id = args.pop("task_id")
                if args.get("due"):
                    args["due"] = date.fromisoformat(args["due"])
                return _task(await store.update_task(task_id, TaskChanges(**args)))
            if name == "add_comment":
                return {"comment_id": await store.add_comment(args["task_id"], args["text"])}
        except Exception as exc:  # the model reads the error, as agents do
            return {"error": str(exc)}
        return {"error": f"no tool {name}"}


def _task(task: Any) -> dict[str, Any]:
    return {"id": task.id, "title": task.title, "status": task.status,
            "due": task.due.isoformat() if task.due else None,
            "assignee_ids": task.assignee_ids, "project_ids": task.project_ids}


# ---- the scripted perfect model ------------------------------------------------------------------


class ScriptedModel:
    """Decides the next message of the conversation from what it holds (stateless, like a model)."""

    def __init__(self, *, parallel: bool = False) -> None:
        self.parallel = parallel
        self.cases = {case["text"]: case for case in corpus()}
        self.members = {m["handle"]: m for m in demo_workspace()["members"]}

    def __call__(self, request: dict[str, Any]) -> Any:
        from rigs.openai_server import text, tool_call, tool_calls

        messages = request["messages"]
        said = next(m["content"] for m in messages if m["role"] == "user")
        case = self.cases.get(said)
        tool, args = labelled_answer(case) if case else (None, {})
        if tool is None:
            return text("Hi! I can list, create and update the club's tasks.")
        results = _results(messages)
        fetches = FETCHES.get(tool, ALL_FETCHES)
        missing = [f for f in fetches if f not in results]
        if missing:
            if self.parallel:
                return tool_calls([(f, {}) for f in missing])
            return tool_call(missing[0], {})
        if tool in READS:
            return text(self._read_answer(tool, args, results, case))
        write = {"create_task": "create_task", "update_task": "update_task",
                 "update_tasks": "update_task", "add_comment": "add_comment"}[tool]
        if write not in results:
            matched = self._match(tool, args, results, case)
            if isinstance(matched, str):
                return text(matched)  # nothing to write: ask the user
            return tool_call(write, matched)
        written = results[write]
        if "get_task" not in results:
            task_id = written.get("id") or self._match(tool, args, results, case).get("task_id")
            return tool_call("get_task", {"task_id": task_id})
        checked = results["get_task"]
        return text(f"Done: {checked.get('title')} is now {checked.get('status')}, due {checked.get('due')}.")

    # ---- matching, as the design asks the model to ----------------------------------------------

    def _user_id(self, name: str, users: list[dict[str, Any]], case: dict[str, Any]) -> str | None:
        if name.casefold() == "me":
            name = self.members.get(case["user"], {}).get("name", "")
        if name.startswith("<@"):
            raw = name.strip("<@>")
            member = next((m for m in self.members.values()
                           if raw in (m.get("discord_id"), m.get("slack_id"))), None)
            name = member["name"] if member else name
        wanted = name.casefold()
        for user in users:
            full = (user.get("name") or "").casefold()
            if wanted in (full, full.split(" ")[0]):
                return str(user["id"])
        return None

    def _match(self, tool: str, args: dict[str, Any], results: dict[str, Any],
               case: dict[str, Any]) -> dict[str, Any] | str:
        from rapidfuzz import fuzz, process

        users, projects, tasks = results["list_users"], results["list_projects"], results["list_tasks"]
        out: dict[str, Any] = {}
        if tool != "create_task":
            titles = [t["title"] for t in tasks]
            best = process.extractOne(args.get("task") or "", titles, scorer=fuzz.token_set_ratio)
            if not best or best[1] < 60:
                return f"I couldn't find a task like “{args.get('task')}”."
            out["task_id"] = tasks[best[2]]["id"]
        elif not args.get("title"):
            return "What should the task be called?"
        for key in ("title", "status", "due", "description", "text"):
            if args.get(key):
                out[key] = args[key]
        people = args.get("assignees") or args.get("add_assignees")
        if tool == "create_task" and not people:
            people = ["me"]
        if people:
            ids = [self._user_id(p, users, case) for p in people]
            if None in ids:
                return "I couldn't find everyone you named in the workspace."
            if args.get("add_assignees"):
                task = next(t for t in tasks if t["id"] == out["task_id"])
                ids = [*task["assignee_ids"], *ids]
            out["assignee_ids"] = ids
        if args.get("project"):
            project = next((p for p in projects if p["name"].casefold() == args["project"].casefold()), None)
            if project is None:
                return f"I couldn't find the project {args['project']}."
            out["project_id"] = project["id"]
        if tool == "add_comment":
            out = {"task_id": out["task_id"], "text": args.get("text", "")}
        return out

    def _read_answer(self, tool: str, args: dict[str, Any], results: dict[str, Any],
                     case: dict[str, Any]) -> str:
        if tool in ("whoami", "link_account"):
            member = self.members.get(case["user"])
            return f"You are {member['name']}." if member else "I don't know who you are."
        if tool == "list_projects":
            return "Projects: " + "; ".join(p["name"] for p in results["list_projects"])
        tasks = results["list_tasks"]
        if args.get("assignee"):
            who = self._user_id(args["assignee"], results["list_users"], case)
            tasks = [t for t in tasks if who in t["assignee_ids"]]
        if args.get("project"):
            wanted = args["project"].casefold()
            ids = {p["id"] for p in results["list_projects"] if p["name"].casefold() == wanted}
            tasks = [t for t in tasks if ids & set(t["project_ids"])]
        if args.get("due_before"):
            tasks = [t for t in tasks if t["due"] and t["due"] <= args["due_before"]]
        if args.get("due_after"):
            tasks = [t for t in tasks if t["due"] and t["due"] >= args["due_after"]]
        if args.get("status", "active") == "active":
            tasks = [t for t in tasks if t["status"] not in ("Done", "Archive")]
        lines = [f"- {t['title']} ({t['status']}, due {t['due']})" for t in tasks]
        return f"{len(lines)} tasks:\n" + "\n".join(lines) if lines else "No tasks match."


def _results(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Tool name → its (last) result, reading the conversation in order (call ids restart at
    call_0 in every answer, so each tool message belongs to the assistant message before it)."""
    names: dict[str, str] = {}
    results: dict[str, Any] = {}
    for message in messages:
        if message.get("tool_calls"):
            names = {call["id"]: call["function"]["name"] for call in message["tool_calls"]}
        elif message.get("role") == "tool":
            results[names.get(message.get("tool_call_id", ""), "?")] = json.loads(message["content"])
    return results
