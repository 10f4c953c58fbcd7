"""HTTP load: mixed dashboard traffic against a real ``adlens serve``, compared in process.

One run:

1. builds a store from a generated Meta Ads export of N rows (loaded with ``ingest_file``,
   so rollups exist as in production) and an analyst user;
2. starts ``adlens serve`` (one uvicorn worker) on a free port;
3. runs wrk against ``GET /health`` (the framework floor) and against ``POST /v1/load`` with
   a query mix of ~70 % repeated dashboard queries (cache hits) and ~30 % unique ones (cache
   misses), authenticated, at each connection count;
4. runs the same mix in process (``run_query`` with the same cache), one thread;
5. writes the numbers to ``bench/RESULTS.md`` under "HTTP API load" (replacing that section).

    .venv/bin/python bench/load.py --rows 200k --connections 100,1000 --duration 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

ROOT = Path(__file__).parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
sys.path.insert(0, str(ROOT / "bench"))
from sections import write_section  # noqa: E402

SECTION = "## HTTP API load (bench/load.py)"
PASSWORD = "bench-password-1"
HOT = [
    {
        "measures": ["spend", "clicks", "ctr"],
        "dimensions": ["campaign_name"],
        "order": {"spend": "desc"},
        "limit": 30,
    },
    {
        "measures": ["spend", "cpc", "roas"],
        "timeDimensions": [
            {"dimension": "ts", "granularity": "day", "dateRange": ["2025-01-01", "2025-01-30"]}
        ],
    },
    {
        "measures": ["impressions", "clicks", "conversions"],
        "dimensions": ["campaign_name"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-03-01", "2025-03-31"]}],
        "limit": 30,
    },
    {
        "measures": ["spend", "cpa"],
        "timeDimensions": [
            {"dimension": "ts", "granularity": "week", "dateRange": ["2025-01-01", "2025-06-30"]}
        ],
    },
    {"measures": ["spend", "conversion_value", "roas"], "dimensions": ["platform"]},
    {
        "measures": ["ctr", "cvr"],
        "timeDimensions": [
            {"dimension": "ts", "granularity": "month", "dateRange": ["2025-01-01", "2025-12-31"]}
        ],
    },
    {
        "measures": ["spend"],
        "filters": [{"member": "campaign_name", "operator": "contains", "values": ["Brand"]}],
    },
]


def cold(i: int) -> dict[str, Any]:
    """A query nobody asked before (a distinct limit: same work, a new cache key); the limit
    stays within the engine's 1..50,000, so ``i`` should be drawn from 100..49,999."""
    return {
        "measures": ["spend", "clicks", "ctr"],
        "dimensions": ["campaign_name"],
        "timeDimensions": [{"dimension": "ts", "dateRange": ["2025-02-01", "2025-04-30"]}],
        "order": {"spend": "desc"},
        "limit": i,
    }


