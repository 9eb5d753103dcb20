"""Fixtures for the whole suite: real servers only (PostgreSQL, Redis, NATS, Envoy, grpc.aio)."""

pytest_plugins = ["tests.fixtures.infra", "tests.fixtures.fabric"]
