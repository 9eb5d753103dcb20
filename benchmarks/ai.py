"""The AI tier (issue 11): semantic-search on a large indexed table, freshness, an MCP round
trip, and the memory of embedding-service, semantic-search and mcp-server.

It runs after the rest, in a fabric of its own (a second `pyat up`, with its own echo
baselines) with record indexing on; the main fabric runs with PYAT_SEARCH_INDEXING=off so its
100,000 data-plane records are not embedded behind every other scenario's back.

- **Knowledge base**: a real base and tables made through the API; the corpus' texts and
  cached vectors (`corpus.py`) written into the search service's documents table with its own
  storage code, then the fabric restarted so the service rebuilds its index from them.
- **Search**: GET /v1/bases/{baseId}/search through Envoy with a user token at 50/s, beside
  the REST echo; recall@10 of the service's SEMANTIC answers, and of its index module run
  in-process, against an exact search over the same vectors.
- **Freshness** (`freshness.py`), **MCP** (raw JSON-RPC POSTs through the load generator, and
  the `mcp` client library) beside the same REST page, and **memory** of each service alone.
"""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import corpus, freshness
from benchmarks.feed import percentile
from benchmarks.knowledge import (
    KnowledgeBase,
    cells,
    graph_ready,
    grpc_search_calls,
    load_in_process,
    make_knowledge_base,
    model_name,
    pat,
    recall_of_service,
    search_calls,
    seed,
    wait_until_indexed,
    wait_until_loaded,
)
from benchmarks.loadgen import Job
from benchmarks.mcp_round_trip import (
    LISTED,
    check_mcp_answer,
    grpc_mcp_call,
    mcp_call,
    mcp_client_round_trips,
)
from benchmarks.processes import PyatServer, stop_all
from benchmarks.scenarios import AI, Call, Scenario
from services.registry import SERVICES
from services.search import texts
from services.shared.config import Settings

if TYPE_CHECKING:
    from benchmarks.run import Plan, Suite

NAME = "AI tier"
SEARCH = "semantic-search REST GET /v1/bases/.../search"
MCP_RAW = "mcp-server list_records 100, JSON-RPC POST /mcp"
MCP_REST = "REST GET /v0 page of 100 (beside MCP)"
MCP_CLIENT = "mcp-server list_records 100, mcp client library"
RECORDS = 100_000
QUICK_RECORDS = 2_000
# A quick run's table is small: a low exact limit still sends it through the HNSW graph.
QUICK_EXACT_LIMIT = 500
SEARCH_RATE = 50.0
# Each SEMANTIC search embeds its query: a quick run asks fewer of the 204 paraphrases.
QUICK_RECALL_QUERIES = 40
# Half the enterprise plan's 20 requests/s per base, which the /v0 page counts against.
MCP_RATE = 10.0
FRESH_S, QUICK_FRESH_S = 30.0, 3.0
SEMANTIC_FRESH, QUICK_SEMANTIC_FRESH = 5, 2
TARGET_RECALL = 0.95
TARGET_P99_MS = 50.0
PARTS = {"p50": 0.5, "p99": 0.99}
TARGET_MEMORY_MB = {"embedding": 384, "search": 384, "mcp": 256}


def run(
    make_suite: Callable[[Plan, dict[str, str], Path, ExitStack], Suite],
    plan: Plan,
    env: dict[str, str],
    workdir: Path,
    quick: bool,
) -> dict[str, Any]:
    """The whole AI part in its own fabric; its results, errors and misses included."""
    records = QUICK_RECORDS if quick else RECORDS
    ai_env = {**env, "PYAT_SEARCH_INDEXING": "on"}
    if quick:
        ai_env["PYAT_SEARCH_EXACT_LIMIT"] = str(QUICK_EXACT_LIMIT)
    people = corpus.people(records)
    with ExitStack() as stack:
        # One user, the knowledge base's owner.
        suite = make_suite(replace(plan, users=1), ai_env, workdir, stack)
        part = Part(suite, stack, quick)
        return part.measure(people)
    raise AssertionError("unreachable")  # for mypy: the with block returns


