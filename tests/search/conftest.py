"""Fixtures of the search tests: each module runs on the fabric on SQLite, then on PostgreSQL,
Redis and NATS."""

from tests.airtable_gateway.conftest import any_fabric

__all__ = ["any_fabric"]
