"""The one config loader: every setting comes from an environment variable, with a default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Settings for one process. Build it with `Settings.from_env()`; tests use `replace()`."""

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    edge_host: str = "127.0.0.1"
    edge_port: int = 8080
    envoy_admin_port: int = 9901
    # airtable-gateway's REST front for /v0, which only Envoy calls: on loopback unless Envoy
    # reaches it over a network (Kubernetes). The port is for `pyat serve`; `pyat up` gives
    # the front any free port and writes it into the Envoy config it starts Envoy with.
    airtable_http_host: str = "127.0.0.1"
    airtable_http_port: int = 8081
    # web-bff's HTTP side (the web app's files, /openapi.json, cookie sessions), behind Envoy's
    # "/" and "/app/" routes; 0 asks for any free port.
    web_http_host: str = "127.0.0.1"
    web_http_port: int = 8090
    # mcp-server's streamable HTTP (the Model Context Protocol), behind Envoy's /mcp route;
    # 0 asks for any free port.
    mcp_http_host: str = "127.0.0.1"
    mcp_http_port: int = 8092
    # 0 turns the Prometheus endpoint off (tests run many servers in one process).
    metrics_port: int = 9464
    data_dir: Path = Path(".pyat")
    # Unset means a SQLite file in data_dir; set it to a postgresql+asyncpg:// URL for PostgreSQL.
    database_url: str | None = None
    # Unset means the in-process cache and bus.
    redis_url: str | None = None
    nats_url: str | None = None
    nats_stream: str = "PYAT"
    cache_prefix: str = "pyat:"
    # Unset means a key generated at first start and kept in data_dir.
    jwt_secret: str | None = None
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    log_level: str = "INFO"
    log_json: bool = True
    # How long a graceful shutdown waits for calls in flight.
    shutdown_grace_s: float = 8.0
    # The deadline given to a call between services when the caller has none.
    default_call_timeout_s: float = 5.0
    # Explicit addresses of other services (PYAT_<SERVICE>_ADDR), for `pyat serve`.
    service_addrs: Mapping[str, str] = field(default_factory=dict)
    otlp_endpoint: str | None = None
    # Where connected bases may point (PYAT_AIRTABLE_ENDPOINTS, comma-separated): a tenant's
    # endpoint URL must have one's scheme and host (and its port, if it names one), so the
    # server never becomes a way into hosts on its own network.
    airtable_endpoints: tuple[str, ...] = ("https://api.airtable.com",)
    # embedding-service: a sentence-transformers model's directory, or an installed package
    # exposing MODEL_DIR; unset means the bundled all-MiniLM-L6-v2 package.
    embedding_model: str = ""
    # The most texts one forward pass takes, and how long (ms) a pass's first text waits for more.
    embedding_max_batch: int = 64
    embedding_max_wait_ms: int = 5
    # Threads of a forward pass; 0 means half the machine's cores (at least one), so the
    # platform's other work keeps a core on a small machine.
    embedding_threads: int = 0
    # semantic-search: a table with more documents than this is served by an HNSW index
    # (usearch) instead of an exact scan; how long (ms) the indexer waits to batch changes
    # once woken (0: none; changes that come during a batch make the next one anyway).
    search_exact_limit: int = 20_000
    search_batch_window_ms: int = 0
    # PYAT_SEARCH_INDEXING: "on", or "off" for a semantic-search that neither subscribes to
    # record, table, field and base events nor runs its indexing worker: it answers from what
    # is already indexed (the benchmarks' non-AI fabric runs so).
    search_indexing: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        addrs = {
            key[len("PYAT_") : -len("_ADDR")].lower(): value
            for key, value in env.items()
            if key.startswith("PYAT_") and key.endswith("_ADDR") and value
        }
        return cls(
            grpc_host=env.get("PYAT_GRPC_HOST", cls.grpc_host),
            grpc_port=_int(env, "PYAT_GRPC_PORT", cls.grpc_port),
            edge_host=env.get("PYAT_EDGE_HOST", cls.edge_host),
            edge_port=_int(env, "PYAT_EDGE_PORT", cls.edge_port),
            envoy_admin_port=_int(env, "PYAT_ENVOY_ADMIN_PORT", cls.envoy_admin_port),
            airtable_http_host=env.get("PYAT_AIRTABLE_HTTP_HOST", cls.airtable_http_host),
            airtable_http_port=_int(env, "PYAT_AIRTABLE_HTTP_PORT", cls.airtable_http_port),
            web_http_host=env.get("PYAT_WEB_HTTP_HOST", cls.web_http_host),
            web_http_port=_int(env, "PYAT_WEB_HTTP_PORT", cls.web_http_port),
            mcp_http_host=env.get("PYAT_MCP_HTTP_HOST", cls.mcp_http_host),
            mcp_http_port=_int(env, "PYAT_MCP_HTTP_PORT", cls.mcp_http_port),
            metrics_port=_int(env, "PYAT_METRICS_PORT", cls.metrics_port),
            data_dir=Path(env.get("PYAT_DATA_DIR", str(cls.data_dir))),
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            nats_url=env.get("NATS_URL") or None,
            nats_stream=env.get("PYAT_NATS_STREAM", cls.nats_stream),
            cache_prefix=env.get("PYAT_CACHE_PREFIX", cls.cache_prefix),
            jwt_secret=env.get("PYAT_JWT_SECRET") or None,
            access_token_ttl_s=_int(env, "PYAT_ACCESS_TOKEN_TTL_S", cls.access_token_ttl_s),
            refresh_token_ttl_s=_int(env, "PYAT_REFRESH_TOKEN_TTL_S", cls.refresh_token_ttl_s),
            log_level=env.get("PYAT_LOG_LEVEL", cls.log_level).upper(),
            log_json=env.get("PYAT_LOG_FORMAT", "json") != "text",
            service_addrs=addrs,
            otlp_endpoint=env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
            airtable_endpoints=tuple(
                url.strip()
                for url in env.get("PYAT_AIRTABLE_ENDPOINTS", "").split(",")
                if url.strip()
            )
            or cls.airtable_endpoints,
            embedding_model=env.get("PYAT_EMBEDDING_MODEL", cls.embedding_model),
            embedding_max_batch=_int(env, "PYAT_EMBEDDING_MAX_BATCH", cls.embedding_max_batch),
            embedding_threads=_int(env, "PYAT_EMBEDDING_THREADS", cls.embedding_threads),
            embedding_max_wait_ms=_int(
                env, "PYAT_EMBEDDING_MAX_WAIT_MS", cls.embedding_max_wait_ms
            ),
            search_exact_limit=_int(env, "PYAT_SEARCH_EXACT_LIMIT", cls.search_exact_limit),
            search_batch_window_ms=_int(
                env, "PYAT_SEARCH_BATCH_WINDOW_MS", cls.search_batch_window_ms
            ),
            search_indexing=env.get("PYAT_SEARCH_INDEXING", "on").strip().lower() != "off",
        )

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'pyat.db').resolve()}"

    def addr_of(self, service: str) -> str:
        """Where to reach `service` (e.g. "user"): PYAT_USER_ADDR, else this process's port."""
        key = service.replace("-", "_").lower()
        return self.service_addrs.get(key) or f"127.0.0.1:{self.grpc_port}"


def normalize_database_url(url: str) -> str:
    """Accept the plain URLs people paste (postgresql://, sqlite://) and pick the async driver."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
