"""MCP servers named in the admin config: their tools join the registry, behind the gate.

Each server is started (stdio) or reached (streamable HTTP) once at start; its
tools are listed and declared like any other tool: an argument model from the
tool's input schema, and an impact from the admin config only (`read_only`, or
`[tools.NAME] impact`), else "write" (so it is confirmed first): a server's own
read-only annotation is a claim, not a fact, and is never trusted. A
server that fails to start is reported and Darcy runs on without it; one that
dies later makes its tools answer "not available", never a crash (a stdio server
stays so; an HTTP one answers again once it is back).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import structlog

from core.config import McpServerSettings
from core.registry import ToolContext, ToolFailed, ToolRegistry, args_model_from_schema
from core.tools import ToolSpec

log = structlog.get_logger("darcy.mcp")


class McpTool:
    def __init__(self, spec: ToolSpec, server: McpServer, remote_name: str) -> None:
        self.spec, self.server, self.remote_name = spec, server, remote_name

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return await self.server.call(self.remote_name, args)


class McpServer:
    """One connected server. Its client session lives in a task of its own for as long as
    Darcy runs: the MCP client's task groups must be entered and left by the same task."""

    def __init__(self, settings: McpServerSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None

    async def _hold(self) -> None:
        from mcp import Client, StdioServerParameters  # only when a server is configured

        cfg = self.settings
        target: Any = cfg.url or StdioServerParameters(command=_program(cfg.command or ""), args=cfg.args)
        async with Client(target, read_timeout_seconds=cfg.timeout_seconds) as client:
            self._client = client
            self._ready.set()
            await self._stop.wait()

    async def connect(self) -> list[McpTool]:
        cfg = self.settings
        self._owner = asyncio.create_task(self._hold(), name=f"mcp:{cfg.name}")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait(
            {self._owner, ready}, timeout=cfg.timeout_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if self._owner.done():
            self._owner.result()  # raises why it could not start
            raise ToolFailed("the server stopped as soon as it started")
        if not self._ready.is_set():
            raise TimeoutError(f"no answer within {cfg.timeout_seconds:g} s")
        async with asyncio.timeout(cfg.timeout_seconds):
            listed = await self._client.list_tools()
        tools = []
        for remote in listed.tools:
            impact = "read" if remote.name in cfg.read_only else "write"  # never the server's hint
            description = (remote.description or remote.name).strip()
            model = args_model_from_schema(remote.name, remote.input_schema or {}, description)
            spec = ToolSpec(name=remote.name, args_model=model, impact=impact, source=f"mcp:{cfg.name}")
            tools.append(McpTool(spec, self, remote.name))
        return tools

    async def call(self, name: str, args: dict[str, Any]) -> str:
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                result = await self._client.call_tool(name, args)
        except Exception as exc:
            log.warning("mcp_call_failed", server=self.settings.name, tool=name, error=repr(exc))
            raise ToolFailed(f"the {self.settings.name} tools are not answering right now") from exc
        text = "\n".join(getattr(part, "text", "") for part in result.content if getattr(part, "text", None))
        if result.is_error:
            raise ToolFailed(f"{name} failed: {text or 'no reason given'}")
        return text or "(no output)"

    async def aclose(self) -> None:
        self._stop.set()
        if self._owner is None:
            return
        try:
            async with asyncio.timeout(5):
                await self._owner
        except Exception as exc:  # a server that already died: nothing left to close
            self._owner.cancel()
            log.info("mcp_close_failed", server=self.settings.name, error=repr(exc))


def _program(command: str) -> str:
    """`python` in the config means this interpreter, so a server runs in Darcy's environment."""
    return sys.executable if command in ("python", "python3") else command


def _innermost(exc: BaseException) -> BaseException:
    """The error inside the MCP client's task groups ("All connection attempts failed"), not
    the group that carried it out ("unhandled errors in a TaskGroup (1 sub-exception)")."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


async def connect_servers(configs: list[McpServerSettings], registry: ToolRegistry) -> list[McpServer]:
    """Start every configured server; report the ones that fail and go on without them."""
    connected = []
    for cfg in configs:
        server = McpServer(cfg)
        try:
            registry.add_all(await server.connect())
        except Exception as exc:
            await server.aclose()
            why = _innermost(exc)
            registry.problems.append(
                f"MCP server {cfg.name}: could not start or list its tools ({type(why).__name__}: {why})"
            )
            log.warning("mcp_server_unavailable", server=cfg.name, error=repr(exc))
            continue
        connected.append(server)
    return connected
