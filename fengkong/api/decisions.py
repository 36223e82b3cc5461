"""Routes of decisions: evaluate, explain, re-run, record outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Input, Output
from fengkong.decision import decision_service as service
from fengkong.decision.models import Decision, StrategyVersion
from fengkong.org.scoping import Principal

router = APIRouter(tags=["decisions"])

EXAMPLE = {"product": "CAR-36", "subject_id": "APP-2026-0001",
           "inputs": {"age": 35, "income": 18000, "monthly_debt": 3000}}


class DecisionIn(Input):
    product: str = Field(min_length=1, max_length=40)
    inputs: dict[str, Any]
    subject_id: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="applicant or account id: keeps its "
                                   "champion/challenger arm (default: from the inputs)")
    org_unit_id: str | None = None


class OutcomeIn(Input):
    bad: bool | None = None
    rolled: bool | None = None
    promise_kept: bool | None = None


class DecisionOut(Output):
    id: str
    decision: str
    reason_codes: list[str]
    score: float | None
    strategy_version: int
    strategy_version_id: str
    arm: str
    outputs: dict[str, Any]
    stage: str
    product: str
    subject_id: str
    made_at: datetime


class DecisionExplained(DecisionOut):
    org_unit_id: str
    random_number: int
    inputs: dict[str, Any]
    explanation: dict[str, Any]


class DecisionList(Output):
    items: list[DecisionOut]


def _out(uow: UoW, decision: Decision) -> dict[str, Any]:
    version = uow.session.get(StrategyVersion, decision.strategy_version_id)
    assert version is not None  # already in the session: no query
    return {"id": decision.id, "decision": decision.decision,
            "reason_codes": decision.reason_codes, "score": decision.score,
            "strategy_version": version.version,
            "strategy_version_id": decision.strategy_version_id, "arm": decision.arm,
            "outputs": decision.outputs, "stage": decision.stage, "product": decision.product,
            "subject_id": decision.subject_id, "made_at": decision.made_at}


@router.post("/decisions/{stage}", response_model=DecisionOut,
             status_code=status.HTTP_201_CREATED)
def decide(stage: str, body: DecisionIn, uow: UoW,
           principal: Principal = require("decisions.make")) -> DecisionOut:
    """Evaluate the active strategy of `stage` (application, account_management,
    collections) for the product, and store the decision with its full trace."""
    decision = service.decide(uow, principal, stage, service.Request(
        product=body.product, inputs=body.inputs, subject_id=body.subject_id,
        org_unit_id=body.org_unit_id))
    uow.commit()
    return DecisionOut(**_out(uow, decision))


@router.get("/decisions", response_model=DecisionList)
def list_decisions(uow: UoW, stage: str | None = Query(default=None),
                   product: str | None = Query(default=None),
                   limit: int = Query(default=50, ge=1, le=500),
                   principal: Principal = require("decisions.read")) -> DecisionList:
    items = service.list_decisions(uow, principal, stage=stage, product=product, limit=limit)
    return DecisionList(items=[DecisionOut(**_out(uow, d)) for d in items])


@router.get("/decisions/{decision_id}", response_model=DecisionExplained)
def explain(decision_id: str, uow: UoW,
            principal: Principal = require("decisions.read")) -> DecisionExplained:
    """The decision with its explanation: reasons with texts, rules hit, points per
    characteristic, path through the tree, version and arm."""
    decision = service.get_decision(uow, principal, decision_id)
    return DecisionExplained(**_out(uow, decision), org_unit_id=decision.org_unit_id,
                             random_number=decision.random_number, inputs=decision.inputs,
                             explanation=service.explain(uow, decision))


@router.get("/decisions/{decision_id}/rerun")
def rerun(decision_id: str, uow: UoW,
          principal: Principal = require("decisions.read")) -> dict[str, Any]:
    """The decision made again from its stored version, inputs and random number."""
    return service.rerun(uow, principal, decision_id)


@router.post("/decisions/{decision_id}/outcome")
def record_outcome(decision_id: str, body: OutcomeIn, uow: UoW,
                   principal: Principal = require("decisions.make")) -> dict[str, Any]:
    """What became of the decision: bad (application), rolled (account management),
    promise kept (collections)."""
    row = service.record_outcome(uow, principal, decision_id, body.model_dump())
    uow.commit()
    return {"decision_id": row.decision_id, "bad": row.bad, "rolled": row.rolled,
            "promise_kept": row.promise_kept, "recorded_at": row.recorded_at}
