"""Custom metrics of the workspace: list, register, remove (analysts and admins)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from adlens.api.deps import Require, ServicesDep, StoreDep
from adlens.api.problems import responses
from adlens.appdb.accounts import Principal
from adlens.query import list_metrics, register_metric, remove_metric
from adlens.query.metrics import CustomMetric

router = APIRouter(tags=["metrics"])
Reader = Annotated[Principal, Depends(Require("read"))]
Editor = Annotated[Principal, Depends(Require("metrics"))]


class MetricIn(BaseModel):
    name: str = Field(max_length=63)
    expression: str = Field(max_length=2000)
    format: Literal["number", "integer", "currency", "percent"] | None = None
    description: str | None = Field(None, max_length=500)
    replace: bool = False


class MetricOut(BaseModel):
    name: str
    expression: str
    format: str | None
    description: str | None
    table: str


def _out(metric: CustomMetric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "expression": metric.expression,
        "format": metric.format,
        "description": metric.description,
        "table": metric.table,
    }


@router.get(
    "/v1/custom-metrics",
    response_model=list[MetricOut],
    responses=responses(401, 403, 429),
    summary="Custom metrics of the workspace",
)
def list_custom(principal: Reader, store: StoreDep) -> list[dict[str, Any]]:
    """Every custom metric of the caller's workspace."""
    return [_out(m) for m in list_metrics(store, principal.workspace)]


@router.post(
    "/v1/custom-metrics",
    response_model=MetricOut,
    status_code=201,
    responses=responses(400, 401, 403, 413, 422, 429),
    summary="Register a custom metric",
)
def add_custom(body: MetricIn, principal: Editor, services: ServicesDep) -> dict[str, Any]:
    """A safe expression over known measures (never raw SQL), usable in queries at once."""
    with services.writing() as store:
        metric = register_metric(
            store,
            body.name,
            body.expression,
            body.format,
            body.description,
            workspace=principal.workspace,
            replace=body.replace,
        )
        store.bump_data_version(principal.workspace)  # a replaced metric changes answers
    return _out(metric)


@router.delete(
    "/v1/custom-metrics/{name}",
    status_code=204,
    responses=responses(400, 401, 403, 404, 422, 429),
    summary="Remove a custom metric",
)
def delete_custom(
    name: Annotated[str, PathParam(max_length=63)], principal: Editor, services: ServicesDep
) -> Response:
    """Refused while another custom metric uses it."""
    with services.writing() as store:
        remove_metric(store, name, workspace=principal.workspace)
    return Response(status_code=204)
