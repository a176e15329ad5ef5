"""The built-in Notion-compatible server: `NotionEmulator` (app.py) and its parts.

`app` holds the request handlers; `protocol` the wire shapes (errors, lists, cursors);
`filters` the query filters and sorts; `values` the property values of requests; `faults`
the trouble tests inject.
"""

from integrations.notion.server.app import LoggedRequest, NotionEmulator

__all__ = ["LoggedRequest", "NotionEmulator"]
