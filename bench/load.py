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
"""


def lua_script(path: Path, token: str, hit_share: float) -> None:
    hot = "{" + ", ".join(json.dumps(json.dumps(q)) for q in HOT) + "}"
    template = json.dumps(cold(0)).replace('"limit": 0', '"limit": %d')
    text = LUA.replace("{{", "{").replace("}}", "}")
    path.write_text(
        text.replace("{HOT}", hot)
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
        "10s",
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
    server = subprocess.Popen(
        [adlens, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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
        script = workdir / "mix.lua"
        lua_script(script, token, args.hit_share)
        before = metrics(url)
        for count in connections:
            floor = wrk(url + "/health", count, args.duration)
            mix = wrk(url, count, args.duration, script)
            results.append({"connections": count, "floor": floor, "mix": mix})
            print(
                f"{count} connections: health {floor['rps']:.0f} req/s, "
                f"mix {mix['rps']:.0f} req/s (p50 {mix['p50']:.1f} ms, p99 {mix['p99']:.1f} ms)"
            )
        after = metrics(url)
    finally:
        server.terminate()
        server.wait(timeout=30)
    hits = after["hits"] - before["hits"]
    misses = after["misses"] - before["misses"]
    local = in_process(workdir / "bench.duckdb", args.duration, args.hit_share)
    print(f"in process: {local['qps']:.0f} queries/s (p50 {local['p50']:.2f} ms)")
    write(args, rows, results, local, hits / max(1, hits + misses))
    shutil.rmtree(workdir, ignore_errors=True)


def metrics(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics").text

    def value(name: str) -> float:
        match = re.search(rf"^{name} ([\d.e+]+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    return {"hits": value("cache_hits_total"), "misses": value("cache_misses_total")}


def write(
    args: argparse.Namespace,
    rows: int,
    results: list[dict[str, Any]],
    local: dict[str, Any],
    server_hits: float,
) -> None:
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores, shared with other work; wrk uses one), Python "
        f"{platform.python_version()}, one uvicorn worker (`adlens serve`).",
        f"Command: `{' '.join(['.venv/bin/python', *sys.argv])}`. Store: {rows:,} fact rows "
        "(a generated Meta Ads export loaded with `ingest_file`, rollups refreshed by the load).",
        f"Traffic: authenticated `POST /v1/load` (access token), {args.hit_share:.0%} drawn from "
        f"{len(HOT)} repeated dashboard queries (cache hits after warm-up), the rest unique "
        "queries (cache misses, each a campaign breakdown over three months). "
        f"Cache hit share seen by the server: {server_hits:.0%}. Floor: `GET /health` in the "
        "same run (framework + middleware, no auth).",
        "",
        "| connections | /health req/s | mix req/s | mix / floor | mix p50 ms | mix p99 ms "
        "| non-2xx | socket errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        floor, mix = r["floor"], r["mix"]
        lines.append(
            f"| {r['connections']:,} | {floor['rps']:,.0f} | {mix['rps']:,.0f} | "
            f"{mix['rps'] / floor['rps']:.2f}x | {mix['p50']:.1f} | {mix['p99']:.1f} | "
            f"{mix['non2xx']} | {mix['socket_errors']} |"
        )
    best = max(r["mix"]["rps"] for r in results)
    lines += [
        "",
        f"Same mix in process (`run_query` with the same two-level cache, one thread, "
        f"{local['count']:,} queries, {local['hit_share']:.0%} hits): "
        f"**{local['qps']:,.0f} queries/s**, p50 {local['p50']:.2f} ms, p99 {local['p99']:.2f} ms. "
        f"Best HTTP throughput / in process: {best / local['qps']:.2f}x.",
        "",
        "wrk commands: " + "; ".join(f"`{r['mix']['command']}`" for r in results) + ".",
        "",
    ]
    text = args.out.read_text() if args.out.exists() else "# Results\n"
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        tail = rest.split("\n## ", 1)
        text = head + "\n".join(lines) + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    args.out.write_text(text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
