"""Notion: the task store over notion-client, and a local Notion-compatible server.

Client side: `store.NotionTaskStore` implements `core.ports.TaskStore`; `mapping` applies the
config's property mapping; `limiter` (process-wide token bucket), `retry` (tenacity policy,
no duplicate creates), `cache` (users and projects) and `errors` (failures for people) keep
it well-behaved; `doctor` checks a config against a live workspace and `config_draft`
drafts one.

Server side: `seed` builds Notion objects from a workspace JSON, `server.NotionEmulator`
serves them on loopback (the `server` package: `app` the handlers, `protocol` the wire
shapes, `filters`, `values` and `faults`).
"""
