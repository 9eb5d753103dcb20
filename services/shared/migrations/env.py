"""Alembic environment for the shared tables (the outbox)."""

from services.shared.migration_env import run
from services.shared.outbox import OutboxBase

run(OutboxBase.metadata)
