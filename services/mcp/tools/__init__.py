"""The one registry of mcp-server's tools, served alike over gRPC, streamable HTTP and stdio.

Airtable's comment and attachment tools (create_comment, list_comments, upload_attachment)
come with the services that keep comments and files."""

from services.mcp.tools import insight, meta, records
from services.mcp.tools.base import Stubs, Tool, ToolError

TOOLS: dict[str, Tool] = {tool.name: tool for tool in (*meta.TOOLS, *records.TOOLS, *insight.TOOLS)}

__all__ = ["TOOLS", "Stubs", "Tool", "ToolError"]
