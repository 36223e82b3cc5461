"""Routes of decision strategies: drafts, lifecycle, diffs, simulation, arm reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Input, Output
from fengkong.core.errors import NotFound
from fengkong.decision import decision_service, jdm, simulation_service
from fengkong.decision import strategy_service as service
from fengkong.decision.document import check
from fengkong.decision.json_schema import STRATEGY
from fengkong.decision.models import DecisionStrategy, StrategyVersion
from fengkong.org.scoping import Principal

router = APIRouter(tags=["decision strategies"])


class DocumentIn(Input):
    document: dict[str, Any] | str = Field(
        description="the strategy document, or its JSON or YAML text")


class RollbackIn(Input):
    version: int | None = Field(default=None, description="default: the version active "
                                "before the current one")


class SimulationIn(Input):
    limit: int = Field(default=10_000, ge=1, le=1_000_000,
                       description="the latest stored decisions to run over")


class VersionOut(Output):
    id: str
    strategy_id: str
    version: int
    status: str
    author_id: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    activated_by: str | None
    activated_at: datetime | None
    retired_at: datetime | None


class VersionDetail(VersionOut):
    document: dict[str, Any]


class StrategyOut(Output):
    id: str
    stage: str
    product: str
    name: str
    latest_version: int
    created_at: datetime


class StrategyDetail(StrategyOut):
    versions: list[VersionOut]


class StrategyList(Output):
    items: list[StrategyDetail]


def _detail(uow: UoW, strategy: DecisionStrategy) -> StrategyDetail:
    return StrategyDetail(**StrategyOut.model_validate(strategy).model_dump(),
                          versions=[VersionOut.model_validate(v)
                                    for v in service.versions(uow, strategy)])


def _version(version: StrategyVersion) -> VersionDetail:
    return VersionDetail.model_validate(version)


@router.get("/strategies/schema")
def schema(principal: Principal = require("strategies.read")) -> dict[str, Any]:
    """The JSON Schema of strategy documents (scorecards in the shared scorecard format)."""
    return STRATEGY


@router.post("/strategies/validate")
def validate(body: DocumentIn, principal: Principal = require("strategies.author")
             ) -> dict[str, Any]:
    """Every problem of a document, each with its JSON path and code; nothing is stored."""
    problems = check(service.read_document(body.document))
    return {"valid": not problems, "problems": problems}


@router.get("/strategies", response_model=StrategyList)
def list_strategies(uow: UoW, principal: Principal = require("strategies.read")
                    ) -> StrategyList:
    return StrategyList(items=[_detail(uow, s) for s in service.list_strategies(uow, principal)])


@router.post("/strategies/versions", response_model=VersionDetail,
             status_code=status.HTTP_201_CREATED)
def create_draft(body: DocumentIn, uow: UoW,
                 principal: Principal = require("strategies.author")) -> VersionDetail:
    """A new draft version of the strategy for the document's stage and product."""
    version = service.create_draft(uow, principal, body.document)
    uow.commit()
    return _version(version)


@router.get("/strategies/{strategy_id}", response_model=StrategyDetail)
def get_strategy(strategy_id: str, uow: UoW,
                 principal: Principal = require("strategies.read")) -> StrategyDetail:
    return _detail(uow, service.get_strategy(uow, principal, strategy_id))


@router.post("/strategies/{strategy_id}/rollback", response_model=VersionDetail)
def rollback(strategy_id: str, body: RollbackIn, uow: UoW,
             principal: Principal = require("strategies.approve")) -> VersionDetail:
    """Make an earlier version active again in one step."""
    version = service.rollback(uow, principal, strategy_id, body.version)
    uow.commit()
    return _version(version)


@router.get("/strategies/{strategy_id}/arms")
def arms_report(strategy_id: str, uow: UoW,
                principal: Principal = require("strategies.read")) -> dict[str, Any]:
    """Champion and challengers compared: approval, bad, roll and promise-kept rates."""
    return decision_service.arms_report(uow, principal, strategy_id)


@router.get("/strategy-versions/{version_id}", response_model=VersionDetail)
def get_version(version_id: str, uow: UoW,
                principal: Principal = require("strategies.read")) -> VersionDetail:
    return _version(service.get_version(uow, principal, version_id))


@router.put("/strategy-versions/{version_id}", response_model=VersionDetail)
def update_draft(version_id: str, body: DocumentIn, uow: UoW,
                 principal: Principal = require("strategies.author")) -> VersionDetail:
    """Replace a draft's document; submitted versions are immutable (409)."""
    version = service.update_draft(uow, principal, version_id, body.document)
    uow.commit()
    return _version(version)


def _step(name: str, permission: str, doc: str) -> None:
    action = getattr(service, name)

    def route(version_id: str, uow: UoW, principal: Principal = require(permission)
              ) -> VersionDetail:
        version = action(uow, principal, version_id)
        uow.commit()
        return _version(version)
    route.__name__ = name
    route.__doc__ = doc
    router.post(f"/strategy-versions/{{version_id}}/{name}", response_model=VersionDetail)(route)


_step("submit", "strategies.author", "Freeze a draft once its document passes every check; "
      "a bad document is refused with each problem's JSON path and code.")
_step("approve", "strategies.approve", "Approve a submitted version: never its own author.")
_step("activate", "strategies.approve", "Put an approved (or an earlier, retired) version in "
      "force; the active one is retired.")
_step("retire", "strategies.approve", "Take an approved or active version out of use.")


@router.get("/strategy-versions/{version_id}/diff")
def diff(version_id: str, uow: UoW, against: str | None = Query(default=None),
         principal: Principal = require("strategies.read")) -> dict[str, Any]:
    """Changes to this version from `against` (default: the version before it)."""
    return service.version_diff(uow, principal, version_id, against)


@router.post("/strategy-versions/{version_id}/simulate")
def simulate(version_id: str, body: SimulationIn, uow: UoW,
             principal: Principal = require("strategies.author")) -> dict[str, Any]:
    """Run this version over stored decisions' inputs beside the active version."""
    report = simulation_service.simulate_version(uow, principal, version_id, limit=body.limit)
    uow.commit()
    return report


class JdmIn(Input):
    jdm: dict[str, Any] = Field(description="a GoRules JDM graph")
    table: str | None = Field(default=None, description="the decision table's name, when "
                              "the graph has several")


@router.post("/strategies/jdm-import")
def jdm_import(body: JdmIn, principal: Principal = require("strategies.author")
               ) -> dict[str, Any]:
    """A GoRules JDM decision table as a table of a strategy document (nothing stored)."""
    return jdm.import_table(body.jdm, body.table)


@router.get("/strategy-versions/{version_id}/jdm")
def jdm_export(version_id: str, uow: UoW, table: str = Query(description="the table's name"),
               principal: Principal = require("strategies.read")) -> dict[str, Any]:
    """One decision table of the version as a GoRules JDM graph, for ZEN's editor."""
    document = service.get_version(uow, principal, version_id).document
    for item in document.get("tables", []):
        if isinstance(item, dict) and item.get("name") == table:
            return jdm.export_table(item)
    raise NotFound("decision table", table, field="table")
