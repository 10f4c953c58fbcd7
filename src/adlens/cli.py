"""The ``adlens`` command line: a thin shell over the library.

Every command reads the same settings as the library (``ADLENS_DB`` and
friends); ``--json`` prints what a program would want, everything else is
for people. Errors are one line saying what went wrong and one saying what
to do, with a non-zero exit code.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from adlens import __version__, words
from adlens.demo_data import MIN_DAYS
from adlens.errors import AdlensError, NotFoundError
from adlens.settings import get_settings

app = typer.Typer(
    name="adlens",
    help="Marketing analytics pipeline: load ad-platform and GA4 exports into one clean "
    "dataset, score their quality, and query it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
fx_app = typer.Typer(help="Exchange rates used to convert spend to the reporting currency.")
app.add_typer(fx_app, name="fx")
metrics_app = typer.Typer(help="Custom metrics: named, checked expressions over the measures.")
app.add_typer(metrics_app, name="metrics")
events_app = typer.Typer(help="Event streams: impressions, clicks, conversions as they happen.")
app.add_typer(events_app, name="events")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file to use.", show_default="$ADLENS_DB or ./adlens.duckdb"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="YAML mapping for a layout no platform adapter knows: `columns:` "
        "(export column -> unified field), optional `date_format` (e.g. D/M/YYYY), "
        "`decimal`, `currency`, `platform`, `target`.",
    ),
]
PlatformOption = Annotated[
    str | None,
    typer.Option(
        "--platform",
        help="Skip detection and read the file as this platform's export "
        "(meta, google_ads, tiktok, linkedin, microsoft, ga4).",
    ),
]
T = TypeVar("T")


def main() -> None:
    """Entry point of the ``adlens`` script.

    An unexpected failure prints one line and exit code 3; ``ADLENS_DEBUG=1`` shows the
    traceback for a bug report.
    """
    import os

    try:
        app(standalone_mode=True)
    except Exception as exc:
        if os.environ.get("ADLENS_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", markup=True)
        err.print("  what to do: run again with ADLENS_DEBUG=1 and report the traceback")
        raise SystemExit(3) from None


@contextmanager
def _errors() -> Iterator[None]:
    """Turn adlens errors into a message and exit code 2; never a stack trace."""
    try:
        yield
    except AdlensError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", markup=True)
        if exc.hint:
            err.print(f"  what to do: {exc.hint}")
        raise typer.Exit(2) from None


def _db(db: Path | None) -> Path:
    return db if db is not None else get_settings().db


_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+%?")


class _Table(Table):
    """Text cells wrap rather than being cut with an ellipsis; numbers never wrap.

    A column whose every cell is a number is right-aligned and kept on one line, so a
    narrow terminal shrinks the text columns first and never splits "24,920,174" into
    "24,920,17" and "4".
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for column in self.columns:
            cells = [cell for cell in column.cells if isinstance(cell, str) and cell]
            if cells and all(_NUMBER.fullmatch(cell) for cell in cells):
                column.justify, column.no_wrap, column.overflow = "right", True, "ellipsis"
        yield from super().__rich_console__(console, options)


