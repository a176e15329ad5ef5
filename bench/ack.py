"""ack_p99_ms_concurrent50: how long Slack waits for its 200 when 50 requests arrive at once.

The real bolt app (bot/slack/app.py, `process_before_response=False`) is served over HTTP
on loopback as in production's HTTP mode; its Web API client talks to the Slack emulator
(tests/rigs/slack_rig.py); core runs behind it with the offline planner and the embedded
Notion server. 50 signed `app_mention` events from linked members (the four flows' first
messages, in turn) are sent at once; the ack time of each is from sending the request to
reading the response status. A round ends when all 50 answers have been posted to Slack.
Figures: the median over rounds of each round's p99 (and of the time until the last
answer was posted), after a warm-up round.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from bench.common import FLOWS, Mode, frozen, median, percentile, rounded, use_rigs, workspace_now
from bench.common import settings as bench_settings

CONCURRENT = 50
SLACK_USERS = {"carol": "U00001002", "dan": "U00001003", "bob": "U00001001", "eve": "U00001004"}


async def run(mode: Mode) -> dict[str, Any]:
    use_rigs()
    import aiohttp
    from aiohttp.test_utils import unused_port
    from rigs.slack_rig import BOT_TOKEN, SIGNING_SECRET, SlackEmulator, event_body, signed_headers
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.bootstrap import bootstrap
    from bot.slack.app import build_app, serve_http

    app = await bootstrap(bench_settings(), clock=frozen(workspace_now()))
    emulator = await SlackEmulator().start()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.base_url)
    bolt = build_app(app.bus, signing_secret=SIGNING_SECRET, client=client)
    port = unused_port()
    runner = await serve_http(bolt, port=port, host="127.0.0.1")
    url = f"http://127.0.0.1:{port}/slack/events"
    texts = [FLOWS[name][1][0] for name in ("view", "create", "finish")]
    people = itertools.cycle(SLACK_USERS.values())
    events = itertools.count(1)

    def request(i: int) -> tuple[str, dict[str, str]]:
        n = next(events)
        ts = f"1763500{n:06d}.000100"
        event = {"type": "app_mention", "user": next(people), "text": f"<@UDARCY> {texts[i % len(texts)]}",
                 "ts": ts, "event_ts": ts, "channel": "C0GENERAL", "team": "T0CLUB",
                 "client_msg_id": f"bench-{n}"}
        body = event_body(event, event_id=f"EvBENCH{n:08d}")
        return body, signed_headers(body, "application/json")

    concurrent = 10 if mode.smoke else CONCURRENT  # a smoke run only checks that it works
    posted = 0
    acks: list[float] = []
    finished: list[float] = []
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def send(body: str, headers: dict[str, str]) -> float:
                began = time.perf_counter()
                async with session.post(url, data=body.encode(), headers=headers) as response:
                    status = response.status
                elapsed = (time.perf_counter() - began) * 1000
                if status != 200:
                    raise RuntimeError(f"Slack would have seen HTTP {status}")
                return elapsed

            warm_up = 0 if mode.smoke else 1
            for round_ in range(warm_up + mode.n(5, 1)):
                prepared = [request(i) for i in range(concurrent)]
                began = time.perf_counter()
                times = await asyncio.gather(*(send(body, headers) for body, headers in prepared))
                posted += concurrent
                await emulator.wait_for("chat.postMessage", posted, timeout=60)
                done = (time.perf_counter() - began) * 1000
                if round_ >= warm_up:
                    acks.append(percentile(times, 99))
                    finished.append(done)
    finally:
        await runner.cleanup()
        await emulator.close()
        await app.aclose()
    return {
        "ack_p99_ms_concurrent50": rounded(median(acks)),
        "all_answered_ms_concurrent50": rounded(median(finished)),
    }
