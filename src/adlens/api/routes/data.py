"""Uploads (JSON rows or an export file) and the record of past loads."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.formparsers import MultiPartException

from adlens.api.deps import Require, ServicesDep, StoreDep
from adlens.api.problems import responses
from adlens.api.services import Services
from adlens.appdb.accounts import Principal
from adlens.core.errors import InvalidInputError
from adlens.core.spreadsheet import safe_cell, safe_line
from adlens.errors import AdlensError, NotFoundError
from adlens.events import append_events
from adlens.ingest import ingest_file
from adlens.ingest.rows import ingest_rows
from adlens.ingest.source import archive_exports

router = APIRouter(tags=["data"])
Uploader = Annotated[Principal, Depends(Require("upload", "upload"))]
Reader = Annotated[Principal, Depends(Require("read"))]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
UPLOAD_PREFIX = "adlens-upload-"  # uploads are staged in a scratch directory named so
MAX_ARCHIVE_EXPORTS = 100  # exports one uploaded archive may hold (the loads are serial)
SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".zip", ".gz")
INGEST_COLUMNS = (
    "ingest_id, workspace, source_file, platform, target_table, status, started_at, "
    "finished_at, rows_read, rows_loaded, rows_rejected, rows_replaced, rows_changed, "
    "period_start, period_end, quality_score"
)


class RowsUpload(BaseModel):
    data_type: str = Field(
        max_length=40,
        description="meta_ads, google_ads, tiktok_ads, linkedin_ads, microsoft_ads or ga4.",
    )
    data: list[Any] = Field(
        max_length=100_000,
        description="Rows keyed by the platform's export headers or unified field names.",
    )


class RowsResult(BaseModel):
    data_type: str
    platform: str
    ingest_id: int | None
    loaded: int
    rejected: list[dict[str, Any]]
    ignored_fields: list[str]
    report: dict[str, Any] | None


@router.post(
    "/data/upload",
    response_model=RowsResult,
    responses=responses(400, 401, 403, 413, 422, 429, 503),
    summary="Load rows sent as JSON",
)
def upload_rows(body: RowsUpload, principal: Uploader, services: ServicesDep) -> RowsResult:
    """Check each row, load the good ones through the normal pipeline, list the rejected.

    Rows are keyed by the platform's export headers (``"Amount spent"``) or unified field
    names (``"spend"``). ``rejected`` holds ``{row, reason}`` with ``row`` the index in
    ``data``; a row the pipeline rejects keeps the pipeline's reason.
    """
    with services.writing() as store:
        outcome = ingest_rows(
            store,
            body.data_type,
            body.data,
            workspace=principal.workspace,
            settings=services.settings,
        )
    result = outcome.to_dict()
    if result["report"]:
        services.metrics.observe_ingest(result["report"])
        result["report"] = _safe_report(result["report"])
    result["rejected"] = [{**r, "reason": safe_cell(r["reason"])} for r in result["rejected"]]
    return RowsResult(**result)


class EventsUpload(BaseModel):
    events: list[Any] = Field(
        max_length=100_000,
        description="Events: `ts` and `event` required; `value`, `platform`, `account_id`, "
        "`campaign_id`, `campaign_name`, `channel`, `event_id` optional (docs/events.md).",
    )


class EventsResult(BaseModel):
    batch_id: int | None = Field(description="null when no event was stored")
    received: int
    loaded: int
    duplicates: int = Field(description="events whose event_id was stored or sent before")
    rejected: list[dict[str, Any]] = Field(description="`{row, reason}`, row = index in events")


EVENTS_EXAMPLE = {
    "events": [
        {"ts": "2026-11-26T10:15:03Z", "event": "click", "platform": "meta", "event_id": "c-1"},
        {"ts": 1795688160, "event": "conversion", "value": 42.5, "campaign_name": "Summer"},
    ]
}


@router.post(
    "/data/events",
    response_model=EventsResult,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Append a batch of events (instants: impressions, clicks, conversions)",
)
def upload_events(
    body: Annotated[EventsUpload, Body(examples=[EVENTS_EXAMPLE])],
    principal: Uploader,
    services: ServicesDep,
) -> EventsResult:
    """Store the batch's valid events and their minute rollup in one transaction; list the
    invalid ones with their index and reason. An ``event_id`` already stored in the
    workspace (or repeated in the batch) is skipped as a duplicate, so a retried batch never
    counts an event twice."""
    with services.writing() as store:
        report = append_events(store, body.events, workspace=principal.workspace, source="api")
    services.metrics.observe_ingest(
        {"rows_loaded": report.loaded, "rows_rejected": len(report.rejected)}
    )
    result = report.to_dict()
    result["rejected"] = [{**r, "reason": safe_cell(r["reason"])} for r in report.rejected]
    return EventsResult(**result)


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "An export of any supported platform (CSV, TSV, XLSX).",
                    }
                },
            }
        }
    },
}


@router.post(
    "/data/upload/file",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=responses(400, 401, 403, 413, 422, 429, 503),
    summary="Load an export file (CSV, TSV, XLSX; zipped or gzipped; or a ZIP of several)",
)
async def upload_file(request: Request, principal: Uploader, services: ServicesDep) -> Any:
    """Load one export, detected like ``adlens ingest``; returns the ingest report.

    A ZIP archive of several exports loads each of them on its own and answers
    ``{"file", "status": "archive", "reports": [...], "errors": [...]}``: one ingest
    report per export loaded, one problem per export that could not be.

    Credentials are checked before the body is read. The file (multipart field ``file``)
    is streamed to disk, never held whole in memory; its size limit is
    ``ADLENS_MAX_UPLOAD_BYTES``, and a compressed one may unpack to at most
    ``ADLENS_MAX_UNPACKED_BYTES``.
    """
    try:
        form = await request.form(max_files=1, max_fields=10)
    except MultiPartException as exc:
        raise InvalidInputError(
            f"the body is not a valid multipart upload: {exc.message}",
            hint="send the export as multipart/form-data field `file`",
        ) from None
    try:
        upload = form.get("file")
        if not isinstance(upload, StarletteUploadFile):
            raise InvalidInputError(
                "no file in the upload", hint="send the export as multipart/form-data field `file`"
            )
        return await run_in_threadpool(_load_upload, upload, principal, services)
    finally:
        await form.close()


def _load_upload(
    upload: StarletteUploadFile, principal: Principal, services: Services
) -> dict[str, Any]:
    name = SAFE_NAME.sub("_", Path(upload.filename or "upload.csv").name).strip(" .") or "upload"
    if not name.lower().endswith(SUFFIXES):
        raise InvalidInputError(
            f"{name!r} is not a CSV, TSV or XLSX file",
            hint="upload an export as .csv/.tsv/.xlsx (or one of them as .zip/.gz)",
        )
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX) as tmp:
        path = Path(tmp) / name
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target, 1 << 20)
        exports = archive_exports(path)
        if len(exports) > MAX_ARCHIVE_EXPORTS:
            raise InvalidInputError(
                f"{name} holds {len(exports):,} exports; an upload loads at most "
                f"{MAX_ARCHIVE_EXPORTS} (each is a load of its own, made while others wait)",
                hint="split the archive, or load it with `adlens ingest`",
                where={"file": name},
            )
        if len(exports) > 1:
            return _load_archive(path, name, exports, principal, services)
        try:
            report = _load(path, None, principal, services)
        except AdlensError as exc:
            raise _as_uploaded(exc, str(path), name) from None
    report["file"] = name
    services.metrics.observe_ingest(report)
    return _safe_report(report)


def _load(
    path: Path, member: str | None, principal: Principal, services: Services
) -> dict[str, Any]:
    with services.writing() as store:
        return ingest_file(
            store,
            path,
            workspace=principal.workspace,
            settings=services.settings,
            max_unpacked=services.settings.max_unpacked_bytes,
            member=member,
        ).to_dict()


def _load_archive(
    path: Path, name: str, exports: list[str], principal: Principal, services: Services
) -> dict[str, Any]:
    """Each export of a ZIP archive of several, loaded on its own (as `adlens ingest` does)."""
    reports, errors = [], []
    for member in exports:
        label = f"{name}/{safe_cell(member)}"
        try:
            report = _load(path, member, principal, services)
        except AdlensError as exc:
            errors.append(_as_uploaded(exc, f"{path}/{member}", label).to_problem())
            continue
        services.metrics.observe_ingest(report)
        shown = _safe_report(report)
        shown["file"] = label
        if isinstance(shown.get("detection"), dict):
            shown["detection"] = {**shown["detection"], "file": label}
        reports.append(shown)
    return {"file": name, "status": "archive", "reports": reports, "errors": errors}


def _as_uploaded(exc: AdlensError, local: str, name: str) -> AdlensError:
    """The error as the uploader knows the file: by its name, not the server's scratch path."""
    exc.message = exc.message.replace(local, name)
    exc.where = {
        k: v.replace(local, name) if isinstance(v, str) else v for k, v in exc.where.items()
    }
    return exc


