"""The table of connected bases, declared on airtable-gateway's own DeclarativeBase."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.airtable_gateway.native.storage import RecordsBase
from services.shared.db import UTCDateTime


class ConnectionRow(RecordsBase):
    """One base of a workspace whose records live at Airtable, reached with the tenant's token."""

    __tablename__ = "airtable_connections"
    __table_args__ = (Index("ix_airtable_connections_tenant", "tenant_id"),)

    base_id: Mapped[str] = mapped_column(String(17), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(17))
    workspace_id: Mapped[str] = mapped_column(String(17))
    airtable_base_id: Mapped[str] = mapped_column(String(17))
    endpoint_url: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str] = mapped_column(String(200))
    # The token, AES-GCM encrypted (see tokens.py); never stored or logged in the clear.
    token_sealed: Mapped[str] = mapped_column(Text())
    created_by: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