def _table(*headers: str) -> Table:
    """A table for the terminal (see ``_Table``): a rule under the header, no cell borders."""
    table = _Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Export files (CSV, TSV, XLSX; also zipped or gzipped), or directories of them."
        ),
    ],
    db: DbOption = None,
    mapping: MappingOption = None,
    platform: PlatformOption = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace to load into.", show_default="$ADLENS_WORKSPACE")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load exports into the store, each atomically: a file loads entirely or not at all.

    The platform (Meta, Google Ads, TikTok, LinkedIn, Microsoft Advertising, GA4) is
    detected from the columns and title lines. Rows that cannot be loaded are kept in
    `rejects` with their line and reason. Loading the same file again adds nothing;
    a newer export of days already loaded replaces them. A directory loads the files in
    it (not its subdirectories or hidden files) in name order, as `exports/*` would; a
    ZIP archive of several exports loads each of them, in name order, on its own.
    Exit code 1 if any file failed.
    """
    from adlens.ingest import ingest_file
    from adlens.store import open_store

    reports: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    with _errors():
        parsed = _mapping(mapping, platform)
        store = open_store(_db(db))
    with store:
        for path, member in _files(paths):
            label = f"{path}/{member}" if member else str(path)
            try:
                with _progress(Path(label).name) as progress:
                    report = ingest_file(
                        store,
                        path,
                        mapping=parsed,
                        workspace=workspace,
                        progress=progress,
                        member=member,
                    )
            except AdlensError as exc:
                failures.append({"file": label, **exc.to_problem()})
                if not as_json:
                    err.print(f"[bold red]✗ {label}[/]: {exc.message}", markup=True)
                    if exc.hint:
                        err.print(f"  what to do: {exc.hint}")
                continue
            reports.append(report.to_dict())
            if not as_json:
                _print_report(report.to_dict())
    if as_json:
        _print_json({"reports": reports, "errors": failures})
    if failures:
        raise typer.Exit(1)


def _files(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """(file, export in it) to load: each directory replaced by its files in name order (an
    empty one stays, so that loading it fails with a message), each ZIP archive of several
    exports by its exports in name order."""
    from adlens.ingest.source import archive_exports

    for path in paths:
        inside = (
            sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if path.is_dir()
            else []
        )
        for file in inside or [path]:
            exports = archive_exports(file)
            if len(exports) > 1:
                yield from ((file, member) for member in exports)
            else:
                yield file, None


def _mapping(path: Path | None, platform: str | None) -> Any:
    from adlens.errors import MappingError
    from adlens.ingest import for_platform, load_mapping

    if path and platform:
        raise MappingError("use --mapping or --platform, not both")
    if path:
        return load_mapping(path)
    return for_platform(platform) if platform else None


@contextmanager
def _progress(label: str) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr for long loads; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"loading {label}", total=100)
        yield lambda percent: bar.update(task, completed=percent)


def _print_report(report: dict[str, Any]) -> None:
    name = Path(report["file"]).name
    if report["status"] == "duplicate":
        out.print(f"= {name}: already loaded as ingest {report['duplicate_of']}; nothing added")
        return
    detection = report["detection"]
    quality = report["quality"]
    out.print(
        f"[green]✓[/] {name}: {detection['platform_title']} "
        f"(confidence {detection['confidence']:.2f}) → {report['target_table']}, "
        f"ingest {report['ingest_id']}",
        markup=True,
    )
    line = (
        f"  {words.rows(report['rows_loaded'])} loaded, {report['rows_rejected']:,} rejected"
        f", {report['rows_replaced']:,} replaced ({report['rows_changed']:,} changed)"
        f" · {report['period_start'] or '?'} → {report['period_end'] or '?'}"
        f" · quality {quality.get('score', 0):.0f}/100 · {report['seconds']:.2f} s"
    )
    out.print(line)
    for reject in report["first_rejects"][:3]:
        out.print(f"  rejected line {reject['source_row']}: {reject['reason']}")
    if report["rows_rejected"] > 3:
        out.print(f"  … see `adlens rejects {report['ingest_id']}`")
    off = [c for c in report["totals_check"] if not c["ok"]]
    if off:
        from adlens.ingest.quality import totals_gaps

        gaps = totals_gaps(off)
        why = (
            "explained by the rejected rows"
            if all(c["explained_by_rejects"] for c in off)
            else "not explained by rejected rows"
        )
        out.print(f"  [yellow]![/] differs from '{off[0]['row']}': {gaps} ({why})", markup=True)
    elif report["totals_check"]:
        out.print(f"  totals match the file's '{report['totals_check'][0]['row']}' row")
    for warning in report["warnings"]:
        out.print(f"  [yellow]![/] {warning}", markup=True)
    if quality.get("suggestions"):
        out.print(f"  {len(quality['suggestions'])} suggested fixes: `adlens quality`")


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="Export file to look at.")],
    mapping: MappingOption = None,
    platform: PlatformOption = None,
    rows: Annotated[int, typer.Option(help="Clean rows to preview.")] = 5,
    member: Annotated[
        str | None,
        typer.Option(help="The export to look at in a ZIP archive that holds several."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show what adlens detects in a file and a preview of its clean rows; writes nothing.

    Encoding, delimiter, title and footer lines, platform and confidence, the column
    mapping, decimal mark, date format, currency and period: everything that decides
    how the file loads.
    """
    from adlens.ingest import inspect_file

    with _errors():
        info = inspect_file(path, _mapping(mapping, platform), preview=rows, member=member)
    if as_json:
        _print_json(info)
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    for key in (
        "platform_title",
        "confidence",
        "runner_up",
        "target_table",
        "archive",
        "encoding",
        "delimiter",
        "sep_line",
        "header_line",
        "preamble_lines",
        "footer_lines",
        "summary_line",
        "sheet",
        "decimal_mark",
        "date_format",
        "date_format_ambiguous",
        "period",
        "currency",
        "timezone",
        "unmapped_columns",
        "notes",
    ):
        value = info.get(key)
        if value in (None, [], False) and key not in ("confidence",):
            continue
        label = "platform" if key == "platform_title" else key.replace("_", " ")
        table.add_row(label, Text(_inspected(key, value, info)))
    out.print(f"[bold]{info['file']}[/]", markup=True)
    out.print(table)
    out.print("[bold]columns[/]", markup=True)
    for column, field in info["columns"].items():
        out.print(f"  {column} → {field}")
    if info["preview"]:
        out.print("[bold]preview[/] (clean rows, as they would be stored)", markup=True)
    for row in info["preview"]:
        shown = [f"{k}={v}" for k, v in row.items() if v is not None and k not in _PREVIEW_SKIP]
        out.print(f"  line {row['source_row']}: " + " · ".join(shown), markup=False)


