"""Use case of simulation: a version run over the stored decisions of its stage and product,
compared with the active version."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.uow import UnitOfWork
from fengkong.decision import strategy_service as strategies
from fengkong.decision.models import Decision, DecisionOutcome, DecisionStrategy
from fengkong.decision.simulation import Case, simulate
from fengkong.org.scoping import Principal, scoped


def simulate_version(uow: UnitOfWork, principal: Principal, version_id: str, *,
                     limit: int = 100_000, cases: Iterable[Case] | None = None,
                     progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run `version` over `cases`, or the last `limit` stored decisions of its stage and
    product (their input snapshots, random numbers and known outcomes)."""
    principal.scope_for("strategies.author")
    version = strategies.get_version(uow, principal, version_id)
    strategy = uow.session.get(DecisionStrategy, version.strategy_id)
    assert strategy is not None
    active = strategies.active_version(uow, principal.tenant_id, strategy.stage,
                                       strategy.product)
    if cases is None:
        cases = stored_cases(uow, principal, strategy, limit)
    report = simulate(strategies.compiled(version),
                      strategies.compiled(active) if active is not None else None, cases,
                      progress=progress)
    report["candidate_version"] = version.version
    report["baseline_version"] = active.version if active is not None else None
    audit.record(uow, principal, "strategy.simulated", entity_type="strategy_version",
                 entity_id=version.id, changes={"cases": report["cases"],
                                                "baseline_version": report["baseline_version"]})
    return report


def stored_cases(uow: UnitOfWork, principal: Principal, strategy: DecisionStrategy,
                 limit: int) -> list[Case]:
    rows = uow.session.execute(
        scoped(select(Decision.inputs, Decision.random_number, DecisionOutcome.bad)
               .outerjoin(DecisionOutcome, DecisionOutcome.decision_id == Decision.id),
               Decision, principal, "decisions.read")
        .where(Decision.stage == strategy.stage, Decision.product == strategy.product)
        .order_by(Decision.made_at.desc()).limit(max(1, min(limit, 1_000_000)))).all()
    return [Case(dict(inputs), number, bad) for inputs, number, bad in rows]