def _safe_report(report: dict[str, Any]) -> dict[str, Any]:
    report = dict(report)
    report["file"] = Path(str(report.get("file", ""))).name
    if isinstance(report.get("detection"), dict) and "file" in report["detection"]:
        report["detection"] = {**report["detection"], "file": report["file"]}
    report["first_rejects"] = [
        {**r, "raw": safe_line(r.get("raw")), "reason": safe_cell(r.get("reason"))}
        for r in report.get("first_rejects", [])
    ]
    return report


class IngestList(BaseModel):
    data: list[dict[str, Any]]
    total: int


class IngestDetail(BaseModel):
    ingest: dict[str, Any]
    quality: dict[str, Any]
    rejects: dict[str, Any]


@router.get(
    "/ingests",
    response_model=IngestList,
    responses=responses(401, 403, 422, 429),
    summary="The workspace's loads, newest first",
)
def list_ingests(
    principal: Reader,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> IngestList:
    """Loads of the caller's workspace with their counts and quality score."""
    rows = store.query(
        f"SELECT {INGEST_COLUMNS} FROM ingests WHERE workspace = ? "
        "ORDER BY ingest_id DESC LIMIT ? OFFSET ?",
        [principal.workspace, limit, offset],
    )
    total = store.query(
        "SELECT count(*) AS n FROM ingests WHERE workspace = ?", [principal.workspace]
    )[0]["n"]
    return IngestList(data=[_jsonable(r) for r in rows], total=int(total))


@router.get(
    "/ingests/{ingest_id}",
    response_model=IngestDetail,
    responses=responses(401, 403, 404, 422, 429),
    summary="One load: counts, quality report and rejected rows",
)
def get_ingest(
    ingest_id: Annotated[int, PathParam(ge=0, le=2**62)],
    principal: Reader,
    store: StoreDep,
    rejects_limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    rejects_offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> IngestDetail:
    """A load of the caller's workspace (another workspace's loads are not found)."""
    rows = store.query(
        f"SELECT {INGEST_COLUMNS}, quality, warnings FROM ingests "
        "WHERE ingest_id = ? AND workspace = ?",
        [ingest_id, principal.workspace],
    )
    if not rows:
        raise NotFoundError(
            f"no ingest {ingest_id} in this workspace", hint="GET /ingests lists the loads"
        )
    row = rows[0]
    quality = json.loads(row.pop("quality") or "{}")
    warnings = json.loads(row.pop("warnings") or "{}")
    rejects = store.query(
        "SELECT source_row AS line, reason, raw FROM rejects WHERE ingest_id = ? "
        "AND workspace = ? ORDER BY source_row NULLS LAST LIMIT ? OFFSET ?",
        [ingest_id, principal.workspace, rejects_limit, rejects_offset],
    )
    total = store.query(
        "SELECT count(*) AS n FROM rejects WHERE ingest_id = ? AND workspace = ?",
        [ingest_id, principal.workspace],
    )[0]["n"]
    ingest = _jsonable(row)
    if isinstance(warnings, dict):
        ingest.update({k: v for k, v in warnings.items() if k not in ingest})
    return IngestDetail(
        ingest=ingest,
        quality={
            "score": quality.get("score"),
            "dimensions": quality.get("dimensions", {}),
            "recommendations": quality.get("recommendations", []),
        },
        rejects={
            "data": [
                {**r, "raw": safe_line(r["raw"]), "reason": safe_cell(r["reason"])} for r in rejects
            ],
            "total": int(total),
        },
    )


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
    if "source_file" in out:
        out["source_file"] = _shown(str(out["source_file"]))
    return out


def _shown(source_file: str) -> str:
    """A loaded file as its uploader named it: uploads are staged under a scratch directory
    (``.../adlens-upload-XXXX/exports.zip/March.csv`` -> ``exports.zip/March.csv``); other
    files by name only, since the server's paths are nobody's business."""
    parts = Path(source_file).parts
    staged = [i for i, part in enumerate(parts) if part.startswith(UPLOAD_PREFIX)]
    return "/".join(parts[staged[-1] + 1 :]) if staged else Path(source_file).name