def _inspected(key: str, value: Any, info: dict[str, Any]) -> str:
    """One detection fact of ``inspect`` as a person reads it (``--json`` keeps the data)."""
    from adlens.schema import platform_label

    if key == "delimiter":
        return {"\t": "TAB", " ": "space"}.get(value, repr(value))
    if key == "confidence":
        return f"{value:.2f}"
    if key == "runner_up":  # confidence is the winner's share of the two best scores
        return f"{platform_label(value[0])} ({1 - info['confidence']:.2f})"
    if key == "period":
        if value.get("start") and value.get("end"):
            return f"{value['start']} → {value['end']} (from '{value['text']}')"
        return f"unknown (the title says '{value['text']}')"
    if key == "archive":  # the export was read from inside a compressed file
        return f"{value}: {info['member']}" if info.get("member") else value
    if key == "preamble_lines":
        return "\n".join(value)
    if key == "notes":
        return "\n".join(f"• {note}" for note in value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


_PREVIEW_SKIP = {
    "workspace",
    "ingest_id",
    "source_file",
    "source_row",
    "ts",
    "platform",
    "fx_rate",
    "_reason",
}


def _with_store(db: Path | None, action: Callable[[Any], T]) -> T:
    from adlens.store import open_store

    with _errors(), open_store(_db(db)) as store:
        return action(store)


@app.command()
def quality(
    ingest_id: Annotated[
        int | None, typer.Argument(help="Ingest to show.", show_default="the latest")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the data quality report of an ingest: score per dimension and what to fix."""

    def load(store: Any) -> dict[str, Any]:
        rows = store.query(
            "SELECT ingest_id, source_file, platform, quality_score, quality, warnings "
            "FROM ingests WHERE ingest_id = coalesce(?, (SELECT max(ingest_id) FROM ingests))",
            [ingest_id],
        )
        if not rows:
            raise NotFoundError(
                f"no ingest {ingest_id}" if ingest_id else "nothing has been loaded yet",
                hint="`adlens ingests` lists the loads",
            )
        row = rows[0]
        return {
            "ingest_id": row["ingest_id"],
            "file": row["source_file"],
            "platform": row["platform"],
            **json.loads(row["quality"]),
            **json.loads(row["warnings"]),
        }

    report = _with_store(db, load)
    if as_json:
        _print_json(report)
        return
    out.print(
        f"[bold]ingest {report['ingest_id']}[/] {Path(report['file']).name} "
        f"({report['platform']}): quality [bold]{report['score']:.0f}/100[/]",
        markup=True,
    )
    for dimension, value in report["dimensions"].items():
        bar = "█" * round(value / 10) + "·" * (10 - round(value / 10))
        out.print(f"  {dimension:<13} {bar} {value:5.1f}")
    if report["recommendations"]:
        out.print("[bold]recommendations[/]", markup=True)
    for rec in report["recommendations"]:
        out.print(f"  - [{rec['dimension']}] {rec['message']}", markup=False)
    if report.get("suggestions"):
        out.print("[bold]suggested fixes[/] (never applied)", markup=True)
    for fix in report.get("suggestions", []):
        out.print(f"  - ({fix['confidence']:.2f}) {fix['message']}", markup=False)


@app.command()
def ingests(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many of the latest loads.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the loads in the store, newest first."""
    rows = _with_store(
        db,
        lambda store: store.query(
            "SELECT ingest_id, workspace, source_file, platform, target_table, rows_loaded, "
            "rows_rejected, rows_replaced, period_start, period_end, quality_score, finished_at "
            "FROM ingests ORDER BY ingest_id DESC LIMIT ?",
            [limit],
        ),
    )
    if as_json:
        _print_json(rows)
        return
    table = _table("id", "file", "platform", "loaded", "rejected", "period", "quality")
    for row in rows:
        table.add_row(
            str(row["ingest_id"]),
            Path(row["source_file"]).name,
            row["platform"],
            f"{row['rows_loaded']:,}",
            f"{row['rows_rejected']:,}",
            f"{row['period_start'] or '?'} → {row['period_end'] or '?'}",
            f"{row['quality_score']:.0f}",
        )
    out.print(table)


@app.command()
def rejects(
    ingest_id: Annotated[int, typer.Argument(help="Ingest whose rejected rows to show.")],
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many rows.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Show the rows of a load that could not be loaded, with line numbers and reasons."""
    rows = _with_store(
        db,
        lambda store: store.query(
            "SELECT source_row AS line, reason, raw FROM rejects WHERE ingest_id = ? "
            "ORDER BY source_row LIMIT ?",
            [ingest_id, limit],
        ),
    )
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print(f"ingest {ingest_id} has no rejected rows")
    for row in rows:
        out.print(f"line {row['line']}: {row['reason']}\n    {row['raw']}", markup=False)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to write the sample exports.")
    ] = Path("adlens-demo"),
    db: DbOption = None,
    days: Annotated[int, typer.Option(min=MIN_DAYS, help="Days of history to generate.")] = 90,
    as_json: JsonOption = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then open the web dashboard on it (Ctrl+C stops).")
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the dashboard with --serve.")] = 8000,
) -> None:
    """Write realistic exports for five ad platforms and GA4, load them, and summarise.

    The files carry the platforms' real quirks (title lines, totals rows, UTF-16,
    decimal commas, M/D/YYYY...) and a few planted problems that the quality reports
    point out: a bad date, a duplicated row, a campaign spelled two ways.
    """
    from adlens.demo import run_demo

    with _errors():
        summary = run_demo(directory, _db(db) if db else directory / "adlens.duckdb", days=days)
    if as_json:
        _print_json(summary)
        return
    for report in summary["reports"]:
        _print_report(report)
    out.print()
    table = _table("platform", "rows", "spend", "impr.", "clicks", "conv.", "revenue")
    for row in summary["totals"]:
        table.add_row(
            row["platform"],
            f"{row['rows']:,}",
            f"{row['spend']:,.2f}" if row["spend"] is not None else "",
            f"{row['impressions']:,}",
            f"{row['clicks']:,}",
            f"{row['conversions']:,.1f}",
            f"{row['conversion_value']:,.2f}",
        )
    out.print(table)
    out.print(f"store: {summary['db']} · sample exports in {summary['dir']}")
    out.print(f"{summary['anomalies']} anomalies found (`adlens detect` lists them)")
    if not serve:  # the demo's store is not the default one: say how to point at it
        out.print(
            f"next: `export ADLENS_DB={summary['db']}`, then `adlens quality`, `adlens ingests`, "
            "`adlens campaigns`; `adlens demo --serve` opens the dashboard",
            markup=False,
        )
    if serve:
        from adlens.cli_web import open_dashboard

        open_dashboard(Path(summary["db"]), port=port)


@app.command()
def compact(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Rewrite the stored facts in time order so time-range queries read less.

    Safe to run at any time (one transaction each); worth it after many loads. Also
    merges the rollup rows that loads appended for the same groups.
    """
    from adlens.store.rollups import rebuild_rollups

    def run(store: Any) -> dict[str, int]:
        rewritten: dict[str, int] = store.compact()
        with store.transaction() as con:
            rewritten |= rebuild_rollups(con)
        return rewritten

    rewritten = _with_store(db, run)
    if as_json:
        _print_json(rewritten)
        return
    for table, count in rewritten.items():
        out.print(f"{table}: {count:,} rows rewritten")


@events_app.command("load")
def events_load(
    path: Annotated[
        Path,
        typer.Argument(
            help="Events as JSON lines (.jsonl), a JSON array (.json) or CSV.",
            exists=True,
            dir_okay=False,
        ),
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store a file of events (all its valid events in one transaction) and their rollup.

    Each event has `ts` and `event`, optionally `value`, `platform`, `account_id`,
    `campaign_id`, `campaign_name`, `channel` and `event_id` (ids already stored are skipped).
    """
    from adlens.events import append_events, read_events

    settings = get_settings()
    report = _with_store(
        db,
        lambda store: append_events(
            store, read_events(path), workspace=settings.workspace, source=str(path)
        ),
    )
    if as_json:
        _print_json(report.to_dict())
    else:
        out.print(
            f"{path}: {report.loaded:,} events loaded, {report.duplicates:,} duplicates "
            f"skipped, {len(report.rejected):,} rejected"
        )
        for item in report.rejected[:10]:
            err.print(f"  event {item['row']}: {item['reason']}")
    if report.rejected:
        raise typer.Exit(1)


@fx_app.command("set")
def fx_set(
    currency: Annotated[str, typer.Argument(help="ISO code, e.g. EUR.")],
    rate: Annotated[float, typer.Argument(help="Value of 1 CURRENCY in the reporting currency.")],
    valid_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD) the rate applies.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Set an exchange rate and convert the stored spend in that currency."""
    from adlens import fx

    start = date.fromisoformat(valid_from) if valid_from else date(1970, 1, 1)
    reporting = get_settings().reporting_currency
    count = _with_store(
        db,
        lambda store: fx.set_rate(
            store, currency, rate, reporting_currency=reporting, valid_from=start
        ),
    )
    out.print(f"1 {currency.upper()} = {rate} {reporting} from {start}; {count:,} rows converted")


@fx_app.command("list")
def fx_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the exchange rates in the store."""
    from adlens import fx

    rows = _with_store(db, fx.list_rates)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(
            f"1 {row['currency']} = {row['rate']} {row['reporting_currency']} "
            f"from {row['valid_from']}"
        )


WorkspaceOption = Annotated[
    str | None, typer.Option(help="Workspace to read.", show_default="$ADLENS_WORKSPACE")
]


@app.command()
def query(
    request: Annotated[
        str, typer.Argument(help="The query as JSON, or the path of a JSON file, or - for stdin.")
    ],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
    output: Annotated[
        str, typer.Option("--format", help="json (data and metadata), table or csv.")
    ] = "table",
) -> None:
    """Run a query of either shape and print the result.

    The dashboard shape: {"metrics": [{"name": "total_spend", "data_type": "meta_ads",
    "dimensions": ["campaign_name"]}], "time_range": {"start": ..., "end": ...},
    "granularity": 86400}. The Cube shape: {"measures": ["spend", "ctr"], "dimensions":
    ["platform"], "timeDimensions": [{"dimension": "ts", "granularity": "day", "dateRange":
    "last 7 days"}], "filters": [...], "order": {...}, "limit": 20}.
    """
    from adlens.errors import MappingError
    from adlens.query import run_query
    from adlens.query.engine import cache_from_settings

    if output not in ("json", "table", "csv"):
        raise typer.BadParameter("--format must be json, table or csv")
    with _errors():
        body = _read_request(request)
        if not isinstance(body, dict):
            raise MappingError("a query is a JSON object")
        result = _with_store(
            db,
            lambda store: run_query(
                store,
                body,
                workspace=workspace or get_settings().workspace,
                # One command, one query: only a shared (Redis) cache can be reused.
                cache=cache_from_settings() if get_settings().redis_url else None,
            ).to_dict(),
        )
    rows = result["data"]
    if output == "json":
        _print_json(result)
    elif output == "csv":
        import csv

        from adlens.core.spreadsheet import safe_cell

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    else:
        table = _table(*(rows[0] if rows else ["(no rows)"]))
        for row in rows:
            table.add_row(*("" if v is None else _number(v) for v in row.values()))
        out.print(table)
        meta = result["metadata"]
        cached = f" (cached, {meta['cache']['level']})" if meta["cache"]["hit"] else ""
        out.print(
            f"{meta['row_count']:,} rows · {meta['query_time'] * 1000:.1f} ms{cached} · "
            f"answered by {meta['rollup']} · data version {meta['data_version']}"
        )


def _read_request(text: str) -> Any:
    from adlens.errors import MappingError

    if text == "-":
        text = sys.stdin.read()
    elif not text.lstrip().startswith("{") and Path(text).exists():
        text = Path(text).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"the query is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _number(value: Any) -> str:
    if isinstance(value, float):  # money and counts to the cent, small ratios to 4 places
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@metrics_app.command("add")
def metrics_add(
    name: Annotated[str, typer.Argument(help="Name to query it by, e.g. meta_spend.")],
    expression: Annotated[
        str,
        typer.Argument(
            help="Expression over measures and aggregates, e.g. "
            '"SUM(CASE WHEN platform = \'meta\' THEN spend ELSE 0 END)" or "spend / clicks".'
        ),
    ],
    format: Annotated[str | None, typer.Option(help="Display format, e.g. currency.")] = None,
    description: Annotated[str | None, typer.Option(help="What it means.")] = None,
    replace: Annotated[bool, typer.Option(help="Replace a metric of that name.")] = False,
    db: DbOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Register a custom metric; the expression is checked before it is stored."""
    from adlens.query import register_metric

    metric = _with_store(
        db,
        lambda store: register_metric(
            store,
            name,
            expression,
            format,
            description,
            workspace=workspace or get_settings().workspace,
            replace=replace,
        ),
    )
    out.print(f"{metric.name} = {metric.expression}  (reads {metric.table})", markup=False)


@metrics_app.command("list")
def metrics_list(
    db: DbOption = None, workspace: WorkspaceOption = None, as_json: JsonOption = False
) -> None:
    """List the custom metrics."""
    from dataclasses import asdict

    from adlens.query import list_metrics

    metrics = _with_store(
        db, lambda store: list_metrics(store, workspace or get_settings().workspace)
    )
    if as_json:
        _print_json([asdict(m) for m in metrics])
        return
    if not metrics:
        out.print("no custom metrics; add one with `adlens metrics add NAME EXPRESSION`")
    for metric in metrics:
        note = f"  — {metric.description}" if metric.description else ""
        out.print(f"{metric.name} = {metric.expression}{note}", markup=False)


@metrics_app.command("remove")
def metrics_remove(
    name: Annotated[str, typer.Argument(help="Custom metric to remove.")],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Remove a custom metric (refused while another metric uses it)."""
    from adlens.query import remove_metric

    _with_store(
        db,
        lambda store: remove_metric(store, name, workspace=workspace or get_settings().workspace),
    )
    out.print(f"removed {name}")


@metrics_app.command("load")
def metrics_load(
    path: Annotated[Path, typer.Argument(help="YAML file with `metrics:`.")],
    db: DbOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Register (or replace) every metric of a YAML file, all or nothing."""
    from adlens.query import load_metrics_yaml

    loaded = _with_store(
        db,
        lambda store: load_metrics_yaml(
            store, path, workspace=workspace or get_settings().workspace
        ),
    )
    out.print(f"{len(loaded)} metrics loaded: {', '.join(m.name for m in loaded)}")


@app.command()
def version() -> None:
    """Print the adlens version."""
    out.print(__version__)


from adlens.cli_campaigns import campaigns_app, channel  # noqa: E402  (uses the helpers above)

app.command("channel")(channel)
app.add_typer(campaigns_app, name="campaigns")
from adlens.cli_ml import register as _register_ml  # noqa: E402  (uses the helpers above)

_register_ml(app)
from adlens.cli_api import register as _register_api  # noqa: E402

_register_api(app)
