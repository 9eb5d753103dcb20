"""The REST front for Airtable's Web API (/v0). Placeholder until the front lands."""

from services.shared.runtime import Runtime


async def start(runtime: Runtime) -> None:
    """Start serving /v0 over HTTP for this process."""
    del runtime