class Part:
    """One run of the AI part: its fabric (a Suite of its own) and its results as they come."""

    def __init__(self, suite: Suite, stack: ExitStack, quick: bool) -> None:
        self.suite = suite
        self.stack = stack
        self.quick = quick
        self.errors: list[str] = []
        self.checks: list[dict[str, Any]] = []
        self.settings = Settings.from_env({**suite.env, "PYAT_DATA_DIR": str(suite.data_dir)})
        self.restore_s: float | None = None  # the lone search's graph, from its snapshot

    def attempt(self, step: str, work: Callable[[], Any]) -> Any:
        found = self.suite.attempt(NAME, step, work)
        if found is None:
            self.errors.append(f"{step}: see the failures")
        return found

    def check(
        self, what: str, figure: float | None, target: str, meets: bool | None, unit: str = ""
    ) -> None:
        """One figure beside its target; None when it could not be measured."""
        self.checks.append(
            {"what": what, "figure": figure, "unit": unit, "target": target, "meets": meets}
        )

    def measure(self, people: list[corpus.Person]) -> dict[str, Any]:
        suite = self.suite
        texts_ = [p.text() for p in people]
        print(f"  {NAME}: embedding {len(people)} corpus texts (cached in {corpus.CACHE})")
        vectors, embed_s = corpus.cached_vectors(texts_)
        kb = make_knowledge_base(suite.fabric.grpc_address, suite.users[0], people)
        texts_ = [texts.record_text(kb.people, cells(kb.people, p)) for p in people]
        if texts_[0] != people[0].text():  # the service's text changed: embed what it indexes
            vectors, embed_s = corpus.cached_vectors(texts_)
        # The indexer must be done with the new tables first: a table's re-index drops the
        # documents of records the table does not have, which the seeded ones are not.
        wait_until_indexed(suite.fabric.grpc_address, kb)
        model = model_name(suite.fabric.grpc_address)
        record_ids, seed_s = asyncio.run(seed(self.settings.db_url, kb, texts_, vectors, model))
        print(f"  {NAME}: {len(record_ids)} documents written in {seed_s:.1f} s")
        here = asyncio.run(
            load_in_process(
                self.settings.db_url, self.settings.search_exact_limit, kb, record_ids, vectors
            )
        )
        self.restart_fabric()
        # It answers from the exact matrix once loaded, then builds its graph in a thread:
        # nothing is measured until the graph serves.
        ready_s = wait_until_loaded(suite.fabric.grpc_address, kb)
        graph_s = graph_ready(suite.fabric.stderr_path, kb.people.id)
        print(
            f"  {NAME}: in-process load {here.load_s:.1f} s and graph {here.build_s:.1f} s; "
            f"the service answered after {ready_s:.1f} s, its graph built in {graph_s:.1f} s"
        )
        asked = QUICK_RECALL_QUERIES if self.quick else len(corpus.JOBS)
        service_recall, one_at_a_time = recall_of_service(
            suite.fabric.grpc_address, kb, record_ids, vectors, asked
        )
        scenarios = self.stated_loads(kb)
        fresh = self.attempt("freshness", functools.partial(self.freshness, kb))
        client = self.attempt("mcp client", functools.partial(self.mcp_client, kb))
        memory = self.attempt("memory", functools.partial(self.solo_memory, kb, len(people)))
        self.judge(scenarios, here.recall, service_recall, fresh, client, memory)
        alone = {name: round(percentile(one_at_a_time, q) * 1e3, 1) for name, q in PARTS.items()}
        for name, figure in alone.items():
            self.check(
                f"search {name} one at a time (SEMANTIC, gRPC)", figure, "(reported)", None, "ms"
            )
        return {
            "name": NAME,
            "records": len(people),
            "corpus_embed_s": round(embed_s, 1),
            "seed_s": round(seed_s, 1),
            "in_process_load_s": round(here.load_s, 1),
            "in_process_build_s": round(here.build_s, 1),
            "service_ready_s": round(ready_s, 1),
            "service_graph_s": graph_s,
            "solo_restore_s": self.restore_s,
            "recall_at_10": {"in_process": here.recall, "service": service_recall},
            "recall_queries": asked,
            "scenarios": scenarios,
            "freshness": fresh,
            "mcp_client": client,
            "memory": memory or [],
            "fabric_memory": suite.memory,
            "checks": self.checks,
            "errors": self.errors,
            "failures": suite.failures,
            "misses": [c["what"] for c in self.checks if c["meets"] is False],
        }

    def restart_fabric(self) -> None:
        """Stop the fabric and start it again on the same data: the search service rebuilds its
        index from the documents table at start."""
        suite = self.suite
        suite.fabric.stop()
        fabric = PyatServer("pyat-up-restarted", ["up"], suite.env, suite.data_dir, suite.logs)
        self.stack.callback(fabric.stop)
        fabric.wait_ready()
        suite.fabric = fabric
        suite.scenario_env = replace(suite.scenario_env, grpc_address=fabric.grpc_address)

    def stated_loads(self, kb: KnowledgeBase) -> list[dict[str, Any]]:
        """Search, the MCP round trip and its REST page, each at its stated load beside its
        echo and REST echo baselines (the runner's own machinery)."""
        suite = self.suite
        scenarios = [
            Scenario(SEARCH, "search", "rest", "/v1/bases/{baseId}/search?query=...",
                     lambda env: search_calls(kb), tier=AI, rate=SEARCH_RATE),
            Scenario(MCP_RAW, "mcp", "rest", "/mcp", lambda env: [mcp_call(kb)], tier=AI,
                     rate=MCP_RATE, http_method="POST"),
            Scenario(MCP_REST, "airtable-gateway", "rest",
                     f"/v0/{kb.base_id}/{kb.directory_id}?pageSize={LISTED}",
                     lambda env: [Call(headers=pat(kb))], tier=AI, rate=MCP_RATE),
        ]  # fmt: skip
        check_mcp_answer(suite.fabric.edge_address or "", kb)
        results = []
        for s in scenarios:
            found = suite.attempt(s.name, "stated load", functools.partial(suite.stated_load, s))
            results += [found] if found is not None else []
        return results

    def freshness(self, kb: KnowledgeBase) -> dict[str, Any]:
        fabric = self.suite.fabric
        target = freshness.Target(
            grpc_address=fabric.grpc_address,
            edge_address=fabric.edge_address or "",
            base_id=kb.base_id,
            table_id=kb.people.id,
            caller=kb.caller,
            token=kb.owner.token,
        )
        seconds = QUICK_FRESH_S if self.quick else FRESH_S
        semantic = QUICK_SEMANTIC_FRESH if self.quick else SEMANTIC_FRESH
        result = freshness.run(target, seconds, semantic)
        print(f"  {NAME}: freshness {result['keyword_ms']}, by meaning {result['semantic_ms']}")
        for error in result["errors"]:
            self.suite.failed(f"{NAME} freshness", error)
        return result

    def mcp_client(self, kb: KnowledgeBase) -> dict[str, Any]:
        """list_records through the `mcp` client library, open loop at MCP_RATE."""
        plan = self.suite.plan
        url = f"http://{self.suite.fabric.edge_address}/mcp"
        result = asyncio.run(
            mcp_client_round_trips(url, kb, MCP_RATE, plan.warmup_s, plan.measure_s)
        )
        print(f"  {NAME}: {MCP_CLIENT}: {result}")
        if result["ok"] == 0:
            self.suite.failed(MCP_CLIENT, f"no call succeeded: {result['errors']}")
        return result

    def solo_memory(self, kb: KnowledgeBase, records: int) -> list[dict[str, Any]]:
        """embedding, search and mcp each alone (`pyat serve <name>`), at idle and after their
        load: search (which embeds its queries with the lone embedding) at SEARCH_RATE over
        gRPC, mcp's CallTool list_records at MCP_RATE. The lone search loads the same `records`
        documents; its indexing is off, as the fabric's indexer handles the events."""
        suite = self.suite
        fabric = suite.fabric.grpc_address
        others = {
            f"PYAT_{name.replace('-', '_').upper()}_ADDR": fabric
            for name in SERVICES
            if name not in TARGET_MEMORY_MB
        }
        env = {**suite.env, **others, "PYAT_MCP_HTTP_PORT": "0"}
        embedding = PyatServer(
            "pyat-serve-embedding", ["serve", "embedding"], env, suite.data_dir, suite.logs
        )
        solos = [embedding]
        try:
            search_env = {
                **env,
                "PYAT_EMBEDDING_ADDR": embedding.grpc_address,
                "PYAT_SEARCH_INDEXING": "off",
            }
            search = PyatServer(
                "pyat-serve-search", ["serve", "search"], search_env, suite.data_dir, suite.logs
            )
            mcp = PyatServer(
                "pyat-serve-mcp",
                ["serve", "mcp"],
                {**env, "PYAT_SEARCH_ADDR": search.grpc_address},
                suite.data_dir,
                suite.logs,
            )
            solos += [search, mcp]
            for server in solos:
                server.wait_ready()
            wait_until_loaded(search.grpc_address, kb)
            self.restore_s = graph_ready(search.stderr_path, kb.people.id)
            print(f"  pyat serve search: its graph restored or built in {self.restore_s:g} s")
            rows = [
                memory_row("embedding", embedding, "idle, after start"),
                memory_row("search", search, f"idle, its {records:,} documents loaded"),
                memory_row("mcp", mcp, "idle, after start"),
            ]
            search_job = self.grpc_job(
                search.grpc_address,
                "/pyat.search.v1.SearchService/Search",
                grpc_search_calls(kb),
                SEARCH_RATE,
            )
            self.solo_load("search", search_job)
            rows.append(memory_row("embedding", embedding, "after the search load's queries"))
            rows.append(memory_row("search", search, f"after Search at {SEARCH_RATE:g}/s"))
            mcp_job = self.grpc_job(
                mcp.grpc_address, "/pyat.mcp.v1.McpService/CallTool", [grpc_mcp_call(kb)], MCP_RATE
            )
            self.solo_load("mcp", mcp_job)
            rows.append(memory_row("mcp", mcp, f"after CallTool list_records at {MCP_RATE:g}/s"))
        finally:
            stop_all(list(solos))
        return rows

    def grpc_job(self, address: str, method: str, calls: list[Call], rate: float) -> Job:
        encoded = [
            {"body": _b64(c.body), "headers": [list(h) for h in c.headers], "path": ""}
            for c in calls
        ]
        return Job(
            target=address,
            transport="grpc",
            path=method,
            calls=encoded,
            mode="open",
            warmup_s=0.0,
            duration_s=max(self.suite.plan.solo_load_s, 1.0),
            rate=rate,
        )

    def solo_load(self, name: str, job: Job) -> None:
        result = self.suite.loadgen.run(job)
        print(f"  pyat serve {name}: {result['ok']} calls OK, errors {result['errors']}")
        self.suite.check_succeeded(f"{NAME}: pyat serve {name}", "load", result)

    def judge(
        self,
        scenarios: list[dict[str, Any]],
        in_process: float,
        service_recall: float,
        fresh: dict[str, Any] | None,
        client: dict[str, Any] | None,
        memory: list[dict[str, Any]] | None,
    ) -> None:
        """Every figure beside its target."""
        target = f">= {TARGET_RECALL:g}"
        self.check(
            "search recall@10, service (SEMANTIC)",
            service_recall,
            target,
            service_recall >= TARGET_RECALL,
        )
        self.check(
            "search recall@10, index module in-process",
            in_process,
            target,
            in_process >= TARGET_RECALL,
        )
        by_name = {s["name"]: s for s in scenarios}
        search = by_name.get(SEARCH)
        if search is not None:
            p99 = (search["result"]["latency_ms"] or {}).get("p99")
            self.check(
                f"search p99 at {SEARCH_RATE:g}/s through Envoy",
                p99,
                f"< {TARGET_P99_MS:g} ms",
                p99 is not None and p99 < TARGET_P99_MS,
                "ms",
            )
        for s in scenarios:
            self.check(
                f"{s['name']}: AI tier at {s['offered_rate']:g}/s",
                None,
                "p50 < 50, p95 < 200, p99 < 500 ms",
                s["meets_target"],
            )
        # The issue asks how soon, and sets no figure: reported, not judged.
        if fresh is not None:
            for name, key in (("keyword", "keyword_ms"), ("meaning", "semantic_ms")):
                for p in ("p50", "p99"):
                    figure = (fresh[key] or {}).get(p)
                    self.check(
                        f"freshness {p}, commit to found by {name}",
                        figure,
                        "(reported)",
                        None,
                        "ms",
                    )
        raw, rest = by_name.get(MCP_RAW), by_name.get(MCP_REST)
        if raw and rest and raw["result"]["latency_ms"] and rest["result"]["latency_ms"]:
            ratio = raw["result"]["latency_ms"]["p50"] / rest["result"]["latency_ms"]["p50"]
            self.check("MCP ÷ REST, p50", round(ratio, 2), "(reported)", None, "x")
        if client is not None and client["latency_ms"] and rest and rest["result"]["latency_ms"]:
            ratio = client["latency_ms"]["p50"] / rest["result"]["latency_ms"]["p50"]
            self.check("MCP client library ÷ REST, p50", round(ratio, 2), "(reported)", None, "x")
        for row in memory or []:
            limit = TARGET_MEMORY_MB[row["service"]]
            self.check(
                f"RSS of pyat serve {row['service']}, {row['when']}",
                row["rss_mb"],
                f"<= {limit} MB",
                row["rss_mb"] <= limit,
                "MB",
            )


