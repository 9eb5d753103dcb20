"""The run's outputs: a JSON file of everything, a Markdown summary and a PNG plot."""

from __future__ import annotations

import json
import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import matplotlib
from google.protobuf.internal import api_implementation

matplotlib.use("Agg")  # no display: draw to a file

import matplotlib.pyplot as plt

from benchmarks import ai, browser, feed, identity_costs
from benchmarks.loadgen import PERCENTILES

ROADMAP_MEMORY_MB = {
    "11 fast-tier services together (the roadmap's Go services)": 196,
    "11 Python services (the roadmap's figure)": 3300,
}
SPECTRUM = [*PERCENTILES, "max"]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_average() -> float:
    return os.getloadavg()[0]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def describe_machine(storage: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    total_kb = re.search(r"^MemTotal:\s*(\d+)", meminfo, re.MULTILINE)
    return {
        "cores": os.cpu_count(),
        "cpu_model": model.group(1) if model else "unknown",
        "memory_gib": round(int(total_kb.group(1)) / 2**20, 1) if total_kb else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "grpcio": _version("grpcio"),
        "protobuf": f"{_version('protobuf')} ({api_implementation.Type()})",
        "uvloop": _version("uvloop"),
        "storage": storage,
        "load_average_start": load_average(),
    }


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"{m['cores']} cores, {m['cpu_model']}, {m['memory_gib']} GiB; Linux {m['kernel']}; "
        f"Python {m['python']}; grpcio {m['grpcio']}; protobuf {m['protobuf']}; "
        f"uvloop {m['uvloop']}; storage: {m['storage']}"
    )


