"""Notion: the task store over notion-client and a local Notion-compatible server.

`seed` builds Notion objects from a workspace JSON, `server.NotionEmulator` serves
them on loopback, `store.NotionTaskStore` implements `core.ports.TaskStore`.
"""
