"""Use cases of decisions: make one (and store it whole), explain it, make it again from its
record, record what became of it, and compare champion/challenger arms."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.errors import InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.decision import strategy_service as strategies
from fengkong.decision.arms import random_number
from fengkong.decision.engine import STAGES, DecisionError, Outcome, coerce_inputs, evaluate
from fengkong.decision.models import Decision, DecisionOutcome, StrategyVersion
from fengkong.org import service as org
from fengkong.org.scoping import Principal, scoped

OUTCOME_KINDS = ("bad", "rolled", "promise_kept")


@dataclass(frozen=True)
class Request:
    product: str
    inputs: Mapping[str, Any]
    subject_id: str | None = None
    org_unit_id: str | None = None


def check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise NotFound("decision stage", stage, field="stage")


def decide(uow: UnitOfWork, principal: Principal, stage: str, request: Request) -> Decision:
    """Evaluate the active strategy of the stage and product, and store the decision."""
    principal.scope_for("decisions.make")
    check_stage(stage)
    unit = principal.org_unit_id
    if request.org_unit_id is not None:
        unit = org.reference_unit(uow, principal, request.org_unit_id, "decisions.make",
                                  "org_unit_id").id
    version = strategies.active_version(uow, principal.tenant_id, stage, request.product)
    if version is None:
        raise InvalidInput(f"no active {stage} strategy for product {request.product}",
                           code="no_active_strategy", field="product")
    subject = request.subject_id or _subject_of(request.inputs)
    number = random_number(principal.tenant_id, subject)
    outcome, snapshot = _evaluate(version, request.inputs, number)
    decision = Decision(
        id=new_id(), tenant_id=principal.tenant_id, org_unit_id=unit,
        strategy_version_id=version.id, stage=stage, product=request.product,
        subject_id=subject, random_number=number, arm=outcome.arm, decision=outcome.decision,
        score=outcome.score, reason_codes=outcome.reason_codes, inputs=snapshot,
        outputs=outcome.outputs, trace=_jsonable(outcome.trace), made_by=principal.actor_id,
        made_at=uow.clock.now())
    uow.session.add(decision)
    uow.session.flush()
    audit.record(uow, principal, "decision.made", entity_type="decision", entity_id=decision.id,
                 changes={"stage": stage, "product": request.product,
                          "strategy_version_id": version.id, "arm": outcome.arm,
                          "decision": outcome.decision, "reason_codes": outcome.reason_codes})
    uow.emit("decision.made", principal.tenant_id, decision_id=decision.id, stage=stage,
             product=request.product, decision=outcome.decision, subject_id=subject)
    return decision


def _evaluate(version: StrategyVersion, raw: Mapping[str, Any],
              number: int) -> tuple[Outcome, dict[str, Any]]:
    strategy = strategies.compiled(version)
    if not isinstance(raw, Mapping):
        raise InvalidInput("inputs is an object", code="invalid_type", field="inputs")
    values, bad = coerce_inputs(strategy, raw)
    if bad:
        name, code, message = bad[0]
        raise InvalidInput(message, code=code, field=f"inputs.{name}",
                           extra={"errors": [{"field": f"inputs.{n}", "code": c, "detail": m}
                                             for n, c, m in bad]})
    try:
        outcome = evaluate(strategy, values, number)
    except DecisionError as exc:
        raise InvalidInput(f"the strategy could not decide: {exc}", code="evaluation_failed",
                           field="inputs", extra={"where": exc.where}) from None
    return outcome, _jsonable(values)


def _subject_of(inputs: Mapping[str, Any]) -> str:
    """Without a subject id, the inputs themselves: the same case lands in the same arm."""
    text = json.dumps(inputs, sort_keys=True, default=str)
    return "inputs:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def get_decision(uow: UnitOfWork, principal: Principal, decision_id: str) -> Decision:
    found = uow.session.scalar(scoped(select(Decision), Decision, principal,
                                      "decisions.read").where(Decision.id == decision_id))
    if found is None:
        raise NotFound("decision", decision_id)
    return found


def list_decisions(uow: UnitOfWork, principal: Principal, *, stage: str | None = None,
                   product: str | None = None, limit: int = 50) -> Sequence[Decision]:
    stmt = scoped(select(Decision), Decision, principal, "decisions.read")
    if stage is not None:
        stmt = stmt.where(Decision.stage == stage)
    if product is not None:
        stmt = stmt.where(Decision.product == product)
    return uow.session.scalars(stmt.order_by(Decision.made_at.desc(), Decision.id.desc())
                               .limit(max(1, min(limit, 500)))).all()


def explain(uow: UnitOfWork, decision: Decision) -> dict[str, Any]:
    """The decision as a borrower or reviewer reads it: what was decided, under which
    version and arm, each rule that fired with its text, the points of every characteristic
    and the path through the tree (PIPL art. 24)."""
    version = uow.session.get(StrategyVersion, decision.strategy_version_id)
    assert version is not None
    texts = {h["reason_code"]: h["text"] for h in decision.trace.get("rule_hits", [])}
    described = _characteristics(version.document)
    outcome = uow.session.get(DecisionOutcome, decision.id)
    return {
        "reasons": [{"code": code, "text": texts.get(code) or described.get(code, code)}
                    for code in decision.reason_codes],
        "strategy": {"id": version.strategy_id, "version": version.version,
                     "name": version.document.get("name")},
        "trace": decision.trace,
        "outcome": None if outcome is None else {k: getattr(outcome, k) for k in OUTCOME_KINDS},
    }


def _characteristics(document: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for item in document.get("scorecards", []):
        for ch in item.get("scorecard", {}).get("characteristics", []):
            out[ch["reason_code"]] = ch.get("description") or f"score points on {ch['feature']}"
    return out


def rerun(uow: UnitOfWork, principal: Principal, decision_id: str) -> dict[str, Any]:
    """The stored decision made again from its version, inputs and random number."""
    decision = get_decision(uow, principal, decision_id)
    version = uow.session.get(StrategyVersion, decision.strategy_version_id)
    assert version is not None
    outcome, _ = _evaluate(version, decision.inputs, decision.random_number)
    again = {"decision": outcome.decision, "reason_codes": outcome.reason_codes,
             "score": outcome.score, "arm": outcome.arm, "outputs": outcome.outputs}
    stored = {"decision": decision.decision, "reason_codes": decision.reason_codes,
              "score": decision.score, "arm": decision.arm, "outputs": decision.outputs}
    return {"id": decision.id, "same": _jsonable(again) == stored, "stored": stored,
            "rerun": _jsonable(again)}


def record_outcome(uow: UnitOfWork, principal: Principal, decision_id: str,
                   values: Mapping[str, bool | None]) -> DecisionOutcome:
    """What became of a decision; later values replace earlier ones, unnamed ones stay."""
    principal.scope_for("decisions.make")
    decision = get_decision(uow, principal, decision_id)
    if not any(values.get(k) is not None for k in OUTCOME_KINDS):
        raise InvalidInput(f"name at least one of {', '.join(OUTCOME_KINDS)}",
                           code="required", field="bad")
    row = uow.session.get(DecisionOutcome, decision.id)
    if row is None:
        row = DecisionOutcome(decision_id=decision.id, tenant_id=decision.tenant_id,
                              recorded_by=principal.actor_id, recorded_at=uow.clock.now())
        uow.session.add(row)
    for key in OUTCOME_KINDS:
        if values.get(key) is not None:
            setattr(row, key, values[key])
    row.recorded_by, row.recorded_at = principal.actor_id, uow.clock.now()
    uow.session.flush()
    audit.record(uow, principal, "decision.outcome_recorded", entity_type="decision",
                 entity_id=decision.id, changes={k: getattr(row, k) for k in OUTCOME_KINDS})
    return row


def arms_report(uow: UnitOfWork, principal: Principal, strategy_id: str) -> dict[str, Any]:
    """Per version and arm: decisions, approval rate, and where outcomes are known the bad
    rate, roll rate and promise-kept rate."""
    strategy = strategies.get_strategy(uow, principal, strategy_id)
    principal.scope_for("decisions.read")
    stmt: Any = (select(StrategyVersion.version, Decision.arm, Decision.decision,
                        DecisionOutcome.bad, DecisionOutcome.rolled,
                        DecisionOutcome.promise_kept)
                 .select_from(Decision)
                 .join(StrategyVersion, StrategyVersion.id == Decision.strategy_version_id)
                 .outerjoin(DecisionOutcome, DecisionOutcome.decision_id == Decision.id))
    rows = uow.session.execute(
        scoped(stmt, Decision, principal, "decisions.read")
        .where(StrategyVersion.strategy_id == strategy.id)).all()
    groups: dict[tuple[int, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    arms = []
    for (version, arm), items in sorted(groups.items()):
        entry: dict[str, Any] = {"version": version, "arm": arm, "decisions": len(items),
                                 "approval_rate": _share([r[2] == "approve" for r in items])}
        for index, key in ((3, "bad_rate"), (4, "roll_rate"), (5, "promise_kept_rate")):
            known = [r[index] for r in items if r[index] is not None]
            entry[key] = _share(known)
            entry[f"{key}_known"] = len(known)
        arms.append(entry)
    return {"strategy_id": strategy.id, "stage": strategy.stage, "product": strategy.product,
            "arms": arms}


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None