def write(data: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write <mode>.json, <mode>.md and <mode>.png into out (each run replaces its mode's)."""
    paths = {ext: out / f"{data['mode']}.{ext}" for ext in ("json", "md", "png")}
    paths["json"].write_text(json.dumps(data, indent=2) + "\n")
    paths["md"].write_text(markdown(data))
    plot(data, paths["png"])
    return paths


def _ms(latency: dict[str, float] | None, name: str) -> str:
    if latency is None:
        return "-"
    value = latency[name]
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _errors(result: dict[str, Any]) -> str:
    return ", ".join(f"{n} {name}" for name, n in result["errors"].items()) or "0"


def _cpu(result: dict[str, Any]) -> str:
    return " + ".join(f"{us:.0f} {name}" for name, us in result["cpu_us_per_call"].items())


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown(data: dict[str, Any]) -> str:
    machine = data["machine"]
    plan = data["plan"]
    lines = [
        f"# PyAirtable benchmarks: {data['mode']} run",
        "",
        f"{data['started']}. **Machine**: {machine_line(machine)}. Load average "
        f"{machine['load_average_start']:.2f} at the start, "
        f"{machine.get('load_average_end', 0):.2f} at the end.",
        "",
        f"Open loop at each scenario's stated offered load, {plan['warmup_s']:g} s warm-up then "
        f"{plan['measure_s']:g} s measured; every latency counts from the call's intended send "
        "time. Times in ms. **xecho**: the ratio to a bare grpc.aio echo server sent the same "
        "requests (headers included) at the same rate just before, replying with as many bytes. "
        "**CPU/call**: CPU time of each server process per call, in µs.",
        "",
    ]
    lines += failures_markdown(data.get("failures", []))
    lines += ["## Latency at the stated load", ""]
    rows = []
    for s in data["scenarios"]:
        r, ratio = s["result"], s["ratio_to_echo"] or {}
        verdict = "meets" if s["meets_target"] else "**MISSED**: " + "; ".join(s["misses"])
        rows.append(
            [
                s["name"],
                s["tier"],
                f"{s['offered_rate']:g}",
                f"{r['achieved_rate']:.0f}",
                *(_ms(r["latency_ms"], name) for name in SPECTRUM),
                _errors(r),
                *(f"{ratio[name]:.1f}x" if name in ratio else "-" for name in ("p50", "p99")),
                _cpu(r),
                verdict,
            ]
        )
    lines += _table(
        [
            "scenario",
            "tier",
            "offered/s",
            "achieved/s",
            *SPECTRUM,
            "errors",
            "p50 xecho",
            "p99 xecho",
            "CPU/call µs",
            "target",
        ],
        rows,
    )
    lines += [
        "",
        "Echo baselines, and the load generator's own health (its CPU use as a "
        "fraction of one core, and how late its calls left against the schedule, p99):",
        "",
    ]
    rows = [
        [
            s["name"],
            *(_ms(s["baseline"]["latency_ms"], name) for name in SPECTRUM),
            _cpu(s["baseline"]),
            f"{s['result']['generator_cpu']:.2f}",
            _ms(s["result"]["send_lag_ms"], "p99"),
        ]
        for s in data["scenarios"]
    ]
    lines += _table(
        ["echo for", *SPECTRUM, "echo CPU/call µs", "generator CPU", "send lag p99"], rows
    )
    lines += rest_echo_markdown(data["scenarios"])
    lines += [
        "",
        f"## Saturation (closed loop, {plan['concurrency']} callers) and capacity at target",
        "",
    ]
    capacity = {c["name"]: c for c in data["capacity"]}
    rows = []
    for s in data["saturation"]:
        r = s["result"]
        found = capacity.get(s["name"])
        rows.append(
            [
                s["name"],
                f"{r['achieved_rate']:.0f}",
                _ms(r["latency_ms"], "p50"),
                _ms(r["latency_ms"], "p99"),
                _errors(r),
                _cpu(r),
                f"{r['generator_cpu']:.2f}",
                _capacity(found, plan["capacity_factors"]),
            ]
        )
    lines += _table(
        [
            "scenario",
            "saturation/s",
            "p50",
            "p99",
            "errors",
            "CPU/call µs",
            "generator CPU",
            "capacity at target/s",
        ],
        rows,
    )
    lines += ["", "## Memory (from /proc: RSS now, and its peak VmHWM)", ""]
    rows = [
        [m["process"], m["when"], f"{m['rss_mb']:.0f}", f"{m['peak_mb']:.0f}"]
        for m in data["memory"]
    ]
    rows += [[label, "roadmap", f"{mb}", ""] for label, mb in data["roadmap_memory_mb"].items()]
    lines += _table(["process", "when", "RSS MB", "peak MB"], rows)
    lines += memory_summary(data)
    lines += external_pass_markdown(data.get("external_pass"), plan["capacity_factors"])
    if data.get("change_feed"):
        lines += ["", *feed.markdown(data["change_feed"])]
    if data.get("browser"):
        lines += ["", *browser.markdown(data["browser"], data["mode"])]
    if data.get("ai"):
        lines += ["", *ai.markdown(data["ai"])]
    if data.get("identity_costs"):
        lines += ["", *identity_costs.markdown(data["identity_costs"])]
    lines += ["", *codec_markdown(data["codec"])]
    return "\n".join(lines) + "\n"


def rest_echo_markdown(scenarios: list[dict[str, Any]]) -> list[str]:
    """REST scenarios beside REST → Envoy → a bare HTTP echo, measured just before them."""
    rows = [
        [
            s["name"],
            *(_ms(s["rest_baseline"]["latency_ms"], name) for name in SPECTRUM),
            *(f"{s['ratio_to_rest_echo'][name]:.1f}x" for name in ("p50", "p99")),
        ]
        for s in scenarios
        if s.get("rest_baseline") and s.get("ratio_to_rest_echo")
    ]
    if not rows:
        return []
    return [
        "",
        "REST scenarios beside **REST → Envoy → bare echo** (an Envoy of its own in front of a "
        "bare HTTP/1.1 server replying with as many bytes, sent the same requests at the same "
        "rate just before): what the edge's checks, the transcoder and the service add.",
        "",
        *_table(["REST echo for", *SPECTRUM, "p50 xREST echo", "p99 xREST echo"], rows),
    ]


def external_pass_markdown(found: dict[str, Any] | None, factors: list[float]) -> list[str]:
    """The scenarios a full run measures again on PostgreSQL, Redis and NATS."""
    if not found or not found["scenarios"]:
        return []
    capacity = {c["name"]: c for c in found["capacity"]}
    saturation = {s["name"]: s for s in found["saturation"]}
    rows = []
    for s in found["scenarios"]:
        r = s["result"]
        echo, rest = s["ratio_to_echo"] or {}, s.get("ratio_to_rest_echo") or {}
        sat = saturation.get(s["name"])
        rows.append(
            [
                s["name"],
                f"{s['offered_rate']:g}",
                f"{r['achieved_rate']:.0f}",
                *(_ms(r["latency_ms"], name) for name in SPECTRUM),
                _errors(r),
                *(f"{rest[name]:.1f}x" if name in rest else "-" for name in ("p50", "p99")),
                *(f"{echo[name]:.1f}x" if name in echo else "-" for name in ("p50", "p99")),
                _cpu(r),
                f"{sat['result']['achieved_rate']:.0f}" if sat else "-",
                _capacity(capacity.get(s["name"]), factors),
                "meets" if s["meets_target"] else "**MISSED**: " + "; ".join(s["misses"]),
            ]
        )
    return [
        "",
        f"## Again on {found['storage']}",
        "",
        "A fabric of its own on these servers, with its own echo baselines measured just before.",
        "",
        *_table(
            [
                "scenario",
                "offered/s",
                "achieved/s",
                *SPECTRUM,
                "errors",
                "p50 xREST echo",
                "p99 xREST echo",
                "p50 xecho",
                "p99 xecho",
                "CPU/call µs",
                "saturation/s",
                "capacity at target/s",
                "target",
            ],
            rows,
        ),
        *rest_echo_markdown(found["scenarios"]),
    ]


def failures_markdown(failures: list[dict[str, str]]) -> list[str]:
    """The scenarios that broke, first: they failed the run, and their figures are missing."""
    if not failures:
        return []
    rows = [[f["scenario"], f["error"].replace("|", "\\|")] for f in failures]
    return [
        "## FAILED",
        "",
        "These scenarios broke (an error, or no call succeeded); the run exits 1.",
        "",
        *_table(["scenario", "error"], rows),
        "",
    ]


def memory_summary(data: dict[str, Any]) -> list[str]:
    """The idle figures set beside the roadmap's, in a sentence."""
    idle = [m for m in data["memory"] if m["when"] == "idle, after start"]
    fabric = [m["rss_mb"] for m in idle if m["process"].startswith("pyat up")]
    solos = [m["rss_mb"] for m in idle if m["process"].startswith("pyat serve")]
    if not fabric or not solos:
        return []
    per_process = sum(solos) / len(solos)
    return [
        "",
        f"At idle, `pyat up` hosts {len(data['fabric_services'])} services in {fabric[0]:.0f} MB "
        f"(the roadmap: 196 MB for 11 fast-tier services). A service alone takes "
        f"{min(solos):.0f} to {max(solos):.0f} MB, so 11 services as processes of their own "
        f"would take about {11 * per_process / 1024:.1f} GB (the roadmap: 3.3 GB for 11 Python "
        "services).",
    ]


def _capacity(found: dict[str, Any] | None, factors: list[float]) -> str:
    if found is None:
        return "not searched" if not factors else "-"
    best = found["capacity_rate"]
    if not found["steps"][-1]["misses"]:
        return f"≥ {best:g} (every step held)"
    return f"{best:g}" if best else f"< {found['steps'][0]['rate']:g}"


def codec_markdown(codec: dict[str, Any]) -> list[str]:
    lines = [f"## Codec: µs per call, {codec['upb']} and betterproto2", ""]
    rows = []
    for m in codec["messages"]:
        upb, bp2 = m["upb"], m.get("betterproto2")
        row = [m["message"], str(m["bytes"]), f"{upb['serialize_us']:g}", f"{upb['parse_us']:g}"]
        if bp2 is None:
            row += ["-", "-", "-"]
        else:
            ratio_s = bp2["serialize_us"] / upb["serialize_us"]
            ratio_p = bp2["parse_us"] / upb["parse_us"]
            row += [
                f"{bp2['serialize_us']:g}",
                f"{bp2['parse_us']:g}",
                f"{ratio_s:.0f}x / {ratio_p:.0f}x",
            ]
        rows.append(row)
    lines += _table(
        [
            "message",
            "bytes",
            "upb serialize",
            "upb parse",
            "betterproto2 serialize",
            "betterproto2 parse",
            "betterproto2 ÷ upb",
        ],
        rows,
    )
    if codec["betterproto2_error"]:
        lines += ["", f"betterproto2 could not be measured: {codec['betterproto2_error']}"]
    return lines


def plot(data: dict[str, Any], path: Path) -> None:
    """Left: the latency percentiles of each scenario and its echo. Right: throughputs."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 7.5), width_ratios=[1.3, 1])
    x = list(range(len(SPECTRUM)))
    palette = plt.get_cmap("tab10")
    for n, s in enumerate(data["scenarios"]):
        color = palette(n % palette.N)
        for key, style, width in (("result", "-o", 2.0), ("baseline", ":", 1.2)):
            latency = s[key]["latency_ms"]
            label = s["name"] if key == "result" else None
            if latency is None:
                # Still in the legend, so a missing line is explained rather than unseen.
                latency = dict.fromkeys(SPECTRUM, float("nan"))
                label = label and f"{label}: overloaded, nothing measured"
            left.plot(
                x, [latency[p] for p in SPECTRUM], style, color=color, label=label, linewidth=width
            )
    targets = {"fast": {"p50": 5, "p95": 20, "p99": 50}, "AI": {"p50": 50, "p95": 200, "p99": 500}}
    for tier in sorted({s["tier"] for s in data["scenarios"]}):
        points = targets[tier]
        left.plot(
            [SPECTRUM.index(p) for p in points],
            list(points.values()),
            "_",
            color="red",
            markersize=30,
            markeredgewidth=3,
            label=f"{tier}-tier target",
        )
    left.plot([], [], ":", color="gray", label="echo baseline (same colour)")
    left.set_yscale("log")
    left.set_xticks(x, SPECTRUM)
    left.set_ylabel("latency, ms (log scale)")
    left.set_xlabel("percentile")
    rates = sorted({s["offered_rate"] for s in data["scenarios"]})
    left.set_title(f"Latency at the stated load ({', '.join(f'{r:g}' for r in rates)} calls/s)")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)

    names = [s["name"] for s in data["saturation"]]
    capacity = {c["name"]: c["capacity_rate"] for c in data["capacity"]}
    lowest = {c["name"]: c["steps"][0]["rate"] for c in data["capacity"] if c["steps"]}
    y = list(range(len(names)))
    height = 0.4 if capacity else 0.6
    saturation = [s["result"]["achieved_rate"] for s in data["saturation"]]
    bars = right.barh(
        [i - (height / 2 if capacity else 0) for i in y],
        saturation,
        height,
        label="saturation (closed loop)",
        color="#4c72b0",
    )
    right.bar_label(bars, fmt="%.0f", fontsize=8, padding=2)
    if capacity:
        held = [capacity.get(name, 0) for name in names]
        bars = right.barh(
            [i + height / 2 for i in y],
            held,
            height,
            color="#55a868",
            label="capacity at target (open loop)",
        )
        searched = [name in capacity for name in names]
        labels = [
            f"{v:g}" if v else f"< {lowest.get(name, 0):g}" if s else ""
            for name, v, s in zip(names, held, searched, strict=True)
        ]
        right.bar_label(bars, labels=labels, fontsize=8, padding=2)
    for rate in rates:
        right.axvline(rate, color="red", linestyle="--", linewidth=1)
    right.plot([], [], "--", color="red", label="stated load")
    right.set_yticks(y, names, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("calls/s")
    right.set_title("Throughput")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    right.grid(True, axis="x", alpha=0.3)
    fig.suptitle(
        f"PyAirtable benchmarks, {data['mode']} run, {data['started']}\n"
        f"{machine_line(data['machine'])}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