def parse_rows(text: str) -> int:
    text = text.lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate_export(path: Path, rows: int) -> None:
    """A Meta Ads daily export: 150 campaigns x 8 ad sets, spread over 2025."""
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT DATE '2025-01-01' + CAST(i % 365 AS INTEGER) AS "Day",
                 'act_1' AS "Account ID",
                 CASE WHEN (i // 365) % 150 < 20 THEN 'Brand ' ELSE 'Prospecting ' END
                   || ((i // 365) % 150) AS "Campaign name",
                 'Set ' || ((i // 54750) % 8) || '-' || (i // 438000) AS "Ad set name",
                 round(5 + (hash(i) % 5000) / 100.0, 2) AS "Amount spent",
                 1000 + hash(i * 7) % 9000 AS "Impressions",
                 10 + hash(i * 13) % 200 AS "Link clicks",
                 hash(i * 17) % 9 AS "Purchases",
                 round((hash(i * 19) % 90000) / 100.0, 2) AS "Purchases conversion value",
                 'USD' AS "Currency"
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)
    con.close()


def prepare(workdir: Path, rows: int, env: dict[str, str]) -> None:
    from adlens.appdb import accounts, open_app_db
    from adlens.ingest import for_platform, ingest_file
    from adlens.settings import Settings
    from adlens.store import open_store

    settings = Settings(db=workdir / "bench.duckdb", memory_limit="1GB")
    export = workdir / "meta_bench.csv"
    generate_export(export, rows)
    with open_store(settings.db) as store:
        report = ingest_file(store, export, mapping=for_platform("meta"), settings=settings)
    if report.rows_loaded != rows:
        print(f"warning: {report.rows_loaded} of {rows} rows loaded", file=sys.stderr)
    app_db = open_app_db(settings.resolved_app_db_url())
    with app_db.session() as session:
        accounts.create_user(session, "bench", PASSWORD, role="analyst", workspace="default")
    app_db.close()


LUA = """
init = function(args)
  -- each wrk thread has its own Lua state: seed each apart, or they draw the same queries
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end
local hot = {HOT}
local counter = 0
local token = "{TOKEN}"
request = function()
  counter = counter + 1
  local body
  if math.random() < {HIT_SHARE} then
    body = hot[math.random(#hot)]
  else
    body = string.format({COLD}, math.random(100, 49999))
  end
  return wrk.format("POST", "/v1/load", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}}, body)
end
{DELAY}"""

# A dashboard user reads an answer before asking again: wrk waits this long (ms, uniform
# between half and one and a half times the mean) on each connection between requests.
THINK = """
delay = function()
  return math.random({LOW}, {HIGH})
end
"""


def lua_script(path: Path, token: str, hit_share: float, think_ms: int = 0) -> None:
    hot = "{" + ", ".join(json.dumps(json.dumps(q)) for q in HOT) + "}"
    template = json.dumps(cold(0)).replace('"limit": 0', '"limit": %d')
    text = LUA.replace("{{", "{").replace("}}", "}")
    delay = ""
    if think_ms:
        delay = THINK.replace("{LOW}", str(think_ms // 2)).replace("{HIGH}", str(think_ms * 3 // 2))
    path.write_text(
        text.replace("{DELAY}", delay)
        .replace("{HOT}", hot)
        .replace("{TOKEN}", token)
        .replace("{HIT_SHARE}", str(hit_share))
        .replace("{COLD}", json.dumps(template))
    )


def wrk(url: str, connections: int, duration: int, script: Path | None = None) -> dict[str, Any]:
    threads = min(2, connections)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--latency",
        "--timeout",
        "60s",  # a request still queued is not a failure: its latency is reported
    ]
    if script:
        command += ["-s", str(script)]
    run = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    out = run.stdout

    def latency(label: str) -> float:
        match = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": requests,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
        "command": " ".join([*command, url]),
    }


def in_process(db: Path, seconds: float, hit_share: float) -> dict[str, Any]:
    """The same mix through run_query in this process, one thread, with the API's cache."""
    import random

    from adlens.query import run_query
    from adlens.query.engine import cache_from_settings
    from adlens.settings import Settings
    from adlens.store import open_store

    settings = Settings(db=db)
    cache = cache_from_settings(settings)
    rng = random.Random(7)
    timings: list[float] = []
    hits = 0
    with open_store(db) as store:
        for query in HOT:
            run_query(store, query, cache=cache)  # warm, as the server's cache is
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            i += 1
            query = rng.choice(HOT) if rng.random() < hit_share else cold(100 + i % 49_900)
            started = time.perf_counter()
            result = run_query(store, query, cache=cache)
            timings.append(time.perf_counter() - started)
            hits += bool(result.metadata["cache"]["hit"])
    timings.sort()
    return {
        "qps": len(timings) / sum(timings),
        "p50": timings[len(timings) // 2] * 1000,
        "p99": timings[int(len(timings) * 0.99)] * 1000,
        "hit_share": hits / len(timings),
        "count": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="200k", help="fact rows (k/M suffixes)")
    parser.add_argument("--connections", default="100,1000")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--hit-share", type=float, default=0.7)
    parser.add_argument(
        "--think-ms",
        type=int,
        default=1000,
        help="mean pause of each simulated dashboard user between requests (0: skip that run)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    rows = parse_rows(args.rows)
    connections = [int(c) for c in args.connections.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="adlens-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADLENS_")}
    env.update(
        {
            "ADLENS_DB": str(workdir / "bench.duckdb"),
            "SECRET_KEY": "b" * 48,
            "ACCESS_TOKEN_EXPIRE_MINUTES": "600",
            "ADLENS_LOG_LEVEL": "WARNING",
            **{
                f"ADLENS_RATE_LIMIT_{c}": "100000000/second"
                for c in ("DEFAULT", "QUERY", "UPLOAD", "AUTH")
            },
        }
    )
    os.environ.update(env)
    started = time.perf_counter()
    prepare(workdir, rows, env)
    print(f"store ready: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    adlens = str(Path(sys.executable).parent / "adlens")
    log = (workdir / "server.log").open("wb")  # the JSON request log, as in production
    server = subprocess.Popen(
        [adlens, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    results: list[dict[str, Any]] = []
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(
            url + "/auth/token", json={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for query in HOT:  # warm the cache: the "hot" queries are a dashboard's repeat views
            assert httpx.post(url + "/v1/load", json=query, headers=headers).status_code == 200
        script, hits_script = workdir / "mix.lua", workdir / "hits.lua"
        lua_script(script, token, args.hit_share)
        lua_script(hits_script, token, 1.0)
        users_script = workdir / "users.lua"
        lua_script(users_script, token, args.hit_share, args.think_ms)
        hits = misses = 0.0
        for count in connections:
            floor = wrk(url + "/health", count, args.duration)
            hot = wrk(url, count, args.duration, hits_script)
            before = metrics(url)
            mix = wrk(url, count, args.duration, script)
            users = wrk(url, count, args.duration, users_script) if args.think_ms else None
            after = metrics(url)
            hits += after["hits"] - before["hits"]
            misses += after["misses"] - before["misses"]
            results.append(
                {"connections": count, "floor": floor, "hot": hot, "mix": mix, "users": users}
            )
            print(
                f"{count} connections: health {floor['rps']:.0f} req/s, "
                f"mix {mix['rps']:.0f} req/s (p50 {mix['p50']:.1f} ms, p99 {mix['p99']:.1f} ms)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    local = in_process(workdir / "bench.duckdb", args.duration, args.hit_share)
    local_hot = in_process(workdir / "bench.duckdb", args.duration / 2, 1.0)
    print(f"in process: {local['qps']:.0f} queries/s (p50 {local['p50']:.2f} ms)")
    write(args, rows, results, local, local_hot, hits / max(1, hits + misses))
    shutil.rmtree(workdir, ignore_errors=True)


def metrics(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics", timeout=120).text  # queued requests drain first

    def value(name: str) -> float:
        match = re.search(rf"^{name} ([\d.e+]+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    return {"hits": value("cache_hits_total"), "misses": value("cache_misses_total")}


def write(
    args: argparse.Namespace,
    rows: int,
    results: list[dict[str, Any]],
    local: dict[str, Any],
    local_hot: dict[str, Any],
    server_hits: float,
) -> None:
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores, shared with other work; wrk uses one), Python "
        f"{platform.python_version()}, one uvicorn worker (`adlens serve`, "
        "JSON request log and audit log on, as in production).",
        f"Command: `{' '.join(['.venv/bin/python', *sys.argv])}`. Store: {rows:,} fact rows "
        "(a generated Meta Ads export loaded with `ingest_file`, rollups refreshed by the load).",
        f"Traffic: authenticated `POST /v1/load` (access token), {args.hit_share:.0%} drawn from "
        f"{len(HOT)} repeated dashboard queries (cache hits after warm-up), the rest unique "
        "queries (cache misses, each a campaign breakdown over three months). "
        f"Cache hit share the server counted during the mix runs: {server_hits:.0%}. "
        "Floor: `GET /health` in the same run (framework + middleware, no auth). "
        "Cached only: the repeated queries alone.",
        "",
        "| connections | /health req/s | cached only req/s | cached p50 ms | cached p99 ms "
        "| mix req/s | mix / floor | mix p50 ms | mix p99 ms | non-2xx | socket errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        floor, hot, mix = r["floor"], r["hot"], r["mix"]
        lines.append(
            f"| {r['connections']:,} | {floor['rps']:,.0f} | {hot['rps']:,.0f} | "
            f"{hot['p50']:.1f} | {hot['p99']:.1f} | {mix['rps']:,.0f} | "
            f"{mix['rps'] / floor['rps']:.2f}x | {mix['p50']:.1f} | {mix['p99']:.1f} | "
            f"{mix['non2xx'] + hot['non2xx']} | {mix['socket_errors']} |"
        )
    users = [r for r in results if r.get("users")]
    if users:
        lines += [
            "",
            f"Dashboard users: each connection is one user who reads an answer for "
            f"{args.think_ms / 2000:g}-{args.think_ms * 3 / 2000:g} s (uniform) before the next "
            "request, with the same 70/30 mix (wrk's `delay()`; latency is measured from send "
            "to answer). Target: p99 <= 100 ms and no errors with 100 users.",
            "",
            "| users | req/s | p50 ms | p99 ms | non-2xx | socket errors | p99 <= 100 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in users:
            u = r["users"]
            ok = u["p99"] <= 100 and not u["non2xx"] and u["socket_errors"] == "none"
            lines.append(
                f"| {r['connections']:,} | {u['rps']:,.0f} | {u['p50']:.1f} | {u['p99']:.1f} "
                f"| {u['non2xx']} | {u['socket_errors']} | {'PASS' if ok else 'FAIL'} |"
            )
    best = max(r["mix"]["rps"] for r in results)
    lines += [
        "",
        f"Same mix in process (`run_query` with the same two-level cache, one thread, "
        f"{local['count']:,} queries, {local['hit_share']:.0%} hits): "
        f"**{local['qps']:,.0f} queries/s**, p50 {local['p50']:.2f} ms, p99 {local['p99']:.2f} ms. "
        f"Best HTTP throughput / in process: {best / local['qps']:.2f}x. Cached queries only, in "
        f"process: {local_hot['qps']:,.0f} queries/s (p50 {local_hot['p50']:.2f} ms); over HTTP "
        "the difference is the framework, authentication (token check and user read on every "
        "request), rate limiting, audit and JSON logging.",
        "",
        "wrk commands: " + "; ".join(f"`{r['mix']['command']}`" for r in results) + ".",
        "",
    ]
    write_section(args.out, "load", "\n".join(lines))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