def _b64(body: bytes) -> str:
    return base64.b64encode(body).decode()


def memory_row(service: str, server: PyatServer, when: str) -> dict[str, Any]:
    memory = server.memory()
    print(f"  memory pyat serve {service}, {when}: RSS {memory.rss_mb} MB, peak {memory.peak_mb}")
    return {"service": service, "when": when, "rss_mb": memory.rss_mb, "peak_mb": memory.peak_mb}


def _figure(check: dict[str, Any]) -> str:
    figure = check["figure"]
    if figure is None:
        return "-"
    unit = check["unit"]
    return f"{figure:g}{'x' if unit == 'x' else f' {unit}' if unit else ''}"


def markdown(part: dict[str, Any]) -> list[str]:
    """The AI part's section of the report: every figure with its target, then details."""
    verdicts = {True: "meets", False: "**MISSED**", None: "-"}
    rows = [[c["what"], _figure(c), c["target"], verdicts[c["meets"]]] for c in part["checks"]]
    lines = [
        f"## {NAME}: semantic-search, freshness, MCP, memory",
        "",
        f"A fabric of its own with record indexing on; {part['records']:,} corpus records "
        f"seeded into semantic-search's documents table in {part['seed_s']:g} s (their vectors "
        f"computed {'in ' + format(part['corpus_embed_s'], 'g') + ' s' if part['corpus_embed_s'] else 'earlier, from the cache'}). "  # noqa: E501
        f"The service's index module, in-process, read them into its matrix in "
        f"{part['in_process_load_s']:g} s and built their graph in "
        f"{part['in_process_build_s']:g} s. After a restart the service answered (from its "
        f"matrix) after {part['service_ready_s']:g} s and said its graph took "
        f"{part['service_graph_s']:g} s; the lone `pyat serve search` on the same data had "
        f"its graph back (from the snapshot, or built) in {part.get('solo_restore_s')} s. "
        "Nothing is measured before the graph serves. Searches are hybrid (the default) "
        "through Envoy with a user token, every query different (a job's paraphrase and a "
        "city), so none comes from the service's query cache. Recall@10: SEMANTIC answers to "
        f"{part['recall_queries']} paraphrases of jobs against an exact scan of the same vectors.",
        "",
        "| figure | value | target | verdict |",
        "|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    if part["errors"]:
        lines += ["", "Errors: " + "; ".join(part["errors"]).replace("|", "\\|")]
    lines += ["", "Stated loads (times in ms; xREST echo: the ratio to REST → Envoy → echo):", ""]
    lines += [
        "| scenario | offered/s | achieved/s | p50 | p95 | p99 | max | errors "
        "| p50 xREST echo | p99 xREST echo | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(_stated_row(s) for s in part["scenarios"]),
    ]
    client = part.get("mcp_client")
    if client and client["latency_ms"]:
        c = client["latency_ms"]
        lines += [
            "",
            f"{MCP_CLIENT} at {client['rate']:g}/s: p50 {c['p50']:.1f}, p95 "
            f"{c['p95']:.1f}, p99 {c['p99']:.1f}, max {c['max']:.1f} ms, "
            f"{client['ok']} calls, errors {client['errors'] or 0}.",
        ]
    fresh = part.get("freshness")
    if fresh:
        lines += [
            "",
            f"Freshness: {fresh['written']} records at {fresh['writes_per_s']:g}/s "
            f"for {fresh['seconds']:g} s, each looked for every "
            f"{fresh['poll_every_ms']:g} ms by a KEYWORD search through Envoy: commit to "
            f"found {_spread(fresh['keyword_ms'])} (the write itself "
            f"{_spread(fresh['write_ms'])}); by meaning (a SEMANTIC search for a paraphrase "
            f"has it in its top 10), {fresh['semantic_found']} of "
            f"{fresh['semantic_records']} records found within 10 s: "
            f"{_spread(fresh['semantic_ms'])}.",
        ]
    if part["memory"]:
        lines += ["", "| process | when | RSS MB | peak MB | target MB |", "|---|---|---|---|---|"]
        lines += [
            f"| pyat serve {m['service']} | {m['when']} | {m['rss_mb']:.0f} | "
            f"{m['peak_mb']:.0f} | {TARGET_MEMORY_MB[m['service']]} |"
            for m in part["memory"]
        ]
    return lines


def _spread(latency: dict[str, float] | None) -> str:
    if not latency:
        return "-"
    return ", ".join(f"{name} {value:g}" for name, value in latency.items()) + " ms"


def _stated_row(s: dict[str, Any]) -> str:
    latency = s["result"]["latency_ms"] or {}
    ratio = s.get("ratio_to_rest_echo") or {}
    cells = [
        s["name"],
        f"{s['offered_rate']:g}",
        f"{s['result']['achieved_rate']:.0f}",
        *(f"{latency[p]:.1f}" if p in latency else "-" for p in ("p50", "p95", "p99", "max")),
        str(sum(s["result"]["errors"].values())),
        *(f"{ratio[p]:.1f}x" if p in ratio else "-" for p in ("p50", "p99")),
        "meets" if s["meets_target"] else "**MISSED**: " + "; ".join(s["misses"]),
    ]
    return "| " + " | ".join(cells) + " |"


def line(part: dict[str, Any]) -> str:
    met = sum(1 for c in part["checks"] if c["meets"])
    judged = sum(1 for c in part["checks"] if c["meets"] is not None)
    return f"{met} of {judged} targets met" + (
        f"; errors: {part['errors']}" if part["errors"] else ""
    )
