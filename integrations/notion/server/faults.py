"""Injected trouble for the emulator: errors, 429 storms, slow or lost answers.

A fault matches requests by method and path and fires a given number of times. It hits
either before the request is carried out (an outage, a 429: nothing happened) or after
(`after=True`: the write landed but the answer was lost, the case a client must not
answer by blindly writing again).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class Fault:
    status: int
    code: str
    remaining: int
    methods: frozenset[str] | None = None
    path: str | None = None
    retry_after: float | None = None  # the Retry-After header (seconds) of a 429 or 529
    after: bool = False  # carry the request out, then answer with the error
    drop: bool = False  # close the connection instead of answering
    delay: float = 0.0  # wait this long first (beyond the client's timeout: a timeout)

    def matches(self, request: web.Request) -> bool:
        return ((self.methods is None or request.method in self.methods)
                and (self.path is None or self.path in request.path))


class Faults:
    """The queue of pending faults; the first matching one fires."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self.fired: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._pending.append(fault)

    def take(self, request: web.Request) -> Fault | None:
        fault = next((f for f in self._pending if f.matches(request)), None)
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._pending.remove(fault)
        self.fired.append(fault)
        return fault

    def clear(self) -> None:
        self._pending.clear()
